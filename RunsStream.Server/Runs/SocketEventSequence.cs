using RunsStream.Protocol.SocketIO;

namespace RunsStream.Server.Runs;

/// <summary>
/// Applies one socket's events one after another, in the order they arrived. The protocol starts
/// a socket's handlers in order but lets an async one run on while the next starts (as Node
/// does); a subscribe that waits for the fleet's store must still be applied before the
/// unsubscribe the client sent after it, and its ack come first. A handler that completes at
/// once (the run is in memory, or the store is local) costs nothing here; only while one waits
/// do the next ones queue behind it.
/// </summary>
internal sealed class SocketEventSequence
{
    // Written only from the socket's dispatch, which starts one handler at a time (the Engine.IO
    // session dispatches its packets under a lock); read there too. Completed by any thread.
    private Task _tail = Task.CompletedTask;

    /// <summary>Runs <paramref name="handler"/> for <paramref name="e"/> once the handlers of the earlier events are done.</summary>
    public ValueTask Run(Func<SocketIOEvent, ValueTask> handler, SocketIOEvent e)
    {
        if (_tail.IsCompleted)
        {
            var pending = handler(e);
            if (pending.IsCompleted)
            {
                return pending;
            }
            var waiting = pending.AsTask();
            _tail = waiting;
            return new ValueTask(waiting);
        }
        var next = RunAfterAsync(_tail, handler, e);
        _tail = next;
        return new ValueTask(next);
    }

    private static async Task RunAfterAsync(Task previous, Func<SocketIOEvent, ValueTask> handler, SocketIOEvent e)
    {
        // The previous handler's failure is the dispatcher's to log (it observes that task); this one runs anyway.
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await handler(e).ConfigureAwait(false);
    }
}
