using System.Globalization;

namespace RunsStream.Server.Runs.Execution.Sandbox;

/// <summary>The words a run's status gets when a sandbox limit ended it.</summary>
internal static class SandboxLimitReason
{
    private const int SigXcpu = 24;
    private const int SigXfsz = 25;

    public static string Memory(SandboxLimits limits) => $"memory limit reached ({Bytes(limits.MemoryBytes)})";

    public static string Processes(SandboxLimits limits) =>
        string.Create(CultureInfo.InvariantCulture, $"process limit reached ({limits.Processes})");

    public static string CpuTime(SandboxLimits limits) =>
        string.Create(CultureInfo.InvariantCulture, $"CPU time limit reached ({limits.CpuSeconds} s)");

    public static string FileSize(SandboxLimits limits) => $"file size limit reached ({Bytes(limits.FileBytes)})";

    /// <summary>
    /// The reason a run's exit status shows: 128 + SIGXCPU or SIGXFSZ, which the kernel sends at
    /// those rlimits (bwrap passes a signalled command's status on as 128 + signal). A command
    /// that exits 152 or 153 by itself is indistinguishable; no other program uses these.
    /// </summary>
    public static string? FromExitCode(int exitCode, SandboxLimits limits) => exitCode switch
    {
        128 + SigXcpu => CpuTime(limits),
        128 + SigXfsz => FileSize(limits),
        _ => null,
    };

    private static string Bytes(long bytes)
    {
        const long KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024;
        return bytes switch
        {
            _ when bytes % GiB == 0 => Format(bytes / GiB, "GiB"),
            _ when bytes % MiB == 0 => Format(bytes / MiB, "MiB"),
            _ when bytes % KiB == 0 => Format(bytes / KiB, "KiB"),
            _ => Format(bytes, "bytes"),
        };
    }

    private static string Format(long amount, string unit) => string.Create(CultureInfo.InvariantCulture, $"{amount} {unit}");
}
