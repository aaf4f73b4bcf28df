using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace RunsStream.LoadGen.Client;

/// <summary>What an Engine.IO packet asks of the client.</summary>
internal enum PacketKind
{
    Other,
    Open,
    Ping,
    Close,
    Connected,
    ConnectError,
    Event,
    Ack,
}

/// <summary>
/// Reads Engine.IO/Socket.IO text packets without parsing JSON: a run-event is scanned for
/// <c>"seq":</c>, <c>"type":"</c> and the <c>"data":"</c> string, whose decoded UTF-8 length is
/// counted by skipping to the next quote or backslash (vectorized). In latency mode the data's
/// lines (a writer timestamp in microseconds, "1764061234567.123") are compared to the clock.
/// </summary>
internal static class PacketScanner
{
    private static readonly SearchValues<byte> QuoteOrBackslash = SearchValues.Create("\"\\"u8);

    public static PacketKind Handle(ReadOnlySpan<byte> packet, Subscriber subscriber, List<int>? latencies, long nowMicros)
    {
        if (packet.IsEmpty)
        {
            return PacketKind.Other;
        }
        switch (packet[0])
        {
            case (byte)'0':
                return PacketKind.Open;
            case (byte)'1':
                return PacketKind.Close;
            case (byte)'2':
                return PacketKind.Ping;
            case (byte)'4':
                break;
            default:
                return PacketKind.Other;
        }
        if (packet.Length < 2)
        {
            return PacketKind.Other;
        }
        switch (packet[1])
        {
            case (byte)'0':
                return PacketKind.Connected;
            case (byte)'4':
                subscriber.Fail("connect refused: " + Encoding.UTF8.GetString(packet));
                return PacketKind.ConnectError;
            case (byte)'3':
                var text = Encoding.UTF8.GetString(packet);
                subscriber.OnSubscribeAck(text.Contains("\"ok\":true", StringComparison.Ordinal), text);
                return PacketKind.Ack;
            case (byte)'2':
                var body = AfterNamespace(packet[2..]);
                if (body.StartsWith("[\"run-event\","u8))
                {
                    ScanRunEvent(body[13..], subscriber, latencies, nowMicros);
                }
                return PacketKind.Event;
            default:
                return PacketKind.Other;
        }
    }

    /// <summary>A packet's rest after its namespace ("/runs,"), which Socket.IO writes for any namespace but "/".</summary>
    private static ReadOnlySpan<byte> AfterNamespace(ReadOnlySpan<byte> rest)
    {
        if (rest.IsEmpty || rest[0] != (byte)'/')
        {
            return rest;
        }
        var comma = rest.IndexOf((byte)',');
        return comma < 0 ? ReadOnlySpan<byte>.Empty : rest[(comma + 1)..];
    }

    private static void ScanRunEvent(ReadOnlySpan<byte> json, Subscriber subscriber, List<int>? latencies, long nowMicros)
    {
        var at = json.IndexOf("\"seq\":"u8);
        if (at < 0)
        {
            subscriber.Fail("run-event without seq");
            return;
        }
        json = json[(at + 6)..];
        if (!Utf8Parser.TryParse(json, out long seq, out var consumed))
        {
            subscriber.Fail("run-event with a bad seq");
            return;
        }
        json = json[consumed..];
        at = json.IndexOf("\"type\":\""u8);
        if (at < 0)
        {
            subscriber.Fail("run-event without type");
            return;
        }
        json = json[(at + 8)..];
        var isStatus = json.StartsWith("status\""u8);
        at = json.IndexOf("\"data\":\""u8);
        if (at < 0)
        {
            subscriber.Fail("run-event without data");
            return;
        }
        json = json[(at + 8)..];
        string? status = null;
        long bytes;
        if (isStatus)
        {
            var end = json.IndexOf((byte)'"');
            status = Encoding.ASCII.GetString(json[..end]);
            bytes = end;
        }
        else if (latencies is not null)
        {
            bytes = ScanTimestampLines(json, subscriber, latencies, nowMicros);
        }
        else
        {
            bytes = CountStringBytes(json);
        }
        subscriber.OnEvent(seq, isStatus, bytes, status);
    }

    /// <summary>The UTF-8 length of the JSON string starting at <paramref name="s"/> (after its opening quote).</summary>
    public static long CountStringBytes(ReadOnlySpan<byte> s)
    {
        long bytes = 0;
        while (true)
        {
            var at = s.IndexOfAny(QuoteOrBackslash);
            if (at < 0)
            {
                return bytes + s.Length; // unterminated: count what is there
            }
            bytes += at;
            if (s[at] == (byte)'"')
            {
                return bytes;
            }
            // An escape: \uXXXX is one UTF-16 unit; a surrogate pair is 4 bytes in all.
            if (s[at + 1] == (byte)'u')
            {
                Utf8Parser.TryParse(s.Slice(at + 2, 4), out ushort unit, out _, 'X');
                bytes += unit switch
                {
                    < 0x80 => 1,
                    < 0x800 => 2,
                    >= 0xD800 and < 0xDC00 => 4,
                    >= 0xDC00 and < 0xE000 => 0,
                    _ => 3,
                };
                s = s[(at + 6)..];
            }
            else
            {
                bytes += 1;
                s = s[(at + 2)..];
            }
        }
    }

    /// <summary>Parses "&lt;micros with a decimal point&gt;\n" lines, recording now minus each; returns the data's byte count.</summary>
    private static long ScanTimestampLines(ReadOnlySpan<byte> s, Subscriber subscriber, List<int> latencies, long nowMicros)
    {
        long bytes = 0;
        var value = subscriber.PartialLineMicros;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == (byte)'"')
            {
                break;
            }
            bytes++;
            if (c is >= (byte)'0' and <= (byte)'9')
            {
                value = value * 10 + (c - '0');
            }
            else if (c == (byte)'\\')
            {
                i++; // "\n" ends the line
                if (value > 0)
                {
                    latencies.Add((int)Math.Clamp(nowMicros - value, int.MinValue, int.MaxValue));
                }
                value = 0;
            }
        }
        subscriber.PartialLineMicros = value;
        return bytes;
    }
}
