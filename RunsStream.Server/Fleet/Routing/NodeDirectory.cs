using System.Collections.Frozen;

namespace RunsStream.Server.Fleet.Routing;

/// <summary>
/// An <see cref="INodeDirectory"/> held in memory and replaced whole by <see cref="Update"/>:
/// the fleet's heartbeat reader hands it the live nodes after each read, tests and a static
/// cluster hand it a fixed map.
/// </summary>
/// <remarks>
/// Lookups happen on every request that carries a sid this node does not hold, updates a few
/// times a minute: readers take a frozen snapshot without a lock, a writer swaps it.
/// </remarks>
public sealed class NodeDirectory : INodeDirectory
{
    private volatile FrozenDictionary<string, Uri> _nodes = FrozenDictionary<string, Uri>.Empty;

    /// <summary>An empty directory: every tag is unknown until <see cref="Update"/>.</summary>
    public NodeDirectory()
    {
    }

    /// <summary>A directory that starts with <paramref name="nodes"/> (URL by tag).</summary>
    public NodeDirectory(IReadOnlyDictionary<string, Uri> nodes) => Update(nodes);

    /// <summary>Replaces the live nodes with <paramref name="nodes"/> (URL by tag); a tag not in it resolves to null from now on.</summary>
    /// <exception cref="ArgumentException">A URL is not an absolute http or https URL.</exception>
    public void Update(IReadOnlyDictionary<string, Uri> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        foreach (var (tag, url) in nodes)
        {
            if (url is not { IsAbsoluteUri: true } || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"The URL of node tag '{tag}' must be an absolute http or https URL, not '{url}'.", nameof(nodes));
            }
        }
        _nodes = nodes.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public Uri? Resolve(string tag) => _nodes.GetValueOrDefault(tag);
}
