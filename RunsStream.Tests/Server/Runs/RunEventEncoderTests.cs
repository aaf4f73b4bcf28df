using System.Text;
using RunsStream.Protocol.SocketIO;
using RunsStream.Server.Runs;

namespace RunsStream.Tests.Server.Runs;

public sealed class RunEventEncoderTests
{
    private static RunEvent Output(long seq) => new("r1", seq, RunEventType.Stdout, "hi\n", new DateTimeOffset(2026, 11, 25, 6, 0, 0, TimeSpan.Zero));

    private static string Text(SocketIOEncodedPacket packet)
    {
        Assert.That(packet.Frames, Has.Count.EqualTo(1));
        return Encoding.UTF8.GetString(packet.Frames[0].Packet.Span); // the Engine.IO message: the Socket.IO packet
    }

    [Test]
    public void The_packet_is_a_run_event_in_the_namespace_asked_for()
    {
        var e = Output(7);
        Assert.That(Text(RunEventEncoder.Encode(e, "/")), Does.StartWith("42[\"run-event\",{\"runId\":\"r1\",\"seq\":7,\"type\":\"stdout\",\"data\":\"hi\\n\""));
        Assert.That(Text(RunEventEncoder.Encode(e, "/runs")), Does.StartWith("42/runs,[\"run-event\",{\"runId\":\"r1\",\"seq\":7,"));
    }

    [Test]
    public void Each_namespace_is_encoded_once_per_event_and_its_packet_shared()
    {
        var e = Output(1);
        var runs = RunEventEncoder.Encode(e, "/runs");
        var root = RunEventEncoder.Encode(e, "/");
        Assert.That(RunEventEncoder.Encode(e, "/runs"), Is.SameAs(runs), "the web terminal's namespace is cached too");
        Assert.That(RunEventEncoder.Encode(e, new string("/runs".ToCharArray())), Is.SameAs(runs), "by name, not by string instance");
        Assert.That(RunEventEncoder.Encode(e, "/"), Is.SameAs(root));
        Assert.That(root, Is.Not.SameAs(runs));
        Assert.That(RunEventEncoder.EncodedNamespaces(e), Is.EqualTo(2));
        Assert.That(RunEventEncoder.EncodedNamespaces(Output(2)), Is.Zero, "nothing is encoded before it is asked for");
    }

    [Test]
    public void Encoders_racing_on_one_event_end_with_one_packet_per_namespace()
    {
        for (var round = 0; round < 50; round++)
        {
            var e = Output(round + 1);
            var packets = new SocketIOEncodedPacket[8];
            using var start = new Barrier(packets.Length);
            Parallel.For(0, packets.Length, new ParallelOptions { MaxDegreeOfParallelism = packets.Length }, i =>
            {
                start.SignalAndWait(TimeSpan.FromSeconds(30));
                packets[i] = RunEventEncoder.Encode(e, i % 2 == 0 ? "/" : "/runs");
            });
            Assert.That(packets.Where((_, i) => i % 2 == 0).Distinct().Count(), Is.EqualTo(1));
            Assert.That(packets.Where((_, i) => i % 2 == 1).Distinct().Count(), Is.EqualTo(1));
            Assert.That(RunEventEncoder.EncodedNamespaces(e), Is.EqualTo(2));
        }
    }
}
