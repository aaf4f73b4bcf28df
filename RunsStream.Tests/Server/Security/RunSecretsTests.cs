using RunsStream.Server.Runs.Execution.Interop;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Security;

/// <summary>
/// Every way a run could read the server's token or another run's output, tried from inside a
/// run of the real server process: its environment, /proc of the server, the database, the
/// token file, the process records. Tests run as root, as CI does.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RunSecretsTests
{
    private string _dataDirectory = null!;

    [SetUp]
    public void SetUp()
    {
        Assert.That(Posix.EffectiveUserId, Is.Zero, "these tests need root, as CI runs them");
        _dataDirectory = Path.Combine(Path.GetTempPath(), "runsstream-secrets", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dataDirectory);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dataDirectory, recursive: true);

    private static async Task<string> OutputOfAsync(ServerProcess server, string command)
    {
        var runId = await server.StartRunAsync(command + "; echo END");
        await server.WaitForRunAsync(runId, r => r.GetProperty("status").GetString() is "succeeded" or "failed");
        return await server.WaitForLogAsync(runId, "END");
    }

    [Test]
    public async Task A_run_of_a_root_server_cannot_read_the_token_or_the_database()
    {
        await using var server = await ServerProcess.StartAsync(_dataDirectory);
        // A finished run whose output another run must not be able to read.
        var secretRun = await server.StartRunAsync("echo other-runs-secret-output");
        await server.WaitForRunAsync(secretRun, r => r.GetProperty("status").GetString() == "succeeded");
        await server.Http.GetAsync("/runs"); // makes every write durable

        var output = await OutputOfAsync(server, string.Join("; ",
            "id -u",
            "env",
            "cat /proc/$PPID/environ",
            "ls /proc/$PPID/fd",
            "cat /proc/$PPID/cmdline",
            $"ls {_dataDirectory}",
            $"cat {_dataDirectory}/runsstream.db {_dataDirectory}/runsstream.db-wal",
            $"ls {_dataDirectory}/run-processes",
            $"grep -r other-runs-secret {_dataDirectory}"));

        Assert.That(output, Does.StartWith("65534\n"), "the run is nobody");
        Assert.That(output, Does.Not.Contain(RunsServerHost.Token));
        Assert.That(output, Does.Not.Contain("WS_AUTH_TOKEN"));
        Assert.That(output, Does.Not.Contain("other-runs-secret-output"));
        Assert.That(output, Does.Contain("Permission denied"));
        Assert.That(FileModeOf(Path.Combine(_dataDirectory, "runsstream.db")), Is.EqualTo("600"));
        Assert.That(FileModeOf(_dataDirectory), Is.EqualTo("711"));
    }

    [Test]
    public async Task A_token_given_as_a_file_works_and_no_run_can_read_the_file()
    {
        var tokenFile = Path.Combine(_dataDirectory, "..", Guid.NewGuid().ToString("N") + ".token");
        File.WriteAllText(tokenFile, RunsServerHost.Token + "\n");
        File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            await using var server = await ServerProcess.StartAsync(_dataDirectory, new Dictionary<string, string>
            {
                ["WS_AUTH_TOKEN"] = "",
                ["WS_AUTH_TOKEN_FILE"] = tokenFile,
            });
            var output = await OutputOfAsync(server, $"env; cat {tokenFile}");

            Assert.That(output, Does.Not.Contain(RunsServerHost.Token));
            Assert.That(output, Does.Not.Contain("WS_AUTH_TOKEN"));
            Assert.That(output, Does.Contain("Permission denied"));
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }

    [Test]
    public async Task When_runs_share_the_servers_user_the_server_is_not_dumpable_so_proc_still_hides_the_token()
    {
        // A server that is not root runs its runs as itself: only non-dumpability keeps
        // /proc/<server>/environ (which holds WS_AUTH_TOKEN) from a run of the same user.
        await using var server = await ServerProcess.StartAsync(_dataDirectory, asUser: "nobody");
        var output = await OutputOfAsync(server, "id -u; cat /proc/$PPID/environ; ls /proc/$PPID/fd");

        Assert.That(output, Does.StartWith("65534\n"), "the server and the run are the same user");
        Assert.That(output, Does.Not.Contain(RunsServerHost.Token));
        Assert.That(output, Does.Contain("Permission denied"));
    }

    private static string FileModeOf(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8);
}
