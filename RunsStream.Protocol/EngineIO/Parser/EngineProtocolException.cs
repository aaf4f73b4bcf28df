namespace RunsStream.Protocol.EngineIO.Parser;

/// <summary>Malformed Engine.IO input. The session that sent it is closed.</summary>
internal sealed class EngineProtocolException(string message) : Exception(message);
