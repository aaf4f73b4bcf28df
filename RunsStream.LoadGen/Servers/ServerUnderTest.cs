using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace RunsStream.LoadGen.Servers;

/// <summary>Which server a measurement is of.</summary>
internal sealed record ServerKind(string Name, string Label, Func<BenchConfig, ProcessStartInfo> CreateStartInfo)
{
    public static readonly ServerKind Ours = new("ours", "RunsStream (.NET)", config =>
    {
        var server = config.OursDll ?? Path.Combine(config.Root, "RunsStream.Server/bin/Release/net10.0/RunsStream.Server.dll");
        // A build of scripts/publish is an executable of its own (single file or Native AOT).
        if (!server.EndsWith(".dll", StringComparison.Ordinal))
        {
            return new ProcessStartInfo(server) { WorkingDirectory = config.Root };
        }
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = config.Root };
        info.ArgumentList.Add(server);
        return info;
    });

    public static readonly ServerKind Node = new("node", "socket.io 4.8.4 (Node.js)", config =>
    {
        var info = new ProcessStartInfo("node") { WorkingDirectory = Path.Combine(config.Root, "bench") };
        info.ArgumentList.Add("server.js");
        return info;
    });
}

/// <summary>
/// One server process started for one scenario on 127.0.0.1 (any free port), with its own data
/// directory, stopped with SIGTERM afterwards. Both servers get the same environment.
/// </summary>
internal sealed partial class ServerUnderTest : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dataDir;
    private readonly StreamWriter _log;

    private ServerUnderTest(ServerKind kind, Process process, string dataDir, StreamWriter log, Uri url)
    {
        Kind = kind;
        _process = process;
        _dataDir = dataDir;
        _log = log;
        Url = url;
        EndPoint = new IPEndPoint(IPAddress.Loopback, url.Port);
        Stats = new ProcStats(process.Id);
    }

    public ServerKind Kind { get; }

    public Uri Url { get; }

    public IPEndPoint EndPoint { get; }

    public ProcStats Stats { get; }

    public int Pid => _process.Id;

    /// <param name="environment">Settings on top of the common ones (a fleet node's REDIS_URL, DATABASE_URL, NODE_ID, PORT...).</param>
    /// <param name="onLine">Sees every line the server prints (a fleet node's "Claimed run" lines).</param>
    public static async Task<ServerUnderTest> StartAsync(ServerKind kind, BenchConfig config, string scenario,
        IReadOnlyDictionary<string, string>? environment = null, Action<string>? onLine = null)
    {
        var dataDir = Path.Combine(config.WorkDir, $"{kind.Name}-{scenario}-data");
        Directory.CreateDirectory(dataDir);
        var info = kind.CreateStartInfo(config);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var env = info.Environment;
        env.Remove("CORS_ORIGINS");
        env.Remove("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"); // the load generator's setting, not the server's
        // scripts/bench --fleet gives the load generator the fleet's services; a server is a
        // fleet node only when `environment` says so, never by inheriting them.
        foreach (var fleetSetting in new[] { "REDIS_URL", "DATABASE_URL", "NODE_ID", "NODE_URL", "REDIS_PID", "POSTGRES_PID" })
        {
            env.Remove(fleetSetting);
        }
        env["WS_AUTH_TOKEN"] = config.Token;
        env["HOST"] = "127.0.0.1";
        env["PORT"] = "0";
        env["DATA_DIR"] = dataDir;
        env["MAX_CONCURRENT_RUNS"] = "4";
        env["RUN_LOG_MAX_BYTES"] = config.RunLogMaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        env["NODE_ENV"] = "production";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        var log = new StreamWriter(Path.Combine(config.WorkDir, $"{kind.Name}-{scenario}.log")) { AutoFlush = true };
        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start " + info.FileName);
        var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            WriteLog(log, e.Data);
            onLine?.Invoke(e.Data);
            if (ListeningLine().Match(e.Data) is { Success: true } m)
            {
                ready.TrySetResult(new Uri(m.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                WriteLog(log, e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(30)));
        if (first != ready.Task)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            throw new InvalidOperationException($"{kind.Label} did not start; see {Path.Combine(config.WorkDir, $"{kind.Name}-{scenario}.log")}");
        }
        var server = new ServerUnderTest(kind, process, dataDir, log, ready.Task.Result);
        using var http = new HttpClient();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                if ((await http.GetAsync(new Uri(server.Url, "/healthz"))).IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        await server.DisposeAsync();
        throw new InvalidOperationException($"{kind.Label}: /healthz never answered 200");
    }

    public async ValueTask DisposeAsync()
    {
        Stats.Dispose();
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, 15); // SIGTERM: both servers stop their runs
            var exited = _process.WaitForExitAsync();
            if (await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(10))) != exited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        _process.WaitForExit(); // the output handlers have seen the last line
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Server output goes to a log file; a line arriving after the file was closed is dropped.</summary>
    private static void WriteLog(StreamWriter log, string line)
    {
        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    [GeneratedRegex(@"listening on (http://\S+)")]
    private static partial Regex ListeningLine();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
