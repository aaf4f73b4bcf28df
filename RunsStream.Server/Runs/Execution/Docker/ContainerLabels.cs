using System.Security.Cryptography;
using System.Text;

namespace RunsStream.Server.Runs.Execution.Docker;

/// <summary>
/// The labels that mark a container as one of ours: after a crash they are all that ties a
/// container on the engine to a run of this server.
/// </summary>
internal static class ContainerLabels
{
    /// <summary>The run's id.</summary>
    public const string Run = "runsstream.run";

    /// <summary>Which server started it: a hash of its data directory (<see cref="OwnerOf"/>).</summary>
    public const string Owner = "runsstream.data";

    /// <summary>
    /// A short stable hash of the server's data directory: two servers on one engine have
    /// different data directories, so neither removes the other's containers at start.
    /// </summary>
    public static string OwnerOf(string dataDirectory)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataDirectory));
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(full));
        return Convert.ToHexStringLower(hash.AsSpan(0, 8));
    }
}
