using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Runs.Execution;

namespace RunsStream.Tests.Server.Runs.Execution;

/// <summary>Starts commands in a scratch working directory and cleans both up.</summary>
internal sealed class RunProcessHarness : IAsyncDisposable
{
    public static readonly TimeSpan AwaitTimeout = TimeSpan.FromSeconds(60);

    private readonly List<RunProcess> _started = [];

    public RunProcessHarness()
    {
        WorkingDirectory = Directory.CreateTempSubdirectory("runsstream-exec-").FullName;
    }

    public string WorkingDirectory { get; }

    public RunProcess Start(
        string command,
        RecordingOutputSink sink,
        OutputCoalescingOptions? coalescing = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var process = RunProcess.Start(
            new ProcessStartRequest(command, WorkingDirectory, environment),
            sink,
            coalescing ?? new OutputCoalescingOptions(),
            NullLogger.Instance);
        _started.Add(process);
        return process;
    }

    public static Task<ProcessOutcome> CompletionOf(RunProcess process) => process.Completion.WaitAsync(AwaitTimeout);

    public async ValueTask DisposeAsync()
    {
        foreach (RunProcess process in _started)
        {
            await process.DisposeAsync().AsTask().WaitAsync(AwaitTimeout);
        }
        Directory.Delete(WorkingDirectory, recursive: true);
    }
}
