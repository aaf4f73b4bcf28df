namespace RunsStream.Server.Fleet.Routing;

/// <summary>
/// Where the fleet's live nodes are, by tag (<see cref="NodeTags.For"/>): the node that holds an
/// Engine.IO session is the one whose tag its sid starts with. In fleet mode it is fed from the
/// nodes' heartbeats; <see cref="NodeDirectory"/> is a directory updated by its owner.
/// </summary>
public interface INodeDirectory
{
    /// <summary>The base URL of the live node tagged <paramref name="tag"/>; null when no live node has that tag.</summary>
    Uri? Resolve(string tag);
}
