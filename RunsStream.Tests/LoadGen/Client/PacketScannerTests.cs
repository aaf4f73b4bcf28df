using System.Text;
using RunsStream.LoadGen.Client;

namespace RunsStream.Tests.LoadGen.Client;

/// <summary>The load generator's packet scanner on "/" and on the web terminal's namespace "/runs".</summary>
[TestFixture]
public sealed class PacketScannerTests
{
    private static PacketKind Handle(string packet, Subscriber subscriber) =>
        PacketScanner.Handle(Encoding.UTF8.GetBytes(packet), subscriber, null, 0);

    [TestCase("")]
    [TestCase("/runs,")]
    public void A_run_event_is_counted_on_either_namespace(string ns)
    {
        var subscriber = new Subscriber(0);
        Assert.That(Handle($"42{ns}[\"run-event\",{{\"runId\":\"r\",\"seq\":1,\"type\":\"stdout\",\"data\":\"ab\\u00e9\",\"timestamp\":\"t\"}}]", subscriber), Is.EqualTo(PacketKind.Event));
        Handle($"42{ns}[\"run-event\",{{\"runId\":\"r\",\"seq\":2,\"type\":\"status\",\"data\":\"succeeded\",\"status\":\"succeeded\"}}]", subscriber);

        Assert.That((subscriber.OutputBytes, subscriber.NextSeq, subscriber.Error), Is.EqualTo((4L, 3L, (string?)null)));
        Assert.That(subscriber.Verify(4), Is.Empty);
    }

    [Test]
    public void A_subscribe_ack_on_runs_is_an_ack()
    {
        var subscriber = new Subscriber(0);
        Assert.That(Handle("43/runs,1[{\"ok\":true,\"runId\":\"r\",\"status\":\"running\"}]", subscriber), Is.EqualTo(PacketKind.Ack));
        Assert.That(subscriber.Subscribed.IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public void An_event_of_another_name_on_runs_is_not_counted()
    {
        var subscriber = new Subscriber(0);
        Handle("42/runs,[\"other\",{\"seq\":1,\"type\":\"stdout\",\"data\":\"x\"}]", subscriber);
        Assert.That((subscriber.Events, subscriber.OutputBytes), Is.EqualTo((0L, 0L)));
    }
}
