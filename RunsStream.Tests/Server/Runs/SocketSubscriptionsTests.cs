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

    /// <summary>Holds the subscription, which must be taken; the one it replaced.</summary>
    private static RunSubscription? Replace(SocketSubscriptions subscriptions, RunSubscription subscription)
    {
        Assert.That(subscriptions.TryReplace(subscription, out var replaced), Is.True, "taken");
        return replaced;
    }

    [Test]
    public void Subscribing_again_to_the_same_run_replaces_the_subscription_and_hands_back_the_old_one()
    {
        var subscriptions = new SocketSubscriptions();
        var first = To("a");
        Assert.That(Replace(subscriptions, first), Is.Null);
        var again = new RunSubscription(null!, first.Run, 5, NullLogger.Instance);
        Assert.That(Replace(subscriptions, again), Is.SameAs(first));
        Assert.That(subscriptions.RemoveAll(), Is.EqualTo(new[] { again }));
    }

    [Test]
    public void Several_runs_are_held_apart_and_removed_one_by_one()
    {
        var subscriptions = new SocketSubscriptions();
        var a = To("a");
        var b = To("b");
        var c = To("c");
        Replace(subscriptions, a);
        Replace(subscriptions, b);
        Replace(subscriptions, c);
        var b2 = new RunSubscription(null!, b.Run, 3, NullLogger.Instance);
        Assert.That(Replace(subscriptions, b2), Is.SameAs(b));
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
        Replace(subscriptions, a);
        Assert.That(subscriptions.Remove("b"), Is.Null, "another run's id removes nothing");
        Assert.That(subscriptions.Remove("a"), Is.SameAs(a));
        var b = To("b");
        Assert.That(Replace(subscriptions, b), Is.Null);
        Assert.That(subscriptions.RemoveAll(), Is.EqualTo(new[] { b }));
    }

    [Test]
    public void Once_the_socket_has_disconnected_a_late_subscription_is_not_taken()
    {
        // A subscribe that was still looking the run up when its socket disconnected must not
        // be held (and started): nobody would ever stop it.
        var subscriptions = new SocketSubscriptions();
        var a = To("a");
        Replace(subscriptions, a);
        Assert.That(subscriptions.RemoveAll(), Is.EqualTo(new[] { a }));
        Assert.That(subscriptions.TryReplace(To("b"), out var replaced), Is.False);
        Assert.That(replaced, Is.Null);
        Assert.That(subscriptions.TryReplace(To("a"), out _), Is.False, "not even the same run again");
        Assert.That(subscriptions.RemoveAll(), Is.Empty);
    }
}
