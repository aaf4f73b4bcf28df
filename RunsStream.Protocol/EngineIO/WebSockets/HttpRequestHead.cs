using System.Buffers;
using System.Text;

namespace RunsStream.Protocol.EngineIO.WebSockets;

/// <summary>
/// The request line and headers of an HTTP/1.1 request, parsed from the first bytes of a
/// connection (RFC 9112 section 2). Pure: bytes in, a head out. Used to recognise an Engine.IO
/// WebSocket handshake before the HTTP server sees it; anything this parser does not accept is
/// left to the HTTP server, which answers it properly.
/// </summary>
public sealed class HttpRequestHead
{
    /// <summary>A head longer than this is not taken (the HTTP server applies its own limits).</summary>
    public const int MaxLength = 8 * 1024;

    private HttpRequestHead(string method, string target, string version, Dictionary<string, string> headers)
    {
        Method = method;
        Target = target;
        Version = version;
        Headers = headers;
        var q = target.IndexOf('?');
        Path = q < 0 ? target : target[..q];
        QueryString = q < 0 ? "" : target[(q + 1)..];
    }

    /// <summary>The request method, e.g. "GET".</summary>
    public string Method { get; }

    /// <summary>The request target as sent ("/socket.io/?EIO=4&amp;transport=websocket").</summary>
    public string Target { get; }

    /// <summary>The request target (path and query) as sent.</summary>
    public string Path { get; }

    /// <summary>The query string without its '?'.</summary>
    public string QueryString { get; }

    /// <summary>The HTTP version, e.g. "HTTP/1.1".</summary>
    public string Version { get; }

    /// <summary>Header fields by name (case-insensitive); repeated fields are joined with ", ".</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>The header field <paramref name="name"/> (case-insensitive), or null when absent.</summary>
    public string? this[string name] => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>What <see cref="TryParse"/> found.</summary>
    public enum ParseResult
    {
        /// <summary>The head is not complete yet.</summary>
        Incomplete,

        /// <summary>A complete, well-formed head; <c>end</c> is just past its blank line.</summary>
        Complete,

        /// <summary>Not a well-formed HTTP/1.x request head (or longer than <see cref="MaxLength"/>).</summary>
        Invalid,
    }

    /// <summary>Parses a request head from the start of <paramref name="buffer"/>; <paramref name="end"/> is where the head ended (on <see cref="ParseResult.Complete"/>).</summary>
    public static ParseResult TryParse(ReadOnlySequence<byte> buffer, out HttpRequestHead? head, out SequencePosition end)
    {
        head = null;
        end = buffer.Start;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> headBytes, "\r\n\r\n"u8, advancePastDelimiter: true))
        {
            return buffer.Length >= MaxLength ? ParseResult.Invalid : ParseResult.Incomplete;
        }
        if (headBytes.Length + 4 > MaxLength)
        {
            return ParseResult.Invalid;
        }
        Span<byte> bytes = stackalloc byte[(int)headBytes.Length];
        headBytes.CopyTo(bytes);
        head = Parse(bytes);
        if (head is null)
        {
            return ParseResult.Invalid;
        }
        end = reader.Position;
        return ParseResult.Complete;
    }

    private static HttpRequestHead? Parse(ReadOnlySpan<byte> bytes)
    {
        var lineEnd = bytes.IndexOf("\r\n"u8);
        var requestLine = lineEnd < 0 ? bytes : bytes[..lineEnd];
        var firstSpace = requestLine.IndexOf((byte)' ');
        var lastSpace = requestLine.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace <= firstSpace + 1 || !IsVisibleAscii(requestLine))
        {
            return null;
        }
        var method = Encoding.ASCII.GetString(requestLine[..firstSpace]);
        var target = Encoding.ASCII.GetString(requestLine[(firstSpace + 1)..lastSpace]);
        var version = Encoding.ASCII.GetString(requestLine[(lastSpace + 1)..]);
        if (!version.StartsWith("HTTP/1.", StringComparison.Ordinal) || target.Contains(' ') || !IsToken(method))
        {
            return null;
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var rest = lineEnd < 0 ? ReadOnlySpan<byte>.Empty : bytes[(lineEnd + 2)..];
        while (!rest.IsEmpty)
        {
            var next = rest.IndexOf("\r\n"u8);
            var line = next < 0 ? rest : rest[..next];
            rest = next < 0 ? ReadOnlySpan<byte>.Empty : rest[(next + 2)..];
            var colon = line.IndexOf((byte)':');
            // No obsolete line folding, no whitespace before the colon (RFC 9112 section 5).
            if (colon <= 0 || !IsToken(line[..colon]))
            {
                return null;
            }
            var name = KnownName(line[..colon]) ?? Encoding.ASCII.GetString(line[..colon]);
            var value = Encoding.Latin1.GetString(line[(colon + 1)..].Trim(" \t"u8));
            headers[name] = headers.TryGetValue(name, out var earlier) ? earlier + ", " + value : value;
        }
        return new HttpRequestHead(method, target, version, headers);
    }

    // Header names most handshakes carry: one shared string each instead of one per connection.
    private static readonly string[] KnownNames =
    [
        "Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version",
        "Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol", "Origin", "User-Agent", "Cookie",
        "Authorization", "Accept", "Accept-Encoding", "Accept-Language", "Cache-Control", "Pragma",
        "X-Forwarded-For", "X-Forwarded-Proto", "X-Real-IP",
    ];

    private static string? KnownName(ReadOnlySpan<byte> name)
    {
        foreach (var known in KnownNames)
        {
            if (name.Length == known.Length && Ascii.EqualsIgnoreCase(name, known))
            {
                return known;
            }
        }
        return null;
    }

    private static bool IsVisibleAscii(ReadOnlySpan<byte> span)
    {
        foreach (var b in span)
        {
            if (b < 0x20 || b >= 0x7F)
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsToken(ReadOnlySpan<byte> span)
    {
        foreach (var b in span)
        {
            if (b <= 0x20 || b >= 0x7F || "\"(),/:;<=>?@[\\]{}"u8.Contains(b))
            {
                return false;
            }
        }
        return !span.IsEmpty;
    }

    private static bool IsToken(string value) => IsToken(Encoding.ASCII.GetBytes(value));
}
