using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Runtime.InteropServices;
using FsCheck;
using FsCheck.Fluent;
using RunsStream.Protocol.SocketIO.Parser;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.SocketIO.Parser;

/// <summary>
/// Property-based fuzzing of the Socket.IO packet decoder together with the check of binary
/// attachment placeholders that runs before a binary packet waits for its attachments: arbitrary
/// bytes, packets assembled from protocol fragments and mutated valid packets decode or throw
/// <see cref="SocketIOProtocolException"/>, nothing else, within a bounded allocation; valid
/// packets round-trip.
/// </summary>
[TestFixture]
public sealed class SocketIOPacketReaderFuzzTests
{
    private static readonly byte[] Interesting = "0123456-/,[]{}\":"u8.ToArray().Concat(new byte[] { 0x00, 0x80, 0xC3, 0xED, 0xFF }).ToArray();

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly byte[][] Fragments =
    [
        .. new[]
        {
            "0", "1", "2", "3", "4", "5", "6", "7", "1-", "2-", "1000-", "1001-", "-", "/", "/admin,", "/é,", ",", "12", "0",
            "99999999999999999", "9223372036854775808", "[", "]", "{", "}", "\"", "\"x\"", ":", "\"connect\"", "\"ev\"",
            "{\"_placeholder\":true,\"num\":0}", "{\"_placeholder\":true,\"num\":1}", "{\"_placeholder\":true,\"num\":-1}",
            "{\"_placeholder\":true,\"num\":1e3}", "{\"_placeholder\":true,\"num\":4294967296}", "{\"_placeholder\":1}",
            "{\"_placeholder\":true}", "true", "null", "1.5e308", "\"\\u00", "\"\\ud800\"", "[[[[[[[[", "]]]]]]]]",
        }.Select(Encoding.UTF8.GetBytes),
        [0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0x22, 0xF0, 0x9F, 0x98, 0x22], [0x22, 0xC0, 0xAF, 0x22],
    ];

    private static readonly Gen<byte[]> FragmentSoup =
        Gen.Choose(0, 10).SelectMany(n => Gen.ArrayOf(Gen.Elements(Fragments), n)).Select(parts => parts.SelectMany(p => p).ToArray());

    private static readonly Gen<string> CleanString =
        ArbMap.Default.GeneratorFor<string>().Select(s => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(s ?? "")));

    private static readonly Gen<string> Scalar = Gen.OneOf(
        Gen.Elements("true", "false", "null", "0", "-1.5e3", "12345678901234567890"),
        Gen.Choose(int.MinValue, int.MaxValue).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        CleanString.Select(s => JsonSerializer.Serialize(s, Relaxed)));

    private static Gen<string> JsonValue(int depth) => depth <= 0
        ? Scalar
        : Gen.Frequency(
            (3, Scalar),
            (1, Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(JsonValue(depth - 1), n)).Select(items => "[" + string.Join(",", items) + "]")),
            (1, Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(
                    from key in CleanString
                    from value in JsonValue(depth - 1)
                    select JsonSerializer.Serialize(key, Relaxed) + ":" + value, n))
                .Select(members => "{" + string.Join(",", members) + "}")));

    private static readonly Gen<string> JsonObject = JsonValue(2).Select(v => "{\"k\":" + v + "}");

    /// <summary>A valid packet and the placeholders it carries, in the order they appear.</summary>
    public sealed record Packet(SocketIOPacketType Type, string Namespace, long? Id, string? Json, int Attachments)
    {
        public override string ToString() => Encoding.UTF8.GetString(Encode(this));
    }

    private static string Placeholder(int num) => $"{{\"_placeholder\":true,\"num\":{num}}}";

    private static Gen<string> ArgumentsWith(int attachments, bool withName) =>
        from values in Gen.ArrayOf(JsonValue(2), attachments + 1)
        from name in Gen.OneOf(CleanString.Where(s => s is not ("connect" or "connect_error" or "disconnect" or "disconnecting" or "newListener" or "removeListener")).Select(s => JsonSerializer.Serialize(s, Relaxed)), Gen.Constant("7"))
        let items = (withName ? new[] { name } : []).Concat(Enumerable.Range(0, attachments).SelectMany(i => new[] { values[i], Placeholder(i) }))
        select "[" + string.Join(",", items) + "]";

    private static readonly Gen<Packet> PacketGen =
        from type in Gen.Choose(0, 6).Select(t => (SocketIOPacketType)t)
        from ns in Gen.OneOf(Gen.Constant("/"), Gen.Elements("/admin", "/runs", "/é😀", "/a-b_c.d"))
        from id in Gen.Choose(0, int.MaxValue).Select(n => (long?)n * 1000)
        from hasId in Gen.Elements(true, false)
        from attachments in Gen.Choose(1, 4)
        from json in type switch
        {
            SocketIOPacketType.Connect => Gen.OneOf(Gen.Constant<string?>(null), JsonObject.Select(s => (string?)s)),
            SocketIOPacketType.Disconnect => Gen.Constant<string?>(null),
            SocketIOPacketType.ConnectError => Gen.OneOf(JsonObject, CleanString.Select(s => JsonSerializer.Serialize(s, Relaxed))).Select(s => (string?)s),
            SocketIOPacketType.Event => ArgumentsWith(0, withName: true).Select(s => (string?)s),
            SocketIOPacketType.Ack => ArgumentsWith(0, withName: false).Select(s => (string?)s),
            SocketIOPacketType.BinaryEvent => ArgumentsWith(attachments, withName: true).Select(s => (string?)s),
            _ => ArgumentsWith(attachments, withName: false).Select(s => (string?)s),
        }
        let acked = type is SocketIOPacketType.Ack or SocketIOPacketType.BinaryAck
            || (hasId && type is SocketIOPacketType.Event or SocketIOPacketType.BinaryEvent)
        let binary = type is SocketIOPacketType.BinaryEvent or SocketIOPacketType.BinaryAck
        select new Packet(type, ns, acked ? id : null, json, binary ? attachments : 0);

    private static byte[] Encode(Packet packet)
    {
        var writer = new ArrayBufferWriter<byte>();
        SocketIOPacketWriter.WriteHeader(writer, packet.Type, packet.Namespace, packet.Id, packet.Attachments);
        writer.Write(Encoding.UTF8.GetBytes(packet.Json ?? ""));
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>What the connection does with a text packet: decode, then check the placeholders of a binary one.</summary>
    private static Fuzz.Outcome<Packet> Decode(byte[] bytes) =>
        Fuzz.Decode<Packet, SocketIOProtocolException>(() =>
        {
            var packet = SocketIOPacketReader.Read(bytes);
            if (packet.IsBinary && packet.Attachments > 0)
            {
                BinaryPlaceholder.Validate(packet.Data, packet.Attachments);
            }
            return new Packet(packet.Type, packet.Namespace, packet.Id, packet.HasData ? Encoding.UTF8.GetString(JsonMarshal.GetRawUtf8Value(packet.Data)) : null, packet.Attachments);
        }, maxAllocatedBytes: 64 * bytes.Length + 32_768);

    [Test]
    public void Arbitrary_bytes_decode_or_are_a_protocol_error()
    {
        Fuzz.Check(Prop.ForAll(Arb.From(Fuzz.Bytes(128, Interesting)), bytes => { Decode(bytes); }), maxTest: 5_000);
    }

    [Test]
    public void Packets_assembled_from_protocol_fragments_decode_or_are_a_protocol_error()
    {
        Fuzz.Check(Prop.ForAll(Arb.From(FragmentSoup), bytes => { Decode(bytes); }), maxTest: 10_000);
    }

    [Test]
    public void Mutated_valid_packets_decode_or_are_a_protocol_error()
    {
        Fuzz.Check(Prop.ForAll(Arb.From(Fuzz.Mutated(PacketGen.Select(Encode), Interesting)), bytes => { Decode(bytes); }), maxTest: 10_000);
    }

    [FsCheck.NUnit.Property(MaxTest = 500, QuietOnSuccess = true)]
    public Property A_valid_packet_round_trips_with_its_placeholders()
    {
        return Prop.ForAll(Arb.From(PacketGen), packet =>
        {
            var decoded = Decode(Encode(packet));
            Assert.That(decoded.Error, Is.Null, "a valid packet decodes");
            Assert.That(decoded.Value, Is.EqualTo(packet));
            if (packet.Attachments > 0)
            {
                var data = JsonDocument.Parse(packet.Json!).RootElement;
                var found = data.EnumerateArray().Select(e => BinaryPlaceholder.TryGetIndex(e, out var num) ? num : -1).Where(n => n >= 0);
                Assert.That(found, Is.EqualTo(Enumerable.Range(0, packet.Attachments)));
            }
        });
    }
}
