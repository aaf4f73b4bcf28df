using StackExchange.Redis;

namespace RunsStream.Server.Runs.Fleet;

internal sealed partial class RedisRunBus
{
    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (Interlocked.Exchange(ref _lost, 1) == 0)
        {
            Log.ConnectionLost(_logger, e.EndPoint?.ToString() ?? "?", e.FailureType.ToString(), e.Exception);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (Volatile.Read(ref _lost) == 1 && Interlocked.CompareExchange(ref _probing, 1, 0) == 0)
        {
            _ = ProbeUntilHeardAsync();
        }
    }

    /// <summary>
    /// After a reconnect, publishes this node's probe until its own subscription delivers it:
    /// only then are the subscriptions restored (the interactive and the subscription
    /// connections come back one by one), and <see cref="Resynced"/> is raised.
    /// </summary>
    private async Task ProbeUntilHeardAsync()
    {
        try
        {
            while (Volatile.Read(ref _lost) == 1 && !_disposed.IsCancellationRequested)
            {
                Publish(_probeChannel, _probeMessage);
                await Task.Delay(ProbeInterval, _disposed.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
        finally
        {
            Volatile.Write(ref _probing, 0);
        }
    }

    private void OnProbe(ChannelMessage message)
    {
        if (Interlocked.CompareExchange(ref _lost, 0, 1) == 1)
        {
            Log.ConnectionRestored(_logger);
            Raise(Resynced, nameof(Resynced));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }
        _disposed.Cancel();
        _redis.ConnectionFailed -= OnConnectionFailed;
        _redis.ConnectionRestored -= OnConnectionRestored;
        foreach (var queue in new[] { _cancelQueue, _resizeQueue, _queuedQueue, _probeQueue })
        {
            try
            {
                await queue.UnsubscribeAsync(CommandFlags.FireAndForget);
            }
            catch (RedisException)
            {
                // Down: nothing to unsubscribe from.
            }
        }
        if (_ownsConnection)
        {
            await _redis.DisposeAsync();
        }
        // _disposed is left undisposed: the probe and readiness loops may still read its token.
    }
}
