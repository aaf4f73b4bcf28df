using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace RunsStream.Tests.Support;

/// <summary>
/// The real server as its own process (as scripts/run starts it), for what an in-process host
/// cannot show: kill -9, restart on the same data, the process's memory. Stopped by its pid.
/// </summary>
public sealed partial class ServerProcess : IRunsServer, IAsyncDisposable
{
    private readonly Process _process;
    private string? _serverCopy;

    private ServerProcess(Process process, string url)
    {
        _process = process;
        Url = url;
        Http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(120) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RunsServerHost.Token);
    }

    public string Url { get; }

    public int Pid => _process.Id;

    public HttpClient Http { get; }

    /// <summary>Every line the server has written to stdout so far, in order.</summary>
    public IReadOnlyCollection<string> OutputLines => _output;

    private System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

    // The address ends at a space or, in a JSON log line (LOG_FORMAT=json), at the closing quote.
    [GeneratedRegex(@"RunsStream listening on (http://[^\s""]+)")]
    private static partial Regex ListeningLine();

    /// <param name="dataDirectory">DATA_DIR.</param>
    /// <param name="environment">Variables on top of the defaults; "" removes one.</param>
    /// <param name="asUser">
    /// Runs the server as this account instead of root (the test must be root): its files are
    /// copied to a folder that account can read, and DATA_DIR is given to it.
    /// </param>
    /// <param name="executable">A published build's executable (scripts/publish) instead of the test's RunsStream.Server.dll.</param>
    public static async Task<ServerProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string>? environment = null, string? asUser = null, string? executable = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "RunsStream.Server.dll");
        var startInfo = new ProcessStartInfo(executable ?? (asUser is null ? "dotnet" : "setpriv"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asUser is not null)
        {
            var (uid, gid) = RunsStream.Server.Runs.Execution.Interop.Posix.LookUpUser(asUser)!.Value;
            dll = CopyServerFor(asUser, dataDirectory);
            startInfo.ArgumentList.Add($"--reuid={uid}");
            startInfo.ArgumentList.Add($"--regid={gid}");
            startInfo.ArgumentList.Add("--init-groups");
            startInfo.ArgumentList.Add("dotnet");
            startInfo.Environment["HOME"] = dataDirectory;
            startInfo.Environment["DOTNET_CLI_HOME"] = dataDirectory;
        }
        if (executable is null)
        {
            startInfo.ArgumentList.Add(dll);
        }
        startInfo.Environment["WS_AUTH_TOKEN"] = RunsServerHost.Token;
        startInfo.Environment["HOST"] = "127.0.0.1";
        startInfo.Environment["PORT"] = "0";
        startInfo.Environment["DATA_DIR"] = dataDirectory;
        startInfo.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            if (value.Length == 0)
            {
                startInfo.Environment.Remove(key); // "" unsets one of the defaults above
                continue;
            }
            startInfo.Environment[key] = value;
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("the server did not start");
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } text)
            {
                output.Enqueue(text);
            }
            if (e.Data is { } line && ListeningLine().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(match.Groups[1].Value);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var url = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            return new ServerProcess(process, url) { _serverCopy = asUser is null ? null : Path.GetDirectoryName(dll), _output = output };
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    // The test's output folder may sit below a folder only root can enter (/root): the server's
    // own files go to a fresh folder under /tmp, and DATA_DIR to the account.
    private static string CopyServerFor(string user, string dataDirectory)
    {
        var folder = Directory.CreateTempSubdirectory("runsstream-server-").FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        var source = AppContext.BaseDirectory;
        // The server's own files and every assembly its deps.json names (the test's folder
        // holds them all, with the tests' own beside them).
        var assemblies = ServerAssemblies(Path.Combine(source, "RunsStream.Server.deps.json"));
        foreach (var file in Directory.EnumerateFiles(source))
        {
            var name = Path.GetFileName(file);
            if (name.StartsWith("RunsStream.Server.", StringComparison.Ordinal) || assemblies.Contains(name))
            {
                File.Copy(file, Path.Combine(folder, name));
            }
        }
        foreach (var native in Directory.EnumerateDirectories(Path.Combine(source, "runtimes"), "linux-*"))
        {
            foreach (var file in Directory.EnumerateFiles(native, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(folder, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }
        foreach (var entry in Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(entry, File.GetAttributes(entry).HasFlag(FileAttributes.Directory) ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100);
        }
        var chown = Process.Start("chown", ["-R", user, dataDirectory])!;
        chown.WaitForExit();
        return Path.Combine(folder, "RunsStream.Server.dll");
    }

    private static HashSet<string> ServerAssemblies(string depsJson)
    {
        using var deps = System.Text.Json.JsonDocument.Parse(File.ReadAllText(depsJson));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var target in deps.RootElement.GetProperty("targets").EnumerateObject())
        {
            foreach (var library in target.Value.EnumerateObject())
            {
                if (library.Value.TryGetProperty("runtime", out var runtime))
                {
                    foreach (var asset in runtime.EnumerateObject())
                    {
                        names.Add(Path.GetFileName(asset.Name));
                    }
                }
            }
        }
        return names;
    }

    /// <summary>kill -9: no chance to flush anything.</summary>
    public async Task CrashAsync()
    {
        process_kill(Pid, 9);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGTERM, as a service manager stops it; waits for a clean exit.</summary>
    public async Task<int> StopAsync()
    {
        process_kill(Pid, 15);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return _process.ExitCode;
    }

    /// <summary>Resident memory now (VmRSS), in bytes.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:"))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
            }
        }
        return 0;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int process_kill(int pid, int signal);

    /// <summary>Kills a process group left behind (a run's processes after a crash of the server).</summary>
    public static void KillGroup(int pgid)
    {
        if (pgid > 1)
        {
            process_kill(-pgid, 9);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        _process.Dispose();
        if (_serverCopy is not null)
        {
            Directory.Delete(_serverCopy, recursive: true);
        }
    }
}
