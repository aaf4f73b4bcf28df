namespace RunsStream.Server.Fleet.Routing;

/// <summary>
/// Sid routing for a node of a fleet: the node's sids carry its tag
/// (<see cref="NodeTags.For"/> of <paramref name="NodeId"/>), and a request for another node's
/// sid is forwarded to the URL <paramref name="Nodes"/> gives for that sid's tag.
/// </summary>
/// <param name="NodeId">NODE_ID: this node's name, stable across restarts.</param>
/// <param name="Nodes">The live nodes of the fleet, by tag.</param>
public sealed record SessionRouting(string NodeId, INodeDirectory Nodes)
{
    /// <summary>This node's tag.</summary>
    public string Tag { get; } = NodeTags.For(NodeId);

    /// <summary>What this node's Engine.IO sids start with: <see cref="Tag"/> and '.'.</summary>
    public string SidPrefix => Tag + NodeTags.Separator;
}
