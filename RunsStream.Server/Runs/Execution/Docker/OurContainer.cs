namespace RunsStream.Server.Runs.Execution.Docker;

/// <summary>One of our containers found on the engine (for crash recovery).</summary>
/// <param name="RunId">Its <see cref="ContainerLabels.Run"/> label, or "" when it has none.</param>
/// <param name="State">The engine's state word: created, running, exited, ...</param>
internal sealed record OurContainer(string Id, string RunId, string State);
