using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using RunsStream.Protocol.EngineIO.Parser;
using RunsStream.Protocol.EngineIO.WebSockets;
using RunsStream.Protocol.SocketIO;
using RunsStream.Protocol.SocketIO.Parser;
using RunsStream.Server.Runs;

namespace RunsStream.Benchmarks;

/// <summary>
/// The codec, per packet: encoding a run-event into its complete WebSocket frame (what a
/// broadcast does once), the same through the general serializer path (Emit with an object),
/// and decoding a client's masked subscribe frame down to a Socket.IO packet.
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private RunEvent _event = null!;
    private Dictionary<string, object?> _eventObject = null!;
    private byte[] _clientFrame = null!;

    /// <summary>Output bytes in the event: one line, a typical chunk, a full 64 KiB coalesced chunk.</summary>
    [Params(64, 4096, 65536)]
    public int DataBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _event = Fixtures.Output(DataBytes);
        _eventObject = new Dictionary<string, object?>
        {
            ["runId"] = _event.RunId, ["seq"] = _event.Seq, ["type"] = "stdout", ["data"] = _event.Data, ["timestamp"] = "2026-11-25T06:00:00.123Z",
        };
        _clientFrame = MaskedTextFrame("421[\"subscribe\",{\"runId\":\"run-01JBENCHMARKRUN0000000000\",\"since\":0}]");
    }

    /// <summary>RunEventEncoder.Encode: the server's path, a Utf8JsonWriter straight into the frame.</summary>
    [Benchmark(Baseline = true)]
    public SocketIOEncodedPacket EncodeRunEvent() => RunEventEncoder.Encode(_event, "/");

    /// <summary>The general path a handler's Emit takes: the argument through JsonSerializer.</summary>
    [Benchmark]
    public SocketIOEncodedPacket EncodeWithSerializer() => SocketIOEncodedPacket.Event("/", "run-event", [_eventObject]);

    /// <summary>A client's subscribe: WebSocket frame (masked) to Engine.IO packet to Socket.IO packet.</summary>
    [Benchmark]
    public object DecodeClientSubscribe() // object: the packet type is internal to the protocol
    {
        var buffer = new ReadOnlySequence<byte>((byte[])_clientFrame.Clone());
        WebSocketFrameReader.TryRead(ref buffer, 1_000_000, out var frame);
        var engine = EnginePacketReader.ReadText(frame.Payload);
        return SocketIOPacketReader.Read(engine.Data.Span);
    }

    private static byte[] MaskedTextFrame(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var frame = new byte[2 + 4 + payload.Length];
        frame[0] = 0x81;
        frame[1] = (byte)(0x80 | payload.Length);
        byte[] mask = [0x12, 0x34, 0x56, 0x78];
        mask.CopyTo(frame, 2);
        for (var i = 0; i < payload.Length; i++)
        {
            frame[6 + i] = (byte)(payload[i] ^ mask[i & 3]);
        }
        return frame;
    }
}
