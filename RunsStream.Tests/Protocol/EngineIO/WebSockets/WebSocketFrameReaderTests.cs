using System.Buffers;
using RunsStream.Protocol.EngineIO.WebSockets;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO.WebSockets;

/// <summary>Decoding of client frames (RFC 6455 section 5): "need more" versus a value versus a protocol error.</summary>
[TestFixture]
public sealed class WebSocketFrameReaderTests
{
    private const long Max = 1_000_000;

    private static byte[] Payload(int length)
    {
        var payload = new byte[length];
        new Random(length).NextBytes(payload);
        return payload;
    }

    private static WebSocketFrame ReadOne(byte[] bytes, long max = Max)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.That(WebSocketFrameReader.TryRead(ref buffer, max, out var frame), Is.True);
        Assert.That(buffer.IsEmpty, Is.True, "the whole frame is consumed");
        return frame;
    }

    private static WebSocketProtocolException Rejects(byte[] bytes, long max = Max)
    {
        return Assert.Throws<WebSocketProtocolException>(() =>
        {
            var buffer = new ReadOnlySequence<byte>(bytes);
            WebSocketFrameReader.TryRead(ref buffer, max, out _);
        })!;
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(7)]
    [TestCase(8)]
    [TestCase(125)]
    [TestCase(126)]
    [TestCase(65535)]
    [TestCase(65536)]
    [TestCase(300_001)]
    public void A_masked_frame_of_any_length_decodes_to_its_unmasked_payload(int length)
    {
        var payload = Payload(length);

        var frame = ReadOne(RawFrames.Client(RawFrames.Fin | RawFrames.Binary, payload));

        Assert.That(frame.Fin, Is.True);
        Assert.That(frame.Opcode, Is.EqualTo(WebSocketOpcode.Binary));
        Assert.That(frame.Payload, Is.EqualTo(payload));
    }

    [Test]
    public void Every_mask_key_and_payload_length_up_to_40_unmask_correctly()
    {
        var random = new Random(6455);
        for (var length = 0; length <= 40; length++)
        {
            var payload = Payload(length);
            var mask = (uint)random.Next();
            var frame = ReadOne(RawFrames.Client(RawFrames.Fin | RawFrames.Text, payload, maskKey: mask));
            Assert.That(frame.Payload, Is.EqualTo(payload), $"length {length} mask {mask:X8}");
        }
    }

    [TestCase(0)]
    [TestCase(5)]
    [TestCase(125)]
    [TestCase(126)]
    [TestCase(1000)]
    public void A_frame_cut_at_any_byte_needs_more_until_it_is_complete(int length)
    {
        var payload = Payload(length);
        var bytes = RawFrames.Client(RawFrames.Fin | RawFrames.Text, payload);

        for (var cut = 0; cut < bytes.Length; cut++)
        {
            var partial = new ReadOnlySequence<byte>(bytes, 0, cut);
            Assert.That(WebSocketFrameReader.TryRead(ref partial, Max, out _), Is.False, $"{cut} of {bytes.Length} bytes");
            Assert.That(partial.Length, Is.EqualTo(cut), "nothing is consumed while more is needed");
        }
        Assert.That(ReadOne(bytes).Payload, Is.EqualTo(payload));
    }

    [Test]
    public void A_64_KiB_frame_cut_at_any_byte_needs_more_until_it_is_complete()
    {
        var payload = Payload(65536);
        var bytes = RawFrames.Client(RawFrames.Fin | RawFrames.Binary, payload);

        for (var cut = 0; cut < bytes.Length; cut++)
        {
            var partial = new ReadOnlySequence<byte>(bytes, 0, cut);
            if (WebSocketFrameReader.TryRead(ref partial, Max, out _))
            {
                Assert.Fail($"decoded a frame from {cut} of {bytes.Length} bytes");
            }
        }
        Assert.That(ReadOne(bytes).Payload, Is.EqualTo(payload));
    }

    [TestCase(0)]
    [TestCase(126)]
    [TestCase(70000)]
    public void A_frame_split_into_two_segments_at_any_byte_decodes_the_same(int length)
    {
        var payload = Payload(length);
        var bytes = RawFrames.Client(RawFrames.Fin | RawFrames.Binary, payload);
        var cuts = length > 1000 ? Enumerable.Range(1, 20).Concat([bytes.Length / 2, bytes.Length - 1]) : Enumerable.Range(1, bytes.Length - 1);

        foreach (var cut in cuts)
        {
            var buffer = RawFrames.Segmented(bytes[..cut], bytes[cut..]);
            Assert.That(WebSocketFrameReader.TryRead(ref buffer, Max, out var frame), Is.True, $"cut at {cut}");
            Assert.That(frame.Payload, Is.EqualTo(payload), $"cut at {cut}");
            Assert.That(buffer.IsEmpty, Is.True);
        }
    }

    [Test]
    public void Two_frames_in_one_buffer_are_read_one_after_the_other()
    {
        var bytes = RawFrames.ClientText("4hello").Concat(RawFrames.ClientText("4world")).ToArray();
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.That(WebSocketFrameReader.TryRead(ref buffer, Max, out var first), Is.True);
        Assert.That(WebSocketFrameReader.TryRead(ref buffer, Max, out var second), Is.True);
        Assert.That(WebSocketFrameReader.TryRead(ref buffer, Max, out _), Is.False);
        Assert.That(System.Text.Encoding.UTF8.GetString(first.Payload), Is.EqualTo("4hello"));
        Assert.That(System.Text.Encoding.UTF8.GetString(second.Payload), Is.EqualTo("4world"));
    }

    [Test]
    public void A_non_final_data_frame_and_its_continuation_keep_their_flags()
    {
        var first = ReadOne(RawFrames.Client(RawFrames.Text, "4he"u8));
        var last = ReadOne(RawFrames.Client(RawFrames.Fin, "llo"u8));

        Assert.That((first.Fin, first.Opcode), Is.EqualTo((false, WebSocketOpcode.Text)));
        Assert.That((last.Fin, last.Opcode), Is.EqualTo((true, WebSocketOpcode.Continuation)));
    }

    [Test]
    public void Control_frames_up_to_125_bytes_are_accepted()
    {
        Assert.That(ReadOne(RawFrames.Client(RawFrames.Fin | RawFrames.Ping, Payload(125))).IsControl, Is.True);
        Assert.That(ReadOne(RawFrames.Client(RawFrames.Fin | RawFrames.Close, new byte[] { 0x03, 0xE8 })).Opcode, Is.EqualTo(WebSocketOpcode.Close));
        Assert.That(ReadOne(RawFrames.Client(RawFrames.Fin | RawFrames.Pong, [])).Opcode, Is.EqualTo(WebSocketOpcode.Pong));
    }

    [Test]
    public void An_unmasked_client_frame_is_a_protocol_error()
    {
        var error = Rejects(RawFrames.Client(RawFrames.Fin | RawFrames.Text, "4hello"u8, masked: false));

        Assert.That(error.CloseCode, Is.EqualTo(WebSocketCloseCodes.ProtocolError));
    }

    [TestCase(0x40)]
    [TestCase(0x20)]
    [TestCase(0x10)]
    [TestCase(0x70)]
    public void A_frame_with_a_reserved_bit_set_is_a_protocol_error(int rsv)
    {
        var error = Rejects(RawFrames.Client((byte)(RawFrames.Fin | rsv | RawFrames.Text), "4hello"u8));

        Assert.That(error.CloseCode, Is.EqualTo(WebSocketCloseCodes.ProtocolError));
    }

    [TestCase(0x3)]
    [TestCase(0x4)]
    [TestCase(0x7)]
    [TestCase(0xB)]
    [TestCase(0xF)]
    public void A_frame_with_an_unknown_opcode_is_a_protocol_error(int opcode)
    {
        var error = Rejects(RawFrames.Client((byte)(RawFrames.Fin | opcode), "x"u8));

        Assert.That(error.CloseCode, Is.EqualTo(WebSocketCloseCodes.ProtocolError));
    }

    [TestCase(RawFrames.Ping)]
    [TestCase(RawFrames.Pong)]
    [TestCase(RawFrames.Close)]
    public void A_fragmented_control_frame_is_a_protocol_error(byte opcode)
    {
        var error = Rejects(RawFrames.Client(opcode, new byte[] { 0x03, 0xE8 }));

        Assert.That(error.CloseCode, Is.EqualTo(WebSocketCloseCodes.ProtocolError));
    }

    [TestCase(RawFrames.Ping)]
    [TestCase(RawFrames.Close)]
    public void A_control_frame_over_125_bytes_is_a_protocol_error(byte opcode)
    {
        var error = Rejects(RawFrames.Client((byte)(RawFrames.Fin | opcode), Payload(126)));

        Assert.That(error.CloseCode, Is.EqualTo(WebSocketCloseCodes.ProtocolError));
    }

    [Test]
    public void A_frame_over_the_maximum_payload_is_too_big_as_soon_as_its_header_is_read()
    {
        var bytes = RawFrames.Client(RawFrames.Fin | RawFrames.Binary, Payload(1001));

        var error = Rejects(bytes[..14], max: 1000);

        Assert.That(error.CloseCode, Is.EqualTo(WebSocketCloseCodes.MessageTooBig));
        Assert.That(ReadOne(RawFrames.Client(RawFrames.Fin | RawFrames.Binary, Payload(1000)), max: 1000).Payload, Has.Length.EqualTo(1000));
    }

    [Test]
    public void A_64_bit_length_with_the_top_bit_set_is_a_protocol_error()
    {
        byte[] bytes = [RawFrames.Fin | RawFrames.Binary, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4];

        var error = Rejects(bytes, max: long.MaxValue);

        Assert.That(error.CloseCode, Is.EqualTo(WebSocketCloseCodes.ProtocolError));
    }
}
