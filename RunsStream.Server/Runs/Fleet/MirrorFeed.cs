using System.Threading.Channels;

namespace RunsStream.Server.Runs.Fleet;

/// <summary>
/// The live feed of one mirror: the run's Redis channel, whose events are applied in the order
/// they were published, off Redis's own delivery loop (a gap makes the mirror read the store,
/// which must not hold up the other runs' channels). Made after the mirror read the store, so
/// once Redis has the subscription the mirror fills once more: nothing committed between the
/// two is missed.
/// </summary>
internal sealed class MirrorFeed : IAsyncDisposable
{
    private readonly Channel<RunEvent> _events = Channel.CreateUnbounded<RunEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly RunChannelSubscription _subscription;
    private readonly Task _applying;

    public MirrorFeed(MirrorSync sync, RedisRunBus bus, Action<Exception> onError)
    {
        Sync = sync;
        _subscription = bus.SubscribeRun(sync.Run.RunId, e => _events.Writer.TryWrite(e));
        _applying = ApplyAsync(onError);
    }

    public MirrorSync Sync { get; }

    private async Task ApplyAsync(Action<Exception> onError)
    {
        try
        {
            await _subscription.Ready.ConfigureAwait(false);
            await Sync.FillAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            onError(ex); // the periodic check fills it later
        }
        await foreach (var e in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await Sync.ApplyAsync(e).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                onError(ex); // the store is away: the periodic check fills the gap once it is back
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _events.Writer.TryComplete();
        await _subscription.DisposeAsync().ConfigureAwait(false);
        await _applying.ConfigureAwait(false);
    }
}
