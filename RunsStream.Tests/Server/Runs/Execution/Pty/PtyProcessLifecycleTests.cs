using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Runs.Execution;
using RunsStream.Server.Runs.Execution.Interop;
using RunsStream.Server.Runs.Execution.Pty;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Execution.Pty;

/// <summary>
/// The end of a terminal run: all output arrives and the end is seen (EIO on the master),
/// cancel reaches everything, nothing of the terminal stays open in the server, and the
/// ordinary run's containment (cgroup, run user) still applies. Tests run as root, as CI does.
/// </summary>
[TestFixture]
public sealed class PtyProcessLifecycleTests
{
    private string _workingDirectory = null!;

    [SetUp]
    public void SetUp() => _workingDirectory = Directory.CreateTempSubdirectory("runsstream-pty-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_workingDirectory, recursive: true);

    [Test]
    public async Task One_megabyte_of_output_arrives_complete_and_the_run_ends()
    {
        var random = new Random(1313);
        var text = new StringBuilder();
        while (text.Length < 1024 * 1024)
        {
            var line = new byte[random.Next(0, 120)];
            random.NextBytes(line);
            text.Append(Convert.ToBase64String(line)).Append('\n');
        }
        await File.WriteAllTextAsync(Path.Combine(_workingDirectory, "big.txt"), text.ToString());
        // ONLCR: the terminal sends each \n as \r\n.
        var expected = Encoding.ASCII.GetBytes(text.ToString().Replace("\n", "\r\n", StringComparison.Ordinal));

        await using var run = PtyRun.Start("cat big.txt", _workingDirectory);
        var exitCode = await run.CompletionAsync();

        Assert.That(exitCode, Is.Zero);
        Assert.That(run.Warnings, Is.Empty, "the terminal's end (EIO) is an end, not a failed read");
        Assert.That(run.OutputBytes, Is.EqualTo(expected.Length));
        var received = Encoding.UTF8.GetBytes(run.Sink.AllText);
        Assert.That(Convert.ToHexString(SHA256.HashData(received)), Is.EqualTo(Convert.ToHexString(SHA256.HashData(expected))));
    }

    [Test]
    public async Task Killing_the_process_group_ends_the_run_and_every_process_on_its_terminal()
    {
        var marker = ProcessTable.UniqueSleep(4613);
        await using var run = PtyRun.Start($"sleep {marker} & echo started; sleep 600", _workingDirectory);
        await run.WaitForOutputAsync("started");
        await Eventually.WaitUntilAsync(() => ProcessTable.WithArgument(marker).Count == 1, "the background child is running");

        Assert.That(ProcessGroup.TrySignalGroup(run.Pty.Process.Id, ProcessGroup.SigKill), Is.True);
        var exitCode = await run.CompletionAsync();

        Assert.That(exitCode, Is.EqualTo(128 + ProcessGroup.SigKill));
        await Eventually.WaitUntilAsync(() => ProcessTable.WithArgument(marker).Count == 0, "the background child is gone");
    }

    [Test]
    public async Task No_descriptor_of_a_terminal_stays_open_in_the_server_after_its_run()
    {
        var before = TerminalDescriptors();

        for (var i = 0; i < 3; i++)
        {
            var go = Path.Combine(_workingDirectory, "go");
            File.Delete(go);
            await using var run = PtyRun.Start("while [ ! -e go ]; do sleep 0.05; done; echo done", _workingDirectory);
            // While it runs, the server holds the master and its own descriptor of the slave.
            Assert.That(TerminalDescriptors().Except(before), Is.EquivalentTo(new[] { "/dev/ptmx", run.Pty.SlavePath }), "the check sees the terminal while it is open");
            await File.WriteAllTextAsync(go, "");
            Assert.That(await run.CompletionAsync(), Is.Zero);
        }

        Assert.That(TerminalDescriptors(), Is.EquivalentTo(before));
    }

    [Test]
    public async Task The_run_joins_its_cgroup_and_runs_as_the_run_user_on_its_terminal()
    {
        Assert.That(Posix.EffectiveUserId, Is.Zero, "this test needs root, as CI runs it");
        var dataDirectory = Directory.CreateTempSubdirectory("runsstream-pty-data-").FullName;
        var cgroups = RunCgroups.Open(dataDirectory, NullLogger.Instance);
        Assert.That(cgroups.Available, Is.True, "this machine kind has a writable cgroup v2 hierarchy");
        var cgroup = cgroups.Create("pty-run")!;
        var user = RunUser.Resolve(RunUser.DefaultName)!;
        try
        {
            var request = new ProcessStartRequest(
                "id -u; grep -o 'pty-run' /proc/self/cgroup; test -t 1 && echo tty", _workingDirectory, User: user, Cgroup: cgroup);
            await using var run = PtyRun.Start(request);
            var exitCode = await run.CompletionAsync();

            Assert.That(exitCode, Is.Zero, run.Sink.AllText);
            Assert.That(run.Sink.AllText, Is.EqualTo($"{user.Uid}\r\npty-run\r\ntty\r\n"));
        }
        finally
        {
            await cgroup.KillAndRemoveAsync(PtyRun.AwaitTimeout, TimeProvider.System);
            cgroups.RemoveRootIfEmpty();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    // The server's descriptors that are a terminal's master (/dev/ptmx) or slave (/dev/pts/N).
    private static List<string> TerminalDescriptors()
    {
        var found = new List<string>();
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && (target == "/dev/ptmx" || target.StartsWith("/dev/pts/", StringComparison.Ordinal)))
                {
                    found.Add(target);
                }
            }
            catch (IOException)
            {
                // Closed while listed (another thread's file).
            }
        }
        return found;
    }
}
