using System.Net;
using System.Net.Sockets;
using RunsStream.Server.Runs.Execution.Interop;

namespace RunsStream.Tests.Server.Runs.Execution.Sandbox;

/// <summary>
/// What a sandboxed run can see and touch, with real bwrap and real processes. Each test runs
/// the same command unsandboxed first, so it fails if the sandbox stops enforcing it.
/// </summary>
[TestFixture]
public sealed class SandboxIsolationTests
{
    private SandboxHarness _harness = null!;

    [SetUp]
    public void SetUp()
    {
        Assert.That(Posix.EffectiveUserId, Is.Zero, "these tests need root, as CI runs them");
        _harness = new SandboxHarness();
    }

    [TearDown]
    public async Task TearDown() => await _harness.DisposeAsync();

    [Test]
    public async Task A_run_cannot_read_the_servers_data_directory_or_the_hosts_processes()
    {
        var secret = Path.Combine(_harness.DataDirectory, "secret.txt");
        await File.WriteAllTextAsync(secret, "the-server-secret");
        File.SetUnixFileMode(secret, (UnixFileMode)Convert.ToInt32("644", 8));
        var command = $"cat {secret}; cat /proc/1/cmdline | tr '\\0' ' '; echo; ls /root /home";

        var plain = await _harness.RunAsync(command, sandboxed: false);
        var boxed = await _harness.RunAsync(command);

        Assert.That(plain.Output, Does.Contain("the-server-secret"), "control: readable without the sandbox");
        Assert.That(boxed.Output, Does.Not.Contain("the-server-secret"));
        Assert.That(boxed.Output, Does.Contain("No such file"));
        // Its own PID namespace: pid 1 is bwrap's, not the host's init.
        Assert.That(boxed.Output, Does.Contain("bwrap").And.Not.Contain(plain.Output.Split('\n')[1]));
    }

    [Test]
    public async Task The_sandbox_has_a_private_tmp()
    {
        var hostFile = Path.Combine(Path.GetTempPath(), "runsstream-sbx-host-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(hostFile, "host-tmp-content");
        File.SetUnixFileMode(hostFile, (UnixFileMode)Convert.ToInt32("644", 8));
        try
        {
            var command = $"cat {hostFile}; echo mine > /tmp/own && cat /tmp/own";
            var plain = await _harness.RunAsync(command, sandboxed: false);
            var boxed = await _harness.RunAsync(command);

            Assert.That(plain.Output, Does.Contain("host-tmp-content"));
            Assert.That(boxed.Output, Does.Not.Contain("host-tmp-content").And.Contain("mine"));
        }
        finally
        {
            File.Delete(hostFile);
        }
    }

    [Test]
    public async Task A_run_cannot_reach_a_listener_on_the_hosts_loopback()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var command = $"bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}' && echo connected || echo no-connection";

        var plain = await _harness.RunAsync(command, sandboxed: false);
        var boxed = await _harness.RunAsync(command);

        Assert.That(plain.Output, Does.Contain("connected"), "control: the listener is reachable without the sandbox");
        Assert.That(boxed.Output, Does.Contain("no-connection").And.Not.Contain("connected"));
    }

    [Test]
    public async Task Only_the_workspace_is_writable_and_the_host_sees_what_the_run_wrote_there()
    {
        var outside = "/var/tmp/runsstream-sbx-" + Guid.NewGuid().ToString("N");
        try
        {
            var command = $"echo out > {outside} && echo wrote-outside; echo in > inside.txt && echo wrote-inside; touch /usr/runsstream-sbx || true";

            var plain = await _harness.RunAsync(command, sandboxed: false);
            Assert.That(plain.Output, Does.Contain("wrote-outside"), "control: /var/tmp is writable without the sandbox");
            File.Delete(outside);

            var run = _harness.StartSandboxed(command);
            var boxed = await run.FinishAsync();

            Assert.That(boxed.Output, Does.Not.Contain("wrote-outside").And.Contain("wrote-inside").And.Contain("Read-only file system"));
            Assert.That(File.Exists(outside), Is.False);
            Assert.That(await File.ReadAllTextAsync(Path.Combine(run.Workspace, "inside.txt")), Is.EqualTo("in\n"));
        }
        finally
        {
            File.Delete(outside);
        }
    }

    [Test]
    public async Task A_run_works_in_its_workspace_as_the_run_user_with_the_usual_tools()
    {
        var run = _harness.StartSandboxed("pwd; id -u; echo 'b a' | awk '{print $2 $1}'; python3 -c 'print(6*7)'");
        var result = await run.FinishAsync();

        Assert.That(result.ExitCode, Is.Zero, result.Output);
        Assert.That(result.Output.Split('\n'), Is.EqualTo(new[] { run.Workspace, "65534", "ab", "42", "" }));
        Assert.That(result.Reason, Is.Null);
    }
}
