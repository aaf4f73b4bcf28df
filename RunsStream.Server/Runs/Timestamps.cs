using System.Globalization;

namespace RunsStream.Server.Runs;

/// <summary>UTC times exactly as JavaScript's Date.toISOString() prints them.</summary>
internal static class Timestamps
{
    public static string ToIso(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
