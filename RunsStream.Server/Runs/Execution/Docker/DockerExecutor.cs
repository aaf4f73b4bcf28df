using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Execution.Docker;

/// <summary>
/// The "docker" executor: each run in its own container on the Docker engine at DOCKER_HOST
/// (<see cref="DockerContainerRunner"/>), the workspace mounted at /workspace, no network unless
/// DOCKER_NETWORK allows it, the DOCKER_* limits. Output comes from the engine's attach stream
/// and goes through the same decoder and coalescer as a process's (<see cref="ExecutionOutput"/>).
/// </summary>
/// <remarks>
/// Its crash record is the container's labels: on start, containers this server's data
/// directory started and no live run owns are removed.
/// </remarks>
internal sealed partial class DockerExecutor(
    DockerContainerRunner runner, DockerSettings settings, OutputCoalescingOptions coalescing, TimeProvider time, ILogger logger) : IRunExecutor
{
    public const string ExecutorName = "docker";

    // Creating and attaching a container is an engine round trip or three; far longer means
    // the engine is stuck, and the run should fail rather than hang in "queued".
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    public string Name => ExecutorName;

    public string? UnavailableReason => runner.Options.Host is { Scheme: "unix" } host && !File.Exists(host.AbsolutePath)
        ? $"no Docker engine at {host} (set DOCKER_HOST)"
        : runner.Options.DefaultImage is null ? "no DOCKER_IMAGE is configured" : null;

    public IRunExecution Start(ExecutorRequest request, IRunOutputSink sink)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Tty is not null)
        {
            throw new RunStartException("the docker executor has no terminal (tty) support");
        }
        if (request.Limits is { IsNone: false })
        {
            throw new RunStartException("the docker executor takes no per-run limits; the server's DOCKER_* limits apply");
        }
        Directory.CreateDirectory(request.Workspace);
        var environment = request.Environment?
            .Where(pair => pair.Value is not null)
            .ToDictionary(pair => pair.Key, pair => pair.Value!, StringComparer.Ordinal);
        var spec = new ContainerSpec(
            request.RunId, null, ContainerSpec.Shell(request.Command), request.Workspace, environment, settings.Limits, settings.NetworkAllowed);
        // The interface starts synchronously (the run is "running" once Start returns); the
        // engine's round trips are bounded by StartTimeout.
        using var timeout = new CancellationTokenSource(StartTimeout);
        DockerContainerRun container;
        try
        {
            container = runner.StartAsync(spec, timeout.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException ex)
        {
            throw new RunStartException($"the Docker engine at {runner.Options.Host} did not start the container within {StartTimeout.TotalSeconds:0} s", ex);
        }
        var output = new ExecutionOutput(sink, coalescing, time, logger, container.Id.GetHashCode(StringComparison.Ordinal));
        return new DockerExecution(container, output);
    }

    public async Task RecoverAsync()
    {
        if (UnavailableReason is not null)
        {
            return;
        }
        try
        {
            // No run is live while the server starts: every container of ours is a leftover.
            var removed = await runner.RemoveLeftoversAsync(_ => false).ConfigureAwait(false);
            if (removed > 0)
            {
                Log.LeftoversRemoved(logger, removed);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TimeoutException or global::Docker.DotNet.DockerApiException)
        {
            Log.RecoveryFailed(logger, runner.Options.Host.ToString(), ex.Message);
        }
    }

    /// <summary>A started container as an <see cref="IRunExecution"/>.</summary>
    private sealed class DockerExecution : IRunExecution
    {
        private readonly DockerContainerRun _container;

        public DockerExecution(DockerContainerRun container, ExecutionOutput output)
        {
            _container = container;
            Completion = CompleteAsync(container, output);
        }

        public Task<ExitStatus> Completion { get; }

        public void Terminate(TimeSpan grace) => _ = _container.StopAsync(grace);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private static async Task<ExitStatus> CompleteAsync(DockerContainerRun container, ExecutionOutput output)
        {
            // The channel is bounded: not reading it stalls the container as a full pipe would,
            // which is how the store's flow control reaches a container.
            await foreach (var chunk in container.Output.ReadAllAsync().ConfigureAwait(false))
            {
                await output.WaitForCapacityAsync().ConfigureAwait(false);
                output.Push(chunk.Stream, chunk.Bytes.Span);
            }
            output.Complete();
            var exit = await container.WaitAsync().ConfigureAwait(false);
            return new ExitStatus(exit.ExitCode, output.StdoutBytes, output.StderrBytes, exit.Stopped ? null : exit.Reason);
        }
    }

    // Event ids 4866-4869: Runs/Execution docker executor (4850-4865 in the runner).
    private static partial class Log
    {
        [LoggerMessage(4866, LogLevel.Information, "Removed {Count} containers that runs of an earlier server process left")]
        public static partial void LeftoversRemoved(ILogger logger, int count);

        [LoggerMessage(4867, LogLevel.Warning, "Leftover containers could not be checked on the Docker engine at {Host}: {Reason}")]
        public static partial void RecoveryFailed(ILogger logger, string host, string reason);
    }
}
