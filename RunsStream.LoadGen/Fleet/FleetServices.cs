using System.Diagnostics;

namespace RunsStream.LoadGen.Fleet;

/// <summary>
/// The shared services of the fleet bench, started by scripts/bench --fleet (its own
/// redis-server and PostgreSQL, stopped by pid when it ends) and passed in REDIS_URL and
/// DATABASE_URL. Their pids (REDIS_PID, POSTGRES_PID) let the report show their CPU too: they
/// share the machine's two cores with the nodes and the load generator.
/// </summary>
internal sealed class FleetServices
{
    public required string RedisUrl { get; init; }

    public required string DatabaseUrl { get; init; }

    /// <summary>psql, to empty the database between repetitions.</summary>
    public string Psql { get; init; } = "psql";

    public int? RedisPid { get; init; }

    public int? PostgresPid { get; init; }

    public static FleetServices FromEnvironment()
    {
        string Need(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"--fleet needs {name} (scripts/bench --fleet starts Redis and PostgreSQL and sets it)");
        int? Pid(string name) => int.TryParse(Environment.GetEnvironmentVariable(name), out var pid) ? pid : null;
        var pgBin = Environment.GetEnvironmentVariable("PG_BIN");
        return new FleetServices
        {
            RedisUrl = Need("REDIS_URL"),
            DatabaseUrl = Need("DATABASE_URL"),
            Psql = pgBin is { Length: > 0 } && File.Exists(Path.Combine(pgBin, "psql")) ? Path.Combine(pgBin, "psql") : "psql",
            RedisPid = Pid("REDIS_PID"),
            PostgresPid = Pid("POSTGRES_PID"),
        };
    }

    /// <summary>
    /// Drops every table (the nodes create the schema again when they start): each repetition
    /// starts from an empty database, and gigabytes of earlier runs' events do not pile up.
    /// </summary>
    public async Task ResetDatabaseAsync()
    {
        var info = new ProcessStartInfo(Psql) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-q", "-v", "ON_ERROR_STOP=1", "-d", DatabaseUrl, "-c", "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" })
        {
            info.ArgumentList.Add(arg);
        }
        using var psql = Process.Start(info) ?? throw new InvalidOperationException("cannot start psql");
        var stderr = psql.StandardError.ReadToEndAsync();
        await psql.StandardOutput.ReadToEndAsync();
        await psql.WaitForExitAsync();
        if (psql.ExitCode != 0)
        {
            throw new InvalidOperationException("emptying the fleet database failed: " + (await stderr).Trim());
        }
    }

    /// <summary>CPU seconds of Redis and PostgreSQL (the postmaster and all its backends) so far; 0 for one not known.</summary>
    public double ServicesCpuSeconds() =>
        (RedisPid is { } redis ? Servers.ProcStats.TreeCpuSeconds(redis) : 0) + (PostgresPid is { } pg ? Servers.ProcStats.TreeCpuSeconds(pg) : 0);
}
