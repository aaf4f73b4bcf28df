using RunsStream.Server.Runs;

namespace RunsStream.Tests.Server.Runs;

public sealed class StoreFlowControlTests
{
    private const long Max = StoreFlowControl.MaxUnpersistedBytes;

    [Test]
    public void Output_flows_while_the_store_keeps_up()
    {
        var flow = new StoreFlowControl(() => true);
        flow.OnAppended(Max);
        Assert.That(flow.WaitAsync().IsCompleted, Is.True);
        Assert.That(flow.UnpersistedBytes, Is.EqualTo(Max));
    }

    [Test]
    public void Far_behind_the_run_pauses_until_the_store_is_half_caught_up()
    {
        var flow = new StoreFlowControl(() => true);
        flow.OnAppended(Max + 1);
        var wait = flow.WaitAsync();
        Assert.That(wait.IsCompleted, Is.False);

        flow.OnPersisted(Max / 2);
        Assert.That(wait.IsCompleted, Is.False, "still more than half the bound waiting");
        flow.OnPersisted(1);
        Assert.That(wait.AsTask().Wait(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(flow.UnpersistedBytes, Is.EqualTo(Max / 2));
    }

    [Test]
    public void A_store_that_cannot_write_pauses_any_unstored_output_at_once()
    {
        var writable = false;
        var flow = new StoreFlowControl(() => writable);
        Assert.That(flow.WaitAsync().IsCompleted, Is.True, "nothing unstored: nothing to wait for");

        flow.OnAppended(10);
        var wait = flow.WaitAsync();
        Assert.That(wait.IsCompleted, Is.False);
        writable = true;
        flow.OnPersisted(10);
        Assert.That(wait.AsTask().Wait(TimeSpan.FromSeconds(30)), Is.True, "the commit that stores it releases the run");
    }

    [Test]
    public void Pumps_waiting_together_are_released_together()
    {
        var flow = new StoreFlowControl(() => true);
        flow.OnAppended(Max + 100);
        var first = flow.WaitAsync();
        var second = flow.WaitAsync();
        flow.OnPersisted(Max + 100);
        Assert.That(Task.WhenAll(first.AsTask(), second.AsTask()).Wait(TimeSpan.FromSeconds(30)), Is.True);
    }
}
