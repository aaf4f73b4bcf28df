namespace RunsStream.Protocol.EngineIO.Parser;

/// <summary>
/// The Engine.IO v4 packet vocabulary (engine.io-protocol README, "Protocol / Packet").
/// On the wire a text packet is its type digit followed by its data.
/// </summary>
public enum EnginePacketType : byte
{
    /// <summary>Sent by the server on a new session; data is the handshake JSON.</summary>
    Open = 0,
    /// <summary>Either side ends the session.</summary>
    Close = 1,
    /// <summary>Heartbeat request ("2", or "2probe" during an upgrade).</summary>
    Ping = 2,
    /// <summary>Heartbeat answer ("3", or "3probe" during an upgrade).</summary>
    Pong = 3,
    /// <summary>An application message, text or binary.</summary>
    Message = 4,
    /// <summary>Sent by the client on the new transport to complete an upgrade.</summary>
    Upgrade = 5,
    /// <summary>Releases a pending long-polling request during an upgrade.</summary>
    Noop = 6,
}

internal static class EnginePacketTypes
{
    public const byte FirstDigit = (byte)'0';
    public const byte LastDigit = (byte)'6';

    /// <summary>The polling payload separator (engine.io-protocol v4, "Packet encoding / HTTP long-polling").</summary>
    public const byte RecordSeparator = 0x1E;

    /// <summary>Prefix of a base64-encoded binary packet inside a polling payload.</summary>
    public const byte BinaryPrefix = (byte)'b';

    public static byte ToDigit(EnginePacketType type) => (byte)(FirstDigit + (byte)type);

    public static bool TryFromDigit(byte digit, out EnginePacketType type)
    {
        if (digit is >= FirstDigit and <= LastDigit)
        {
            type = (EnginePacketType)(digit - FirstDigit);
            return true;
        }
        type = default;
        return false;
    }
}
