namespace RunsStream.Server.Runs.Execution.Docker;

/// <summary>Bytes a container wrote to one of its two output streams, in the order written.</summary>
/// <param name="Bytes">Raw bytes (not decoded; a UTF-8 character may be split across chunks). The receiver may keep them.</param>
internal readonly record struct ContainerOutputChunk(OutputStream Stream, ReadOnlyMemory<byte> Bytes);

/// <summary>One of our containers found on the engine (for crash recovery).</summary>
/// <param name="RunId">Its <see cref="ContainerLabels.Run"/> label, or "" when it has none.</param>
/// <param name="State">The engine's state word: created, running, exited, ...</param>
internal sealed record OurContainer(string Id, string RunId, string State);
