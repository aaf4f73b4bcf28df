using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RunsStream.Tests.Support;

/// <summary>
/// A real redis-server (Debian's package, installed by scripts/test) on a free loopback port
/// with a temp folder of its own and no persistence. <see cref="StopAsync"/> and
/// <see cref="StartAsync"/> restart it on the same port (Redis-outage tests); stopped by its
/// pid when disposed.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly string _directory;
    private Process? _process;

    private RedisServer(int port, string directory)
    {
        Port = port;
        _directory = directory;
    }

    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for this instance.</summary>
    public string Configuration => $"127.0.0.1:{Port},abortConnect=false";

    /// <summary>The instance's URL as REDIS_URL takes it.</summary>
    public string Url => $"redis://127.0.0.1:{Port}";

    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Starts an instance on a free loopback port.</summary>
    public static async Task<RedisServer> StartNewAsync()
    {
        var directory = Directory.CreateTempSubdirectory("runsstream-redis-").FullName;
        var server = new RedisServer(FreePorts.Next(), directory);
        try
        {
            await server.StartAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>Starts (again) on <see cref="Port"/>; returns once it accepts connections.</summary>
    public async Task StartAsync()
    {
        if (Pid is not null)
        {
            throw new InvalidOperationException("redis-server is already running.");
        }
        var startInfo = new ProcessStartInfo("redis-server")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory,
        };
        foreach (var arg in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", _directory, "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", Path.Combine(_directory, "redis.log") })
        {
            startInfo.ArgumentList.Add(arg);
        }
        _process = Process.Start(startInfo) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.StandardOutput.ReadToEndAsync().ContinueWith(static _ => { }, TaskScheduler.Default).GetAwaiter();
        _process.StandardError.ReadToEndAsync().ContinueWith(static _ => { }, TaskScheduler.Default).GetAwaiter();
        await Eventually.WaitUntilAsync(async () =>
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with {_process.ExitCode}: {ReadLog()}");
            }
            return await AnswersPingAsync();
        }, $"redis-server to answer on port {Port}", StartTimeout);
    }

    /// <summary>Stops the instance (SIGKILL, as a crash) and waits for its port to close.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process)
        {
            return;
        }
        _process = null;
        if (!process.HasExited)
        {
            process.Kill();
        }
        await process.WaitForExitAsync().WaitAsync(StartTimeout);
        process.Dispose();
    }

    private async Task<bool> AnswersPingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port).WaitAsync(TimeSpan.FromSeconds(5));
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            return read >= 5 && System.Text.Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    private string ReadLog()
    {
        var log = Path.Combine(_directory, "redis.log");
        return File.Exists(log) ? File.ReadAllText(log) : "(no log)";
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
            // A leftover temp folder is harmless.
        }
    }
}
