using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace RunsStream.Tests.Support;

/// <summary>
/// A real PostgreSQL 15 for tests: its own data directory in a temp folder, owned by the
/// <c>postgres</c> user (PostgreSQL refuses to run as root), listening on a free loopback port
/// only (no unix socket). <see cref="Shared"/> is one instance for the whole test run, stopped
/// by its pid at the end (<see cref="PostgresServerTeardown"/>); a test that stops and restarts
/// PostgreSQL starts its own with <see cref="StartAsync"/>.
/// </summary>
/// <remarks>
/// The postmaster is started through <c>setpriv</c>, which execs it: the pid we hold is the
/// postmaster's own, and stopping it is a fast shutdown (SIGINT), which ends its backends too.
/// fsync is off (a test machine's crash loses nothing of value); commits stay synchronous, so
/// what a commit acknowledged survives the stop and start of a test.
/// </remarks>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>Debian's PostgreSQL 15 (scripts/lib/postgres.sh installs it when missing).</summary>
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly SemaphoreSlim SharedLock = new(1, 1);
    private static PostgresServer? _shared;

    private readonly StringBuilder _log = new();
    private Process? _process;

    private PostgresServer(string directory, int port)
    {
        Directory = directory;
        Port = port;
    }

    /// <summary>The temp folder; the data directory is its <c>data</c> subfolder.</summary>
    public string Directory { get; }

    public int Port { get; }

    /// <summary>The postmaster's pid while it runs.</summary>
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>A connection string to the <c>postgres</c> database (for administration).</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    /// <summary>What PostgreSQL wrote, for a failing test's message.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The instance shared by the test run, started at first use.</summary>
    public static async Task<PostgresServer> SharedAsync()
    {
        await SharedLock.WaitAsync();
        try
        {
            return _shared ??= await StartAsync();
        }
        finally
        {
            SharedLock.Release();
        }
    }

    internal static async Task StopSharedAsync()
    {
        if (_shared is { } shared)
        {
            _shared = null;
            await shared.DisposeAsync();
        }
    }

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = "postgres",
            Database = database,
            // Tests make many small pools; idle connections go back quickly.
            ConnectionIdleLifetime = 10,
            Timeout = 10,
        }.ToString();

    /// <summary>A new empty database (one per test class or test); returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "rs_" + Guid.NewGuid().ToString("N")[..16];
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>Initializes a data directory in a new temp folder and starts PostgreSQL on a free loopback port.</summary>
    public static async Task<PostgresServer> StartAsync()
    {
        if (!File.Exists(Path.Combine(BinDirectory, "postgres")))
        {
            Assert.Fail($"PostgreSQL 15 is missing in {BinDirectory}: scripts/test installs it (scripts/lib/postgres.sh)");
        }
        var directory = System.IO.Directory.CreateTempSubdirectory("rs-pg-").FullName;
        await RunAsync("chown", ["-R", "postgres:postgres", directory]);
        var server = new PostgresServer(directory, FreePorts.Next());
        await RunAsync("setpriv", [.. AsPostgres, Path.Combine(BinDirectory, "initdb"),
            "-D", server.DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
        await server.StartAgainAsync();
        return server;
    }

    private static readonly string[] AsPostgres = ["--reuid=postgres", "--regid=postgres", "--init-groups", "--"];

    private string DataDirectory => Path.Combine(Directory, "data");

    /// <summary>Starts the postmaster on the same data directory and port (after <see cref="StopAsync"/>).</summary>
    public async Task StartAgainAsync()
    {
        if (Pid is not null)
        {
            throw new InvalidOperationException("PostgreSQL is already running");
        }
        var start = new ProcessStartInfo("setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[.. AsPostgres, Path.Combine(BinDirectory, "postgres"), "-D", DataDirectory,
            "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off",
            "-c", "max_connections=300", "-c", "shared_buffers=32MB"])
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("setpriv did not start");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await WaitUntilReadyAsync();
    }

    /// <summary>Stops the postmaster by its pid (fast shutdown) and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }
        kill(process.Id, 2); // SIGINT: fast shutdown, backends end and the data is checkpointed
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is not worth failing a test run for.
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(AdminConnectionString + ";Pooling=false");
                await connection.OpenAsync();
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
            {
                if (_process!.HasExited || DateTime.UtcNow > deadline)
                {
                    Assert.Fail($"PostgreSQL did not start on port {Port}: {ex.Message}\n{Log}");
                }
                await Task.Delay(100);
            }
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }


    private static async Task RunAsync(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            Assert.Fail($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
