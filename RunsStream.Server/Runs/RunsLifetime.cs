using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RunsStream.Server.Configuration;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs;

/// <summary>
/// The runs' part of the host's life: on start, recovery of runs an earlier process left
/// unfinished and the retention job; when the host begins to stop (before the Socket.IO
/// sessions are closed and before the web server stops), the runs' processes are stopped
/// (SIGTERM, then SIGKILL after the grace), so their last events still reach the subscribers,
/// and every event is flushed to the store before the host exits.
/// </summary>
internal sealed class RunsLifetime(RunsService runs, IRunStore store, RunsStreamOptions options, TimeProvider time, ILogger<RunsLifetime> logger) : IHostedLifecycleService, IDisposable
{
    /// <summary>How often the retention job looks for expired runs.</summary>
    public static readonly TimeSpan RetentionInterval = TimeSpan.FromMinutes(10);

    private ITimer? _retention;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await runs.RecoverAsync(cancellationToken);
        if (options.RunRetention is { } retention)
        {
            var interval = retention < RetentionInterval ? retention : RetentionInterval;
            _retention = time.CreateTimer(_ => ApplyRetention(retention), null, TimeSpan.Zero, interval);
        }
    }

    private void ApplyRetention(TimeSpan retention)
    {
        var cutoff = time.GetUtcNow() - retention;
        try
        {
            var count = runs.DeleteFinishedBefore(cutoff);
            if (count > 0)
            {
                RunsLog.RetentionDeleted(logger, count, cutoff);
            }
        }
        catch (Exception ex)
        {
            RunsLog.RunCrashed(logger, "(retention)", ex);
        }
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _retention?.Dispose();
        await runs.DisposeAsync();
        await FlushAsync(cancellationToken);
    }

    /// <summary>After the web server has stopped: anything written since is made durable too.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => FlushAsync(cancellationToken);

    /// <summary>
    /// Waits for the store to have every write, also while it cannot write (a full disk freed
    /// meanwhile loses nothing), until the host's shutdown timeout: past that, what is not
    /// stored is lost, and the store logs how much.
    /// </summary>
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await store.FlushAsync(cancellationToken);
                return;
            }
            catch (StoreUnavailableException ex) when (ex.Retrying && !cancellationToken.IsCancellationRequested)
            {
                // Each flush fails with one commit attempt, which the store paces: no busy loop.
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _retention?.Dispose();
}
