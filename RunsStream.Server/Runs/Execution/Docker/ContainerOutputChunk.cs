namespace RunsStream.Server.Runs.Execution.Docker;

/// <summary>Bytes a container wrote to one of its two output streams, in the order written.</summary>
/// <param name="Bytes">Raw bytes (not decoded; a UTF-8 character may be split across chunks). The receiver may keep them.</param>
internal readonly record struct ContainerOutputChunk(OutputStream Stream, ReadOnlyMemory<byte> Bytes);
