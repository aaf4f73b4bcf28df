using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Tests.Server.Runs;

public sealed class SocketSubscriptionsTests
{
    private static readonly InMemoryRunStore Store = new();

    // Never started: the socket is not needed to hold, replace and remove subscriptions.
    private static RunSubscription To(string runId, long since = 0) =>
        new(null!, new RunState(runId, 1 << 20, Store), since, NullLogger.Instance);

    [Test]
    public void Subscribing_again_to_the_same_run_replaces_the_subscription_and_hands_back_the_old_one()
    {
        var subscriptions = new SocketSubscriptions();
        var first = To("a");
        Assert.That(subscriptions.Replace(first), Is.Null);
        var again = new RunSubscription(null!, first.Run, 5, NullLogger.Instance);
        Assert.That(subscriptions.Replace(again), Is.SameAs(first));
        Assert.That(subscriptions.RemoveAll(), Is.EqualTo(new[] { again }));
    }

    [Test]
    public void Several_runs_are_held_apart_and_removed_one_by_one()
    {
        var subscriptions = new SocketSubscriptions();
        var a = To("a");
        var b = To("b");
        var c = To("c");
        subscriptions.Replace(a);
        subscriptions.Replace(b);
        subscriptions.Replace(c);
        var b2 = new RunSubscription(null!, b.Run, 3, NullLogger.Instance);
        Assert.That(subscriptions.Replace(b2), Is.SameAs(b));
        Assert.That(subscriptions.Remove("a"), Is.SameAs(a));
        Assert.That(subscriptions.Remove("a"), Is.Null, "already gone");
        Assert.That(subscriptions.Remove("unknown"), Is.Null);
        Assert.That(subscriptions.RemoveAll(), Is.EquivalentTo(new[] { b2, c }));
        Assert.That(subscriptions.RemoveAll(), Is.Empty);
    }

    [Test]
    public void Removing_the_only_subscription_leaves_room_for_another_run()
    {
        var subscriptions = new SocketSubscriptions();
        var a = To("a");
        subscriptions.Replace(a);
        Assert.That(subscriptions.Remove("b"), Is.Null, "another run's id removes nothing");
        Assert.That(subscriptions.Remove("a"), Is.SameAs(a));
        var b = To("b");
        Assert.That(subscriptions.Replace(b), Is.Null);
        Assert.That(subscriptions.RemoveAll(), Is.EqualTo(new[] { b }));
    }
}
