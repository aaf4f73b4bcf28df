using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using RunsStream.Protocol.EngineIO.WebSockets;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO.WebSockets;

/// <summary>
/// Property-based fuzzing of the client frame reader (RFC 6455 section 5.2): arbitrary and
/// mutated byte streams, whole or split across segments at every point, give frames, "need
/// more" or a <see cref="WebSocketProtocolException"/>; a declared length never allocates
/// before its bytes are there; valid frames round-trip.
/// </summary>
[TestFixture]
public sealed class WebSocketFrameReaderFuzzTests
{
    private const long MaxPayload = 1_000;

    private static readonly byte[] Interesting = [0x80, 0x81, 0x82, 0x88, 0x89, 0x8A, 0x00, 0x01, 0x02, 0xFE, 0xFF, 0x7D, 0x7E, 0x7F, 0xFD];

    /// <summary>One client frame before masking.</summary>
    public sealed record Frame(bool Fin, WebSocketOpcode Opcode, byte[] Payload, uint MaskKey)
    {
        public byte[] Encode() => RawFrames.Client((byte)((Fin ? 0x80 : 0) | (byte)Opcode), Payload, maskKey: MaskKey);

        public override string ToString() => $"{(Fin ? "fin " : "")}{Opcode} [{Convert.ToHexString(Payload)}]";
    }

    private static readonly Gen<Frame> FrameGen =
        from opcode in Gen.Elements(WebSocketOpcode.Continuation, WebSocketOpcode.Text, WebSocketOpcode.Binary, WebSocketOpcode.Close, WebSocketOpcode.Ping, WebSocketOpcode.Pong)
        let control = (byte)opcode >= 0x8
        from fin in control ? Gen.Constant(true) : Gen.Elements(true, false)
        from length in control ? Gen.Choose(0, 125) : Gen.Frequency((4, Gen.Choose(0, 130)), (1, Gen.Choose(126, 300)))
        from payload in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), length)
        from mask in Gen.Choose(int.MinValue, int.MaxValue)
        select new Frame(fin, opcode, payload, unchecked((uint)mask));

    private static readonly Gen<Frame[]> StreamGen = Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(FrameGen, n));

    private static byte[] Encode(Frame[] frames) => frames.SelectMany(f => f.Encode()).ToArray();

    /// <summary>
    /// Reads frames until "need more" or an error. "Need more" must leave the buffer as it was,
    /// a frame must consume its header at least, and the reader allocates no more than the
    /// payload bytes actually present, whatever length a header declares.
    /// </summary>
    private static Fuzz.Outcome<string> DecodeStream(ReadOnlySequence<byte> input, long maxPayload = MaxPayload)
    {
        return Fuzz.Decode<string, WebSocketProtocolException>(() =>
        {
            var buffer = input;
            var decoded = new StringBuilder();
            while (true)
            {
                var before = buffer;
                if (!WebSocketFrameReader.TryRead(ref buffer, maxPayload, out var frame))
                {
                    if (!buffer.Start.Equals(before.Start) || buffer.Length != before.Length)
                    {
                        throw new InvalidOperationException("\"need more\" moved the buffer");
                    }
                    return decoded.Append("more").ToString();
                }
                if (before.Length - buffer.Length < 6)
                {
                    throw new InvalidOperationException("a frame consumed less than a masked header");
                }
                decoded.Append(frame.Fin ? "fin " : "").Append(frame.Opcode).Append(' ').Append(Convert.ToHexString(frame.Payload)).Append('|');
            }
        }, maxAllocatedBytes: 8 * input.Length + 16_384);
    }

    private static void AssertSameAcrossEverySplit(byte[] bytes) => Fuzz.AssertSameHoweverSplit(bytes, input => DecodeStream(input));

    [Test]
    public void Arbitrary_bytes_give_frames_need_more_or_a_protocol_error_however_they_are_split()
    {
        Fuzz.Check(Prop.ForAll(Arb.From(Fuzz.Bytes(64, Interesting)), AssertSameAcrossEverySplit), maxTest: 1_000);
    }

    [Test]
    public void Mutated_valid_streams_give_frames_need_more_or_a_protocol_error_however_they_are_split()
    {
        var mutated = Fuzz.Mutated(StreamGen.Select(Encode), Interesting);
        Fuzz.Check(Prop.ForAll(Arb.From(mutated), AssertSameAcrossEverySplit), maxTest: 300);
    }

    [Test]
    public void A_header_declaring_any_length_allocates_nothing_before_the_payload_arrives()
    {
        var header =
            from first in Gen.Elements<byte>(0x81, 0x82, 0x80, 0x02)
            from second in Gen.Elements<byte>(0xFE, 0xFF)
            from length in Gen.Choose(0, int.MaxValue)
            from wide in Gen.Choose(0, 3)
            from limit in Gen.Elements(MaxPayload, 1L << 20, long.MaxValue)
            select (Bytes: second == 0xFE
                ? new byte[] { first, second, (byte)(length >> 8), (byte)length, 1, 2, 3, 4, 9 }
                : new byte[] { first, second, 0, 0, 0, (byte)wide, (byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length, 1, 2, 3, 4, 9 }, Limit: limit);
        Fuzz.Check(Prop.ForAll(Arb.From(header), input =>
        {
            var outcome = DecodeStream(new ReadOnlySequence<byte>(input.Bytes), input.Limit);
            if (!outcome.Failed && outcome.Value != "more" && !outcome.Value!.EndsWith("|more", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("unexpected decode " + outcome.Value);
            }
        }), maxTest: 1_000);
    }

    [FsCheck.NUnit.Property(MaxTest = 200, QuietOnSuccess = true)]
    public Property Valid_frames_round_trip_and_every_prefix_needs_more()
    {
        return Prop.ForAll(Arb.From(StreamGen), frames =>
        {
            var bytes = Encode(frames);
            var expected = string.Concat(frames.Select(f => $"{(f.Fin ? "fin " : "")}{f.Opcode} {Convert.ToHexString(f.Payload)}|")) + "more";
            Assert.That(DecodeStream(new ReadOnlySequence<byte>(bytes)).Value, Is.EqualTo(expected));
            AssertSameAcrossEverySplit(bytes);

            var firstLength = frames[0].Encode().Length;
            for (var prefix = 0; prefix < firstLength; prefix++)
            {
                var partial = new ReadOnlySequence<byte>(bytes, 0, prefix);
                Assert.That(WebSocketFrameReader.TryRead(ref partial, MaxPayload, out _), Is.False, $"a prefix of {prefix} bytes needs more");
            }
        });
    }
}
