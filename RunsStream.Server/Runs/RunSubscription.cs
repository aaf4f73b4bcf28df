using Microsoft.Extensions.Logging;
using RunsStream.Protocol.SocketIO;

namespace RunsStream.Server.Runs;

/// <summary>
/// One socket's subscription to one run, with its cursor (the next seq it needs). It starts by
/// replaying the retained log from its cursor, then goes live. While live it is sent each new
/// event directly, unless its connection has more than <see cref="HighWatermark"/> bytes
/// waiting: then it drops back to catching up from the log at its own pace. A slow subscriber
/// therefore never slows the run or other subscribers, and costs at most its connection's
/// buffer: the events it has not taken are in the log anyway.
/// </summary>
internal sealed class RunSubscription : IRunSubscriber
{
    /// <summary>Above this many buffered bytes a live subscriber falls back to catching up.</summary>
    public const long HighWatermark = 4 * 1024 * 1024;

    /// <summary>
    /// A catching-up subscriber sends more once its buffer is below this: deep enough that its
    /// connection still has megabytes to send while the next batch is read and encoded (with
    /// 256 KiB it sat idle between batches), and with a batch on top still under
    /// <see cref="HighWatermark"/>.
    /// </summary>
    public const long LowWatermark = 2 * 1024 * 1024;

    /// <summary>
    /// Events per catch-up batch at most: a batch is one store read (and one hand-off between
    /// threads), so batches of a megabyte keep that cost per byte small while a subscriber's
    /// buffer stays within <see cref="LowWatermark"/> plus one batch.
    /// </summary>
    public const int CatchUpBatchEvents = 2048;

    /// <summary>Output bytes per catch-up batch, about (whole events).</summary>
    public const long CatchUpBatchBytes = 1024 * 1024;

    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;

    internal RunSubscription(SocketIOSocket socket, RunState run, long since, ILogger logger)
    {
        Socket = socket;
        Run = run;
        NextSeq = Math.Max(0, since) + 1;
        _logger = logger;
    }

    public SocketIOSocket Socket { get; }

    public RunState Run { get; }

    /// <summary>The next seq this subscriber needs; guarded by the run's lock while live.</summary>
    public long NextSeq { get; private set; }

    internal void Start()
    {
        Run.AddSubscriber(this);
        StartPump();
    }

    // Invariant, kept under the run's lock: a subscription is either in the run's live list
    // or has exactly one pump running; it moves between the two only under that lock.

    internal void Stop()
    {
        _stop.Cancel();
        Run.RemoveSubscriber(this);
    }

    /// <summary>Under the run's lock: sends the event live, unless this subscriber has to catch up first.</summary>
    bool IRunSubscriber.TryDeliverLive(RunEvent e)
    {
        if (_stop.IsCancellationRequested || !Socket.Connected)
        {
            return false;
        }
        if (NextSeq != e.Seq || Socket.BufferedBytes > HighWatermark)
        {
            RunsLog.FellBehind(_logger, Run.RunId, Socket.Id, Socket.BufferedBytes);
            StartPump();
            return false;
        }
        NextSeq = e.Seq + 1;
        Socket.Send(RunEventEncoder.Encode(e, Socket.Namespace.Name));
        return true;
    }

    /// <summary>How long a catch-up waits before it reads again from a store that could not be read.</summary>
    internal static readonly TimeSpan StoreRetryDelay = TimeSpan.FromSeconds(1);

    private static bool IsStoreUnreachable(Exception ex) =>
        ex is System.Data.Common.DbException or IOException or TimeoutException or System.Net.Sockets.SocketException
        || (ex.InnerException is { } inner && IsStoreUnreachable(inner));

    private void StartPump() => _ = Task.Run(PumpAsync);

    private async Task PumpAsync()
    {
        var ahead = new CatchUpReadAhead(
            afterSeq => Run.ReadEventsAsync(afterSeq, CatchUpBatchEvents, CatchUpBatchBytes), Socket.Namespace.Name, CatchUpBatchEvents, CatchUpBatchBytes);
        try
        {
            while (!_stop.IsCancellationRequested && Socket.Connected)
            {
                while (Socket.BufferedBytes > LowWatermark && Socket.Connected)
                {
                    await Socket.WaitForDrainAsync(_stop.Token);
                }
                var batch = await ahead.TakeAsync();
                if (batch is not { Count: > 0 })
                {
                    try
                    {
                        batch = await Run.NextBatchOrGoLiveAsync(this);
                    }
                    catch (Exception ex) when (IsStoreUnreachable(ex))
                    {
                        // A shared store (PostgreSQL) that is away: the events are there once it is
                        // back; the subscriber waits for them instead of losing its subscription.
                        RunsLog.CatchUpWaitsForStore(_logger, Run.RunId, Socket.Id, ex.Message);
                        await Task.Delay(StoreRetryDelay, _stop.Token);
                        continue;
                    }
                    if (batch is null)
                    {
                        return; // live
                    }
                }
                ahead.After(batch);
                foreach (var e in batch)
                {
                    Socket.Send(RunEventEncoder.Encode(e, Socket.Namespace.Name));
                    NextSeq = e.Seq + 1;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            RunsLog.PumpFailed(_logger, Run.RunId, Socket.Id, ex);
        }
        finally
        {
            ahead.Stop();
        }
    }
}
