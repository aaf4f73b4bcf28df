using System.Threading.Channels;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Execution.Docker;

/// <summary>
/// One started container: its output as it comes, its exit, its cancel. The container is
/// removed from the engine once it has exited and its output has been read to the end.
/// </summary>
internal sealed partial class DockerContainerRun
{
    // Chunks buffered between the engine connection and the reader; past it the reader of the
    // connection waits, and the engine's buffer and then the container's writes block behind it.
    private const int OutputBufferChunks = 64;

    private const int ReadBufferBytes = 64 * 1024;

    // What a stop may take beyond its grace before the runner stops waiting for the engine's
    // answer and sends SIGKILL itself.
    private static readonly TimeSpan StopAnswerMargin = TimeSpan.FromSeconds(30);

    private readonly DockerClient _client;
    private readonly MultiplexedStream _stream;
    private readonly long? _memoryLimit;
    private readonly ILogger _logger;
    private readonly Channel<ContainerOutputChunk> _output = Channel.CreateBounded<ContainerOutputChunk>(
        new BoundedChannelOptions(OutputBufferChunks) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly TaskCompletionSource<ContainerExit> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopRequested;

    internal DockerContainerRun(DockerClient client, string id, MultiplexedStream stream, long? memoryLimit, ILogger logger)
    {
        _client = client;
        Id = id;
        _stream = stream;
        _memoryLimit = memoryLimit;
        _logger = logger;
    }

    /// <summary>The engine's container id.</summary>
    public string Id { get; }

    /// <summary>
    /// Stdout and stderr chunks in the order the container wrote them; completes after the
    /// container has exited and everything it wrote has been read.
    /// </summary>
    public ChannelReader<ContainerOutputChunk> Output => _output.Reader;

    /// <summary>
    /// Completes after the container has exited, all output is in <see cref="Output"/> and the
    /// container has been removed. Faults only if the engine stops answering mid-run.
    /// </summary>
    public Task<ContainerExit> WaitAsync() => _exit.Task;

    /// <summary>
    /// Cancel: SIGTERM to the command, SIGKILL after <paramref name="grace"/> if it is still
    /// running (the engine's stop), and SIGKILL from here if the engine does not answer the
    /// stop in time. Returns when the engine has answered; <see cref="WaitAsync"/> then
    /// completes with <see cref="ContainerExit.Stopped"/>. A container that already exited is no error.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        _stopRequested = true;
        var seconds = (uint)Math.Max(0, Math.Ceiling(grace.TotalSeconds));
        Log.Stopping(_logger, Id, seconds);
        using var answer = new CancellationTokenSource(TimeSpan.FromSeconds(seconds) + StopAnswerMargin);
        try
        {
            await _client.Containers.StopContainerAsync(Id, new ContainerStopParameters { WaitBeforeKillSeconds = seconds }, answer.Token);
            return;
        }
        catch (DockerContainerNotFoundException)
        {
            return; // exited and already removed
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException or OperationCanceledException)
        {
            Log.StopFailed(_logger, e, Id);
        }
        try
        {
            await _client.Containers.KillContainerAsync(Id, new ContainerKillParameters { Signal = "KILL" });
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException)
        {
            // Not running any more (409) or gone (404): either way it is ending.
            Log.KillFailed(_logger, e, Id);
        }
    }

    /// <summary>Starts reading output and waiting for the exit (after the container has started).</summary>
    internal void BeginWatching() => _ = Task.Run(WatchAsync);

    /// <summary>The container never started: nothing will be read.</summary>
    internal void Abandon()
    {
        _stream.Dispose();
        _output.Writer.TryComplete();
    }

    private async Task WatchAsync()
    {
        try
        {
            var pump = PumpAsync();
            var wait = await _client.Containers.WaitContainerAsync(Id);
            // The attach stream ends when the container's output closes, which is at its exit.
            await pump;
            var state = (await _client.Containers.InspectContainerAsync(Id)).State;
            var exit = ContainerExit.From(wait.StatusCode, state?.OOMKilled ?? false, _stopRequested, _memoryLimit);
            Log.Exited(_logger, Id, exit.ExitCode, exit.OomKilled, exit.Stopped);
            await RemoveAsync();
            _exit.TrySetResult(exit);
        }
        catch (Exception e)
        {
            Log.WatchFailed(_logger, e, Id);
            _output.Writer.TryComplete(e);
            await RemoveAsync();
            _exit.TrySetException(e);
        }
        finally
        {
            _stream.Dispose();
        }
    }

    private async Task PumpAsync()
    {
        var buffer = new byte[ReadBufferBytes];
        try
        {
            while (true)
            {
                var read = await _stream.ReadOutputAsync(buffer, 0, buffer.Length, CancellationToken.None);
                if (read.EOF)
                {
                    break;
                }
                if (read.Count == 0 || read.Target == MultiplexedStream.TargetStream.StandardIn)
                {
                    continue;
                }
                var stream = read.Target == MultiplexedStream.TargetStream.StandardError ? OutputStream.Stderr : OutputStream.Stdout;
                // A copy: the reader may keep the chunk while the buffer is reused.
                await _output.Writer.WriteAsync(new ContainerOutputChunk(stream, buffer.AsSpan(0, read.Count).ToArray()));
            }
            _output.Writer.TryComplete();
        }
        catch (Exception e)
        {
            _output.Writer.TryComplete(e);
            throw;
        }
    }

    private async Task RemoveAsync()
    {
        try
        {
            await _client.Containers.RemoveContainerAsync(Id, new ContainerRemoveParameters { Force = true });
        }
        catch (DockerContainerNotFoundException)
        {
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException)
        {
            // Left on the engine: the next start's leftover sweep removes it.
            Log.RemoveFailed(_logger, e, Id);
        }
    }
}
