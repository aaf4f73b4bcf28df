using System.Security.Cryptography;
using System.Text;

namespace RunsStream.Protocol.EngineIO.WebSockets;

/// <summary>The opening handshake of RFC 6455 section 4.2: validation and the accept key.</summary>
internal static class WebSocketHandshake
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>Sec-WebSocket-Accept: base64(SHA-1(key + GUID)) (section 4.2.2, step 5.4).</summary>
    public static string ComputeAccept(string key)
    {
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + AcceptGuid), hash);
        return Convert.ToBase64String(hash);
    }

    /// <summary>A valid key is the base64 encoding of 16 bytes (section 4.1).</summary>
    public static bool IsValidKey(string? key)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            return false;
        }
        Span<byte> decoded = stackalloc byte[18];
        return Convert.TryFromBase64String(key.Trim(), decoded, out var written) && written == 16;
    }

    /// <summary>True when a comma-separated header value holds the token, case-insensitively.</summary>
    public static bool HeaderContainsToken(string? value, string token)
    {
        if (value is null)
        {
            return false;
        }
        foreach (var part in value.Split(','))
        {
            if (part.Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
