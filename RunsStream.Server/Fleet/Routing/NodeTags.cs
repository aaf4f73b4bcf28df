using System.Security.Cryptography;
using System.Text;

namespace RunsStream.Server.Fleet.Routing;

/// <summary>
/// A node's tag: the first <see cref="Length"/> base64url characters of SHA-256 of its NODE_ID,
/// the prefix (with <see cref="Separator"/>) of every Engine.IO sid the node opens. Derived, not
/// configured, so that a node that restarts with the same NODE_ID keeps its tag and every node
/// computes the same tag for a NODE_ID.
/// </summary>
public static class NodeTags
{
    /// <summary>Characters in a tag: 48 bits, collision-free in practice for a fleet's handful of nodes.</summary>
    public const int Length = 8;

    /// <summary>Ends the tag in a sid. base64url has no '.', so the tag is the text before the first one.</summary>
    public const char Separator = '.';

    /// <summary>The tag of the node <paramref name="nodeId"/>.</summary>
    public static string For(string nodeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(nodeId), hash);
        return Convert.ToBase64String(hash)[..Length].Replace('+', '-').Replace('/', '_');
    }

    /// <summary>The sid prefix of the node <paramref name="nodeId"/>: its tag and the separator.</summary>
    public static string SidPrefixFor(string nodeId) => For(nodeId) + Separator;

    /// <summary>The tag a sid carries (the text before its first '.'), or null for a sid without one.</summary>
    public static string? Of(string sid)
    {
        var end = sid.IndexOf(Separator);
        return end > 0 ? sid[..end] : null;
    }
}
