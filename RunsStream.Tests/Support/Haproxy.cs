using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RunsStream.Tests.Support;

/// <summary>
/// A real haproxy (the Debian package, installed by scripts/lib/haproxy.sh when missing) on a
/// free loopback port, round-robin over the given backends with the configuration
/// scripts/cluster uses (written by the same shell function). Stopped by its pid.
/// </summary>
public sealed class Haproxy : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly string _directory;

    private Haproxy(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Url = $"http://127.0.0.1:{port}";
    }

    /// <summary>The balancer's URL, without a trailing slash.</summary>
    public string Url { get; }

    public int Pid => _process.Id;

    /// <summary>Starts haproxy over <paramref name="backends"/> (URLs such as http://127.0.0.1:5001).</summary>
    public static async Task<Haproxy> StartAsync(IEnumerable<string> backends)
    {
        var servers = backends.Select(b => new Uri(b)).Select(u => $"{u.Host}:{u.Port}").ToArray();
        await Shell("ensure_haproxy", TimeSpan.FromMinutes(5));
        var directory = Path.Combine(Path.GetTempPath(), "runsstream-tests", "haproxy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "haproxy.cfg");
        // The port is free when chosen; another process may take it before haproxy binds it,
        // so a start whose bind failed is tried again on another port.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePorts.Next();
            await Shell($"write_haproxy_config '{config}' {port} {string.Join(' ', servers)}", TimeSpan.FromSeconds(30));
            var process = Process.Start(new ProcessStartInfo("haproxy", ["-db", "-f", config])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            }) ?? throw new InvalidOperationException("haproxy did not start");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var haproxy = new Haproxy(process, directory, port);
            if (await haproxy.WaitListeningAsync(port))
            {
                return haproxy;
            }
            await haproxy.StopAsync();
            if (attempt == 3)
            {
                Directory.Delete(directory, recursive: true);
                throw new InvalidOperationException($"haproxy did not listen on a free port in {attempt} attempts");
            }
        }
    }

    private async Task<bool> WaitListeningAsync(int port)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout && !_process.HasExited)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(5));
                return true;
            }
            catch (Exception ex) when (ex is SocketException or TimeoutException)
            {
                // Not bound yet: haproxy reads its config and binds within milliseconds.
                await Task.WhenAny(_process.WaitForExitAsync(), Task.Delay(50));
            }
        }
        return false;
    }


    private static async Task Shell(string command, TimeSpan timeout)
    {
        var script = Path.Combine(RepoPaths.Root, "scripts", "lib", "haproxy.sh");
        using var process = Process.Start(new ProcessStartInfo("bash", ["-c", $"source '{script}' && {command}"])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("bash did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(timeout);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/lib/haproxy.sh {command} failed: {await stderr}");
        }
    }

    private async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        _process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
