using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using RunsStream.Server.Runs.Execution.Docker;
using static RunsStream.Tests.Server.Runs.Execution.Docker.ContainerRuns;

namespace RunsStream.Tests.Server.Runs.Execution.Docker;

/// <summary>Network off, memory and process limits, on the real podman engine.</summary>
public sealed class DockerContainerLimitsTests
{
    [Test]
    public async Task Without_network_the_container_cannot_reach_a_port_of_the_host()
    {
        var (listener, address) = ListenOnHostAddress();
        using var _ = listener;
        using var runner = DockerEngineSetUp.Runner();
        var command = $"ls /sys/class/net; echo x | nc -w 5 {address} {((IPEndPoint)listener.LocalEndpoint).Port} && echo reached";

        var result = await RunAsync(runner, Shell(command, NewWorkspace(), network: false));

        Assert.That(result.Stdout, Is.EqualTo("lo\n"), "only a loopback interface; stderr: " + result.Stderr);
        Assert.That(result.Stderr, Does.Contain("can't connect"));
    }

    [Test]
    public async Task With_network_allowed_the_same_port_is_reached()
    {
        // The control of the test above: the host's port is reachable from a container at all.
        var (listener, address) = ListenOnHostAddress();
        using var _ = listener;
        using var runner = DockerEngineSetUp.Runner();
        var command = $"echo x | nc -w 5 {address} {((IPEndPoint)listener.LocalEndpoint).Port} && echo reached";

        var result = await RunAsync(runner, Shell(command, NewWorkspace(), network: true));

        Assert.That(result.Stdout, Is.EqualTo("reached\n"), "stderr: " + result.Stderr);
    }

    [Test]
    public async Task A_memory_hog_is_killed_at_the_memory_limit_with_the_reason_said()
    {
        using var runner = DockerEngineSetUp.Runner();
        // 200 MB in a shell variable: fine without a limit (bounded), fatal under 48 MiB.
        var result = await RunAsync(runner, Shell(
            "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived ${#x}", NewWorkspace(),
            new ContainerLimits(MemoryBytes: 48L << 20)));

        Assert.Multiple(() =>
        {
            Assert.That(result.Stdout, Does.Not.Contain("survived"));
            Assert.That(result.Exit.ExitCode, Is.Not.EqualTo(0));
            Assert.That(result.Exit.Reason, Does.Contain("memory").And.Contain("48 MiB"), $"exit {result.Exit}");
        });
    }

    [Test]
    public async Task A_fork_bomb_meets_the_process_limit()
    {
        using var runner = DockerEngineSetUp.Runner();
        // Bounded (300 short sleeps), so a missing limit shows as a failed assertion, not a
        // dead machine. echo is a builtin (no fork) that counts the children started; the
        // shell gives up at the first fork that fails.
        var result = await RunAsync(runner, Shell(
            "i=0; while [ $i -lt 300 ]; do sleep 5 & i=$((i+1)); echo $i; done",
            NewWorkspace(), new ContainerLimits(Pids: 32)));

        var started = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).DefaultIfEmpty(0).Max();
        Assert.That(started, Is.InRange(1, 32), "stderr: " + result.Stderr);
        Assert.That(result.Stderr, Does.Contain("can't fork"));
        Assert.That(result.Exit.ExitCode, Is.Not.EqualTo(0));
    }

    private static (TcpListener Listener, IPAddress Address) ListenOnHostAddress()
    {
        // Not loopback: a container's own loopback is not the host's, with or without network.
        var address = NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback
                        && !i.Name.StartsWith("cni", StringComparison.Ordinal) && !i.Name.StartsWith("veth", StringComparison.Ordinal))
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .First(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        // Accept and drop, so the container's nc sees a completed connection.
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    using var client = await listener.AcceptTcpClientAsync();
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        });
        return (listener, address);
    }
}
