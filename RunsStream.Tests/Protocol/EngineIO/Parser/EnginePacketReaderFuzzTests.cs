using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using RunsStream.Protocol.EngineIO.Parser;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO.Parser;

/// <summary>
/// Property-based fuzzing of the Engine.IO packet decoder and of the long-polling payload parser
/// (records separated by 0x1E): arbitrary bytes and mutated valid payloads, whole or split across
/// segments at every point, end in packets or an <see cref="EngineProtocolException"/>, never in
/// another exception, a hang or an allocation out of proportion to the input.
/// </summary>
[TestFixture]
public sealed class EnginePacketReaderFuzzTests
{
    private static readonly byte[] Interesting = [0x1E, (byte)'b', (byte)'0', (byte)'4', (byte)'6', (byte)'7', (byte)'=', (byte)'A', (byte)'/', (byte)'+', 0x00, 0x80, 0xFF];

    /// <summary>A payload packet: its type, whether binary, and its data.</summary>
    public sealed record Packet(EnginePacketType Type, bool IsBinary, byte[] Data)
    {
        public override string ToString() => IsBinary ? $"b[{Convert.ToHexString(Data)}]" : $"{(int)Type}{Encoding.UTF8.GetString(Data)}";
    }

    private static readonly Gen<Packet> PacketGen =
        Gen.Frequency(
            (3, from type in Gen.Choose(0, 6)
                from text in ArbMap.Default.GeneratorFor<string>()
                select new Packet((EnginePacketType)type, false, Encoding.UTF8.GetBytes((text ?? "").Replace('\x1e', ' ')))),
            (1, from data in Fuzz.Bytes(64)
                select new Packet(EnginePacketType.Message, true, data)));

    private static readonly Gen<Packet[]> PayloadGen = Gen.Choose(1, 6).SelectMany(n => Gen.ArrayOf(PacketGen, n));

    private static byte[] Encode(IEnumerable<Packet> packets)
    {
        var writer = new ArrayBufferWriter<byte>();
        var first = true;
        foreach (var packet in packets)
        {
            var wire = packet.IsBinary ? packet.Data : [(byte)('0' + (int)packet.Type), .. packet.Data];
            EnginePacketWriter.WritePayloadElement(writer, wire, packet.IsBinary, first);
            first = false;
        }
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Decodes a whole payload. Each packet consumes at least one byte, so more reads than bytes
    /// would be a loop that never ends; the decode allocates at most a few times its input.
    /// </summary>
    private static Fuzz.Outcome<string> DecodePayload(ReadOnlySequence<byte> payload)
    {
        var length = payload.Length;
        return Fuzz.Decode<string, EngineProtocolException>(() =>
        {
            var rest = payload;
            var decoded = new StringBuilder();
            var reads = 0;
            while (EnginePacketReader.TryReadPayloadPacket(ref rest, out var packet))
            {
                if (++reads > length + 1)
                {
                    throw new InvalidOperationException("the payload parser makes no progress");
                }
                decoded.Append(packet.IsBinary ? 'b' : (char)('0' + (int)packet.Type)).Append(':').Append(Convert.ToHexString(packet.Data.Span)).Append('|');
            }
            return decoded.ToString();
        }, maxAllocatedBytes: 16 * length + 16_384);
    }

    private static void AssertSameAcrossEverySplit(byte[] bytes) => Fuzz.AssertSameHoweverSplit(bytes, DecodePayload);

    [Test]
    public void Arbitrary_bytes_decode_to_packets_or_a_protocol_error_however_they_are_split()
    {
        Fuzz.Check(Prop.ForAll(Arb.From(Fuzz.Bytes(96, Interesting)), AssertSameAcrossEverySplit), maxTest: 1_000);
    }

    [Test]
    public void Mutated_valid_payloads_decode_to_packets_or_a_protocol_error_however_they_are_split()
    {
        var mutated = Fuzz.Mutated(PayloadGen.Select(Encode), Interesting);
        Fuzz.Check(Prop.ForAll(Arb.From(mutated), AssertSameAcrossEverySplit), maxTest: 400);
    }

    [Test]
    public void A_single_text_packet_of_arbitrary_bytes_decodes_or_is_a_protocol_error_without_copying()
    {
        Fuzz.Check(Prop.ForAll(Arb.From(Fuzz.Bytes(256, Interesting)), bytes =>
        {
            var outcome = Fuzz.Decode<EnginePacket, EngineProtocolException>(() => EnginePacketReader.ReadText(bytes), maxAllocatedBytes: 4_096);
            if (!outcome.Failed && !outcome.Value.Data.Span.SequenceEqual(bytes.AsSpan(1)))
            {
                throw new InvalidOperationException("the data is not the bytes after the type digit");
            }
        }), maxTest: 1_000);
    }

    [FsCheck.NUnit.Property(MaxTest = 300, QuietOnSuccess = true)]
    public Property A_valid_payload_round_trips_split_at_every_point()
    {
        return Prop.ForAll(Arb.From(PayloadGen), packets =>
        {
            var bytes = Encode(packets);
            var expected = string.Concat(packets.Select(p => (p.IsBinary ? 'b' : (char)('0' + (int)p.Type)) + ":" + Convert.ToHexString(p.Data) + "|"));
            AssertSameAcrossEverySplit(bytes);
            var decoded = DecodePayload(new ReadOnlySequence<byte>(bytes));
            Assert.That(decoded.Error, Is.Null, "a valid payload decodes");
            Assert.That(decoded.Value, Is.EqualTo(expected));
        });
    }

    [FsCheck.NUnit.Property(MaxTest = 300, QuietOnSuccess = true)]
    public Property A_text_packet_round_trips()
    {
        return Prop.ForAll(Arb.From(PacketGen.Where(p => !p.IsBinary)), packet =>
        {
            var writer = new ArrayBufferWriter<byte>();
            EnginePacketWriter.WriteText(writer, packet.Type, packet.Data);
            var decoded = EnginePacketReader.ReadText(writer.WrittenMemory);
            Assert.That(decoded.Type, Is.EqualTo(packet.Type));
            Assert.That(decoded.IsBinary, Is.False);
            Assert.That(decoded.Data.ToArray(), Is.EqualTo(packet.Data));
        });
    }
}
