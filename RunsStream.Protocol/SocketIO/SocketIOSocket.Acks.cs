using System.Collections.Concurrent;

namespace RunsStream.Protocol.SocketIO;

/// <summary>Server-to-client acknowledgements: an id per emit, answered by the client's ACK packet.</summary>
public sealed partial class SocketIOSocket
{
    // Created on the first emit with an ack: most sockets never wait for one.
    private ConcurrentDictionary<long, PendingAck>? _pendingAcks;
    private long _nextAckId = -1;

    private ConcurrentDictionary<long, PendingAck> PendingAcks => LazyInitializer.EnsureInitialized(ref _pendingAcks);

    /// <summary>
    /// Sends an event with a callback and waits for the client's answer, at most
    /// <paramref name="timeout"/> (default <see cref="SocketIOOptions.DefaultAckTimeout"/>).
    /// Throws <see cref="TimeoutException"/> when the client does not answer in time.
    /// </summary>
    public Task<SocketIOArguments> EmitWithAckAsync(string eventName, TimeSpan? timeout, params object?[] args)
    {
        var id = Interlocked.Increment(ref _nextAckId);
        var pending = new PendingAck(this, id);
        PendingAcks[id] = pending;
        pending.StartTimer(Namespace.Server.Time, timeout ?? Namespace.Server.Options.DefaultAckTimeout);
        if (!Send(SocketIOEncodedPacket.Event(Namespace.Name, eventName, args, id, Namespace.Server.Options.JsonOptions)))
        {
            pending.Fail(new InvalidOperationException("The socket is disconnected."));
        }
        return pending.Task;
    }

    internal void OnAck(long id, SocketIOArguments args)
    {
        if (_pendingAcks is { } acks && acks.TryRemove(id, out var pending))
        {
            pending.Complete(args);
        }
    }

    private void FailPendingAcks(string reason)
    {
        if (_pendingAcks is not { } acks)
        {
            return;
        }
        foreach (var id in acks.Keys)
        {
            if (acks.TryRemove(id, out var pending))
            {
                pending.Fail(new InvalidOperationException("The socket disconnected: " + reason));
            }
        }
    }

    private sealed class PendingAck(SocketIOSocket socket, long id)
    {
        private readonly TaskCompletionSource<SocketIOArguments> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private ITimer? _timer;

        public Task<SocketIOArguments> Task => _tcs.Task;

        public void StartTimer(TimeProvider time, TimeSpan timeout) =>
            _timer = time.CreateTimer(static s => ((PendingAck)s!).OnTimeout(), this, timeout, Timeout.InfiniteTimeSpan);

        private void OnTimeout()
        {
            socket._pendingAcks?.TryRemove(id, out _);
            Fail(new TimeoutException("operation has timed out"));
        }

        public void Complete(SocketIOArguments args)
        {
            _timer?.Dispose();
            _tcs.TrySetResult(args);
        }

        public void Fail(Exception error)
        {
            _timer?.Dispose();
            socket._pendingAcks?.TryRemove(id, out _);
            _tcs.TrySetException(error);
        }
    }
}
