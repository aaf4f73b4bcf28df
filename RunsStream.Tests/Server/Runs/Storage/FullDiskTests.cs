using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Storage;

/// <summary>
/// A real full disk: DATA_DIR on a small tmpfs the test mounts (tests run as root), filled with
/// a filler file while a run writes. The run pauses, /healthz says "degraded", and once the
/// filler is gone everything continues: every byte and the terminal status reach the database
/// and survive a restart with the same seqs.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FullDiskTests
{
    private const int SliceBytes = 20_000;
    private const int Slices = 200;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private string _work = null!;
    private string _mount = null!;

    [SetUp]
    public async Task MountSmallDisk()
    {
        _work = Directory.CreateTempSubdirectory("runsstream-fulldisk-").FullName;
        // The run executes as nobody (the server is root) and reads its input and gate from here.
        File.SetUnixFileMode(_work, (UnixFileMode)0b111_101_101);
        _mount = Path.Combine(_work, "disk");
        Directory.CreateDirectory(_mount);
        var (code, output) = await RunToolAsync("mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", _mount);
        Assert.That(code, Is.EqualTo(0), "mounting a tmpfs needs root: " + output);
    }

    [TearDown]
    public async Task UnmountSmallDisk()
    {
        var (code, _) = await RunToolAsync("umount", _mount);
        if (code != 0)
        {
            await RunToolAsync("umount", "-l", _mount);
        }
        Directory.Delete(_work, recursive: true);
    }

    private static async Task<(int Code, string Output)> RunToolAsync(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = await process.StandardError.ReadToEndAsync() + await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Timeout);
        return (process.ExitCode, output);
    }

    [Test]
    public async Task A_run_pauses_while_the_disk_is_full_and_loses_nothing_once_it_has_room()
    {
        var source = Path.Combine(_work, "source.txt");
        var text = new StringBuilder();
        var random = new Random(42);
        while (text.Length < SliceBytes * Slices)
        {
            text.Append(Convert.ToBase64String(RandomBytes(random, 57))).Append('\n');
        }
        await File.WriteAllTextAsync(source, text.ToString(0, SliceBytes * Slices));
        var go = Path.Combine(_work, "go");
        var command = $"echo pid $$; while [ ! -e {go} ]; do sleep 0.02; done; "
            + $"for i in $(seq 0 {Slices - 1}); do dd if={source} bs={SliceBytes} skip=$i count=1 2>/dev/null; sleep 0.005; done; exit 3";

        var dataDirectory = Path.Combine(_mount, "data");
        string runId, expectedSha;
        JsonElement before;
        await using (var server = await ServerProcess.StartAsync(dataDirectory))
        {
            runId = await server.StartRunAsync(command);
            var first = await server.WaitForLogAsync(runId, log => log.StartsWith("pid ") && log.Contains('\n'), "the run's pid", Timeout);
            var pgid = int.Parse(first["pid ".Length..first.IndexOf('\n')]);
            expectedSha = Sha256(first[..(first.IndexOf('\n') + 1)] + await File.ReadAllTextAsync(source));

            var filler = Path.Combine(_mount, "filler");
            FillDisk(filler);
            await File.WriteAllTextAsync(go, "");

            var health = await WaitForHealthAsync(server, "degraded");
            Assert.That(health.GetProperty("reason").GetString(), Does.Contain("full"), health.GetRawText());
            Assert.That(health.GetProperty("failedWrites").GetInt32(), Is.GreaterThan(0));
            using (var notReady = await server.Http.GetAsync("/readyz"))
            {
                Assert.That(notReady.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "not ready while the store cannot write");
                Assert.That(await notReady.Content.ReadAsStringAsync(), Does.Contain("full"));
            }

            var paused = await WaitUntilPausedAsync(server, runId, pgid);
            Assert.That(paused, Is.LessThan(SliceBytes * Slices / 2), "the run stopped early: its output waits in its pipe, not in memory");
            Assert.That((await server.Http.GetAsync("/runs")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "listing still answers");

            File.Delete(filler);
            await WaitForHealthAsync(server, "ok");
            Assert.That((await server.Http.GetAsync("/readyz")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "ready again once it writes");
            var run = await server.WaitForRunAsync(runId, r => r.GetProperty("status").GetString() is "failed", Timeout);
            Assert.That(run.GetProperty("exitCode").GetInt32(), Is.EqualTo(3));
            Assert.That(Sha256(await server.Http.GetStringAsync($"/runs/{runId}/log")), Is.EqualTo(expectedSha), "every byte");
            before = await server.WatchAsync(runId, transports: "websocket");
            Assert.That(before.GetProperty("ok").GetBoolean(), Is.True, before.GetRawText());
            Assert.That(await server.StopAsync(), Is.EqualTo(0));
        }

        await using var restarted = await ServerProcess.StartAsync(dataDirectory);
        var stored = await restarted.GetRunAsync(runId);
        Assert.That(stored.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(stored.GetProperty("exitCode").GetInt32(), Is.EqualTo(3));
        Assert.That(Sha256(await restarted.Http.GetStringAsync($"/runs/{runId}/log")), Is.EqualTo(expectedSha), "every byte after the restart");
        var after = await restarted.WatchAsync(runId, transports: "websocket");
        Assert.That(after.GetProperty("ok").GetBoolean(), Is.True, after.GetRawText());
        Assert.That(after.GetProperty("gaps").GetArrayLength(), Is.EqualTo(0));
        Assert.That(after.GetProperty("lastSeq").GetInt64(), Is.EqualTo(before.GetProperty("lastSeq").GetInt64()), "same seqs");
        Assert.That(after.GetProperty("events").GetInt32(), Is.EqualTo(before.GetProperty("events").GetInt32()));
        Assert.That(after.GetProperty("stdoutSha256").GetString(), Is.EqualTo(before.GetProperty("stdoutSha256").GetString()));
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string Sha256(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Writes the filler until the disk refuses, in big then small pieces.</summary>
    private static void FillDisk(string path)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None);
        foreach (var size in new[] { 1 << 20, 4096, 1 })
        {
            var block = new byte[size];
            try
            {
                while (true)
                {
                    file.Write(block);
                }
            }
            catch (IOException)
            {
                // ENOSPC: nothing more of this size fits.
            }
        }
    }

    private static Task<JsonElement> WaitForHealthAsync(ServerProcess server, string status) =>
        Eventually.ValueAsync(
            async () =>
            {
                var response = await server.Http.GetAsync("/healthz");
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "degraded or not, /healthz answers 200");
                return await response.Content.ReadFromJsonAsync<JsonElement>();
            },
            health => health.GetProperty("status").GetString() == status,
            health => $"/healthz never said {status}: {health.GetRawText()}",
            Timeout);

    /// <summary>
    /// Waits until the run is paused: a process of its group blocked writing to its full pipe,
    /// and the output the server has taken (its log, served from memory meanwhile) unchanged,
    /// over 20 samples in a row. Fails if the run finishes instead. Returns the log's length.
    /// </summary>
    private static async Task<long> WaitUntilPausedAsync(ServerProcess server, string runId, int pgid)
    {
        long last = -1;
        var steady = 0;
        await Eventually.ValueAsync(
            async () =>
            {
                var run = await server.GetRunAsync(runId);
                Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("running"), "the run went on while the disk was full: " + run.GetRawText());
                long bytes = (await server.Http.GetByteArrayAsync($"/runs/{runId}/log")).Length;
                steady = bytes == last && GroupBlockedOnPipe(pgid) ? steady + 1 : 0;
                last = bytes;
                return steady;
            },
            samples => samples >= 20,
            _ => "the run never paused",
            Timeout);
        return last;
    }

    private static bool GroupBlockedOnPipe(int pgid)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[2]) == pgid && File.ReadAllText(Path.Combine(dir, "wchan")).Contains("pipe_write"))
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                // Not a process, or it exited meanwhile.
            }
        }
        return false;
    }
}
