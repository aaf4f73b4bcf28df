using System.Globalization;

namespace RunsStream.LoadGen.Reporting;

internal static class Format
{
    public static string Bytes(long bytes) => bytes switch
    {
        >= BenchConfig.MB when bytes % BenchConfig.MB == 0 => $"{bytes / BenchConfig.MB} MB",
        >= 1024 when bytes % 1024 == 0 => $"{bytes / 1024} KB",
        _ => $"{bytes} B",
    };

    /// <summary>Three significant digits, no exponent.</summary>
    public static string Number(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            return "n/a";
        }
        if (value == 0)
        {
            return "0";
        }
        var abs = Math.Abs(value);
        var format = abs >= 100 ? "0" : abs >= 10 ? "0.0" : abs >= 1 ? "0.00" : abs >= 0.01 ? "0.000" : "0.00000";
        return value.ToString(format, CultureInfo.InvariantCulture);
    }
}
