using RunsStream.Server.Runs;

namespace RunsStream.Tests.Server.Runs;

/// <summary>
/// A run subscriber that records what it is handed live and can be told to stop taking
/// events, as a socket subscription does when its connection is full or gone.
/// </summary>
internal sealed class RecordingSubscriber(long since = 0) : IRunSubscriber
{
    public List<RunEvent> Received { get; } = [];

    public bool Refuse { get; set; }

    public long NextSeq { get; set; } = since + 1;

    public bool TryDeliverLive(RunEvent e)
    {
        if (Refuse || e.Seq != NextSeq)
        {
            return false;
        }
        Received.Add(e);
        NextSeq = e.Seq + 1;
        return true;
    }

    /// <summary>What a subscription's pump does: sends batches until the run says it is live.</summary>
    public async Task CatchUpAsync(RunState run)
    {
        while (await run.NextBatchOrGoLiveAsync(this) is { } batch)
        {
            foreach (var e in batch)
            {
                Received.Add(e);
                NextSeq = e.Seq + 1;
            }
        }
    }
}
