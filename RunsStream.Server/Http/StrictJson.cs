using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using RunsStream.Server.Runs;

namespace RunsStream.Server.Http;

/// <summary>
/// Parses a whole request body as exactly one JSON value (RFC 8259), stricter than
/// System.Text.Json's defaults wherever leniency would let the server act on something other
/// than what the client (or a proxy, or a log) sees:
/// <list type="bullet">
/// <item>the text must be UTF-8 (section 8.1); System.Text.Json only notices bad bytes when a
/// string is read, which surfaced as a 500;</item>
/// <item>nothing but whitespace may follow the value (section 2); reading one value and ignoring
/// the rest ran <c>{"command":"echo hi"} xx</c>;</item>
/// <item>names must be unique (section 4): readers disagree on which twin wins, so a twin is
/// refused rather than guessed;</item>
/// <item>a <c>\uXXXX</c> escape may not leave a surrogate unpaired (section 8.2): such a string
/// has no UTF-8 form to store, log or pass to a process.</item>
/// </list>
/// Pure: bytes in, an element (or a 400 <see cref="RunsException"/>) out.
/// </summary>
internal static class StrictJson
{
    /// <summary>Nesting deeper than any body of this API, and far below what recursion could overflow.</summary>
    public const int MaxDepth = 32;

    public static JsonElement Parse(ReadOnlySequence<byte> body)
    {
        // Bodies are bounded by MaxBodyBytes, so one contiguous copy of a multi-segment body is
        // cheap and lets every check below see whole characters.
        ReadOnlyMemory<byte> bytes = body.IsSingleSegment ? body.First : body.ToArray();
        var span = bytes.Span;
        if (span.IsEmpty)
        {
            throw RunsException.BadRequest("The request body is empty; JSON expected");
        }
        if (!Utf8.IsValid(span))
        {
            throw RunsException.BadRequest($"The request body is not valid UTF-8 (first bad byte at offset {FirstInvalidByte(span)}); JSON text must be UTF-8");
        }
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = MaxDepth, AllowDuplicateProperties = false });
            RefuseUnpairedSurrogates(span);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw RunsException.BadRequest("The request body is not valid JSON: " + ex.Message);
        }
    }

    /// <summary>The offset of the first byte that starts no valid UTF-8 sequence (slow path, errors only).</summary>
    private static int FirstInvalidByte(ReadOnlySpan<byte> text)
    {
        var offset = 0;
        while (offset < text.Length && Rune.DecodeFromUtf8(text[offset..], out _, out var consumed) == OperationStatus.Done)
        {
            offset += consumed;
        }
        return offset;
    }

    /// <summary>
    /// Only an escape can produce a lone surrogate once the bytes are valid UTF-8, so only
    /// escaped strings and names are decoded; the document is already known to be well formed.
    /// </summary>
    private static void RefuseUnpairedSurrogates(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped)
            {
                continue;
            }
            try
            {
                reader.GetString();
            }
            catch (InvalidOperationException)
            {
                throw RunsException.BadRequest($"The request body has a \\u escape that leaves a UTF-16 surrogate unpaired (string at offset {reader.TokenStartIndex}); such text has no UTF-8 form");
            }
        }
    }
}
