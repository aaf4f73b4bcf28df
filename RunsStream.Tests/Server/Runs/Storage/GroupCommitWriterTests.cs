using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Storage;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Storage;

/// <summary>
/// The group-commit loop both durable stores share, on a fake commit step (no database): when
/// a batch commits, how a failed commit is retried on the writer's clock, what flushes and
/// owners hear, and how the loop ends. Every wait is on a timer the writer created or a commit
/// it made, so nothing sleeps. (SqliteRunStoreWriterTests and PostgresOutageTests do the same
/// with real failures of the real databases.)
/// </summary>
[TestFixture]
public sealed class GroupCommitWriterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan BatchDelay = TimeSpan.FromMinutes(10);
    private RecordingTime _time = null!;
    private FakeWriter _writer = null!;

    [SetUp]
    public void StartWriter()
    {
        _time = new RecordingTime();
        _writer = new FakeWriter(_time);
        _writer.Start();
    }

    [TearDown]
    public async Task StopWriter() => await _writer.DisposeAsync().AsTask().WaitAsync(Timeout);

    private static AppendEventWrite Append(IPersistenceListener? owner, long seq, int dataBytes = 7) =>
        new(new RunEvent("r1", seq, RunEventType.Stdout, new string('x', dataBytes), DateTimeOffset.UtcNow), 0, 0, owner);

    [Test]
    public async Task Writes_without_a_flush_wait_for_the_batch_delay_and_commit_as_one_batch()
    {
        _writer.Enqueue(Append(null, 1));
        Assert.That(await _time.NextTimerAsync(), Is.EqualTo(BatchDelay), "the batch's deadline");
        _writer.Enqueue(Append(null, 2));
        Assert.That(_writer.Batches, Is.Empty, "nothing commits before the deadline");

        _time.Advance(BatchDelay);
        await _writer.NextAttemptAsync();

        await _writer.FlushAsync().WaitAsync(Timeout);
        Assert.That(_writer.Batches.First().Select(w => ((AppendEventWrite)w).Event.Seq), Is.EqualTo(new long[] { 1, 2 }));
    }

    [Test]
    public async Task A_batch_of_MaxBatchBytes_commits_at_once()
    {
        _writer.Enqueue(Append(null, 1, dataBytes: (int)GroupCommitWriter.MaxBatchBytes));
        await _writer.NextAttemptAsync();
        Assert.That(_writer.Batches, Has.Count.EqualTo(1), "committed with the batch delay still running");
    }

    [Test]
    public async Task The_retry_delay_doubles_from_the_first_to_the_maximum()
    {
        _writer.Failing = true;
        _writer.Enqueue(Append(null, 1));
        var flush = _writer.FlushAsync();
        var delays = new List<TimeSpan>();
        for (var attempt = 1; attempt <= 8; attempt++)
        {
            var delay = await _time.NextRetryTimerAsync();
            delays.Add(delay);
            Assert.That(_writer.Health.FailedAttempts, Is.EqualTo(attempt));
            _time.Advance(delay);
        }
        Assert.ThrowsAsync<StoreUnavailableException>(() => flush.WaitAsync(Timeout));
        var ms = delays.Select(d => d.TotalMilliseconds);
        Assert.That(ms, Is.EqualTo(new double[] { 50, 100, 200, 400, 800, 1600, 2000, 2000 }));
        Assert.That(GroupCommitWriter.FirstRetryDelay, Is.EqualTo(TimeSpan.FromMilliseconds(50)));
        Assert.That(GroupCommitWriter.MaxRetryDelay, Is.EqualTo(TimeSpan.FromSeconds(2)));
    }

    [Test]
    public async Task A_flush_queued_behind_a_failing_batch_fails_and_a_later_one_completes_once_it_commits()
    {
        var owner = new Listener();
        _writer.Failing = true;
        _writer.Enqueue(Append(owner, 1));
        var first = Assert.ThrowsAsync<StoreUnavailableException>(() => _writer.FlushAsync().WaitAsync(Timeout));
        Assert.That(first!.Retrying, Is.True);
        Assert.That(first.Message, Does.Contain("fake: disk full"));
        Assert.That(_writer.Health.IsWritable, Is.False);
        Assert.That(_writer.Health.Reason, Is.EqualTo("fake: disk full"));
        Assert.That(_writer.Health.FailedAttempts, Is.EqualTo(1));

        // Queued while the writer waits to retry: it joins the retry, which fails too.
        _writer.Enqueue(Append(owner, 2));
        var second = _writer.FlushAsync();
        _time.Advance(await _time.NextRetryTimerAsync());
        Assert.ThrowsAsync<StoreUnavailableException>(() => second.WaitAsync(Timeout));
        Assert.That(_writer.Health.FailedAttempts, Is.EqualTo(2));
        Assert.That(owner.Seqs, Is.Empty, "nothing was committed, so nothing is acknowledged");

        _writer.Failing = false;
        var third = _writer.FlushAsync();
        _time.Advance(await _time.NextRetryTimerAsync());
        await third.WaitAsync(Timeout);

        Assert.That(_writer.Health, Is.EqualTo(StoreHealth.Writable));
        Assert.That(owner.Seqs, Is.EqualTo(new long[] { 2 }), "told once, after the commit, of its last seq");
        Assert.That(_writer.Batches.Single().Select(w => ((AppendEventWrite)w).Event.Seq), Is.EqualTo(new long[] { 1, 2 }), "the kept batch and what joined it");
    }

    [Test]
    public async Task Fenced_writes_are_not_acknowledged_and_the_store_hears_of_them_before_the_flush_completes()
    {
        var kept = new Listener();
        var fencedOwner = new Listener();
        var fencedWrite = Append(fencedOwner, 2);
        _writer.FenceNext = fencedWrite;
        _writer.Enqueue(Append(kept, 1));
        _writer.Enqueue(fencedWrite);

        await _writer.FlushAsync().WaitAsync(Timeout);

        Assert.That(kept.Seqs, Is.EqualTo(new long[] { 1 }));
        Assert.That(fencedOwner.Seqs, Is.Empty);
        Assert.That(_writer.CommittedCalls.Single(), Is.EqualTo(new StoreWrite[] { fencedWrite }));
    }

    [Test]
    public async Task A_listener_that_throws_stops_neither_the_writer_nor_the_others()
    {
        var throwing = new Listener { Throws = true };
        var other = new Listener();
        _writer.Enqueue(Append(throwing, 1));
        _writer.Enqueue(Append(other, 2));
        await _writer.FlushAsync().WaitAsync(Timeout);
        _writer.Enqueue(Append(other, 3));
        await _writer.FlushAsync().WaitAsync(Timeout);

        Assert.That(throwing.Seqs, Is.EqualTo(new long[] { 1 }));
        Assert.That(other.Seqs, Is.EqualTo(new long[] { 2, 3 }));
    }

    [Test]
    public async Task Disposing_while_failing_retries_at_once_one_last_time_then_gives_up()
    {
        _writer.Failing = true;
        _writer.Enqueue(Append(null, 1));
        Assert.ThrowsAsync<StoreUnavailableException>(() => _writer.FlushAsync().WaitAsync(Timeout));
        var pending = _writer.FlushAsync();

        await _writer.DisposeAsync().AsTask().WaitAsync(Timeout);

        var lost = Assert.ThrowsAsync<StoreUnavailableException>(() => pending.WaitAsync(Timeout));
        Assert.That(lost!.Retrying, Is.False);
        Assert.That(_writer.Attempts, Is.EqualTo(2), "the retry did not wait for the clock");
        Assert.That(_writer.Stopped, Is.True);
        Assert.Throws<InvalidOperationException>(() => _writer.Enqueue(Append(null, 2)));
    }

    [Test]
    public async Task A_loop_that_breaks_fails_its_flushes_and_refuses_writes_instead_of_hanging()
    {
        _writer.BreakOnCommitted = true;
        _writer.Enqueue(Append(null, 1));

        var failed = Assert.ThrowsAsync<StoreUnavailableException>(() => _writer.FlushAsync().WaitAsync(Timeout));

        Assert.That(failed!.Retrying, Is.False);
        await Eventually.WaitUntilAsync(() => _writer.Stopped, "the loop never ended");
        Assert.That(_writer.Health.IsWritable, Is.False);
        Assert.That(_writer.Health.Reason, Does.StartWith("the store's writer stopped: fake: a bug in the loop"));
        var closed = Assert.Throws<InvalidOperationException>(() => _writer.Enqueue(Append(null, 2)));
        Assert.That(closed!.InnerException!.Message, Is.EqualTo("a bug in the loop"));
        var later = Assert.ThrowsAsync<StoreUnavailableException>(() => _writer.FlushAsync().WaitAsync(Timeout));
        Assert.That(later!.Retrying, Is.False);
    }

    /// <summary>The store's part faked: commits by recording the batch, or throws while <see cref="Failing"/>.</summary>
    private sealed class FakeWriter(TimeProvider time) : GroupCommitWriter("Fake", BatchDelay, NullLogger.Instance, time)
    {
        private readonly Channel<int> _attempts = Channel.CreateUnbounded<int>();
        private int _attemptCount;

        public volatile bool Failing;
        public volatile bool BreakOnCommitted;
        public volatile bool Stopped;
        public StoreWrite? FenceNext;

        public int Attempts => _attemptCount;

        public ConcurrentQueue<StoreWrite[]> Batches { get; } = new();

        public ConcurrentQueue<StoreWrite[]> CommittedCalls { get; } = new();

        public async Task NextAttemptAsync() => await _attempts.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

        protected override Task<IReadOnlySet<StoreWrite>> CommitAsync(IReadOnlyList<object> batch)
        {
            try
            {
                if (Failing)
                {
                    throw new IOException("disk full");
                }
                Batches.Enqueue(batch.OfType<StoreWrite>().ToArray());
            }
            finally
            {
                _attempts.Writer.TryWrite(Interlocked.Increment(ref _attemptCount));
            }
            if (FenceNext is { } fenced)
            {
                return Task.FromResult<IReadOnlySet<StoreWrite>>(new HashSet<StoreWrite>([fenced], ReferenceEqualityComparer.Instance));
            }
            return NothingFenced;
        }

        protected override string Describe(Exception ex) => "fake: " + ex.Message;

        protected override void OnCommitted(IReadOnlyList<object> batch, IReadOnlySet<StoreWrite> fenced)
        {
            if (BreakOnCommitted)
            {
                throw new InvalidOperationException("a bug in the loop");
            }
            CommittedCalls.Enqueue(batch.OfType<StoreWrite>().Where(fenced.Contains).ToArray());
        }

        protected override void OnStopped() => Stopped = true;
    }

    /// <summary>A fake clock that tells the test of each timer once it is set, with its due time.</summary>
    private sealed class RecordingTime : FakeTimeProvider
    {
        private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            _timers.Writer.TryWrite(dueTime);
            return timer;
        }

        public async Task<TimeSpan> NextTimerAsync() => await _timers.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

        /// <summary>The next timer that is not a batch's deadline: the wait before a retry.</summary>
        public async Task<TimeSpan> NextRetryTimerAsync()
        {
            while (true)
            {
                var due = await NextTimerAsync();
                if (due != BatchDelay)
                {
                    return due;
                }
            }
        }
    }

    private sealed class Listener : IPersistenceListener
    {
        public ConcurrentQueue<long> Seqs { get; } = new();

        public bool Throws { get; init; }

        public void OnPersisted(long seq)
        {
            Seqs.Enqueue(seq);
            if (Throws)
            {
                throw new InvalidOperationException("a listener's bug");
            }
        }

        public void OnFenced(string runId) => Assert.Fail("the writer leaves fences to the store");
    }
}
