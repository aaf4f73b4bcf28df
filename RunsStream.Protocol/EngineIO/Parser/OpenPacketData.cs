using System.Text.Json;

namespace RunsStream.Protocol.EngineIO.Parser;

/// <summary>
/// The handshake carried by the OPEN packet (engine.io-protocol v4, "Handshake"), with the
/// field names and order the reference server sends.
/// </summary>
internal sealed record OpenPacketData(string Sid, IReadOnlyList<string> Upgrades, int PingInterval, int PingTimeout, int MaxPayload)
{
    public byte[] ToUtf8Json()
    {
        using var stream = new MemoryStream(128);
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("sid"u8, Sid);
            json.WriteStartArray("upgrades"u8);
            foreach (var upgrade in Upgrades)
            {
                json.WriteStringValue(upgrade);
            }
            json.WriteEndArray();
            json.WriteNumber("pingInterval"u8, PingInterval);
            json.WriteNumber("pingTimeout"u8, PingTimeout);
            json.WriteNumber("maxPayload"u8, MaxPayload);
            json.WriteEndObject();
        }
        return stream.ToArray();
    }
}
