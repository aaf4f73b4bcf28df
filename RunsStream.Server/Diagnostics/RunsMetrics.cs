using System.Diagnostics.Metrics;
using RunsStream.Server.Runs;

namespace RunsStream.Server.Diagnostics;

/// <summary>
/// The runs' numbers as System.Diagnostics.Metrics instruments on the meter
/// <see cref="MeterName"/> (exported at /metrics, README "Metrics"). Names follow Prometheus
/// conventions: the unit in the name, <c>_total</c> for counters.
/// </summary>
/// <remarks>
/// Everything here happens once per run or once per store commit, never per output event:
/// the output path is not touched. Gauges are read from the runs and the store when collected.
/// </remarks>
internal sealed class RunsMetrics
{
    public const string MeterName = "RunsStream.Server";

    /// <summary>Seconds: from a few milliseconds (a queue with room) to an hour (a long build).</summary>
    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

    /// <summary>Seconds: a commit takes about a millisecond; a sick disk, seconds.</summary>
    private static readonly double[] CommitBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    private readonly Meter _meter;
    private static readonly RunStatus[] Terminal = [RunStatus.Succeeded, RunStatus.Failed, RunStatus.Cancelled];

    // Observed rather than added to: every series is there from the start, at zero.
    private long _created;
    private long _started;
    private readonly long[] _finished = new long[Terminal.Length];
    private readonly Histogram<double> _queueWait;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _commit;

    public RunsMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _meter.CreateObservableCounter("runsstream_runs_created_total", () => Volatile.Read(ref _created), description: "Runs accepted (POST /runs, the socket's run event).");
        _meter.CreateObservableCounter("runsstream_runs_started_total", () => Volatile.Read(ref _started), description: "Runs whose process (or first stage) started.");
        _meter.CreateObservableCounter("runsstream_runs_finished_total", ReadFinished, description: "Runs that reached a terminal status, by status.");
        _queueWait = _meter.CreateHistogram("runsstream_queue_wait_seconds", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets },
            description: "Time a run waited queued for a slot (MAX_CONCURRENT_RUNS).");
        _duration = _meter.CreateHistogram("runsstream_run_duration_seconds", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets },
            description: "Time from a run's start to its terminal status, by status.");
        _commit = _meter.CreateHistogram("runsstream_store_commit_duration_seconds", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = CommitBuckets },
            description: "Time of one store commit (one batch of the group-commit writer).");
        _meter.CreateObservableCounter("runsstream_store_catchup_reads_total", () => RunStoreReader.StoreReads,
            description: "Event reads from the store for readers behind the in-memory window (late subscribers, /events).");
    }

    /// <summary>Runs by status and the queue's length, read from <paramref name="runs"/> when collected.</summary>
    public void Observe(RunsService runs)
    {
        _meter.CreateObservableUpDownCounter("runsstream_runs", () => CountUnfinished(runs), description: "Runs not finished yet, by status (queued, running).");
        _meter.CreateObservableUpDownCounter("runsstream_queue_length", () => runs.QueuedCount, description: "Runs waiting for a slot.");
    }

    /// <summary>Writes queued for the store and not committed yet, read when collected.</summary>
    public void ObserveStore(Func<int> backlog) =>
        _meter.CreateObservableUpDownCounter("runsstream_store_backlog_writes", backlog, description: "Writes queued for the store's writer, not committed yet.");

    public void OnCreated() => Interlocked.Increment(ref _created);

    public void OnDequeued(TimeSpan waited) => _queueWait.Record(waited.TotalSeconds);

    public void OnStarted() => Interlocked.Increment(ref _started);

    public void OnFinished(RunStatus status, TimeSpan duration)
    {
        Interlocked.Increment(ref _finished[Array.IndexOf(Terminal, status)]);
        _duration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("status", status.ToWire()));
    }

    private IEnumerable<Measurement<long>> ReadFinished()
    {
        for (var i = 0; i < Terminal.Length; i++)
        {
            yield return new Measurement<long>(Volatile.Read(ref _finished[i]), new KeyValuePair<string, object?>("status", Terminal[i].ToWire()));
        }
    }

    public void OnCommit(TimeSpan took) => _commit.Record(took.TotalSeconds);

    private static IEnumerable<Measurement<long>> CountUnfinished(RunsService runs)
    {
        var (queued, running) = runs.CountUnfinished();
        yield return new Measurement<long>(queued, new KeyValuePair<string, object?>("status", "queued"));
        yield return new Measurement<long>(running, new KeyValuePair<string, object?>("status", "running"));
    }
}
