using Microsoft.Extensions.Configuration;
using RunsStream.Server.Configuration;

namespace RunsStream.Server.Runs.Execution.Docker;

/// <summary>What every run of the docker executor gets (DOCKER_HOST and DOCKER_IMAGE are <see cref="DockerOptions"/>).</summary>
/// <param name="Limits">DOCKER_MEMORY_BYTES (default 1 GiB), DOCKER_CPUS (default 1), DOCKER_PIDS (default 512).</param>
/// <param name="NetworkAllowed">DOCKER_NETWORK=bridge gives containers the engine's default network; default none (loopback only).</param>
internal sealed record DockerSettings(ContainerLimits Limits, bool NetworkAllowed)
{
    public const long DefaultMemoryBytes = 1L << 30;
    public const double DefaultCpus = 1.0;
    public const int DefaultPids = 512;

    public static DockerSettings Default { get; } = new(new ContainerLimits(DefaultMemoryBytes, (long)(DefaultCpus * 1e9), DefaultPids), false);

    /// <summary>The DOCKER_* settings, read like the others (<see cref="OptionsLoader"/>).</summary>
    /// <exception cref="OptionsException">A setting has a bad value; the message names it.</exception>
    public static DockerSettings Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string? Get(string name) => OptionsLoader.Setting(configuration, name);
        var memory = OptionsLoader.ParseLong("DOCKER_MEMORY_BYTES", Get("DOCKER_MEMORY_BYTES"), DefaultMemoryBytes, 6L * 1024 * 1024, long.MaxValue / 2);
        var pids = OptionsLoader.ParseLong("DOCKER_PIDS", Get("DOCKER_PIDS"), DefaultPids, 8, 4_000_000);
        var cpus = DefaultCpus;
        if (Get("DOCKER_CPUS") is { } cpuText
            && (!double.TryParse(cpuText, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out cpus) || cpus is < 0.01 or > 1024))
        {
            throw new OptionsException($"DOCKER_CPUS must be a number of CPUs from 0.01 to 1024; got \"{cpuText}\".");
        }
        var network = Get("DOCKER_NETWORK") ?? "none";
        if (network is not ("none" or "bridge"))
        {
            throw new OptionsException($"DOCKER_NETWORK must be none or bridge; got \"{network}\".");
        }
        return new DockerSettings(new ContainerLimits(memory, (long)(cpus * 1e9), pids), network == "bridge");
    }
}
