using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Execution.Docker;

/// <summary>
/// Runs commands in containers through the Docker Engine API (dockerd, or podman's
/// <c>system service</c>): one container per run, labelled as ours, removed after it exits.
/// </summary>
/// <remarks>
/// The container is created with stdout and stderr attached before it starts, so not a byte
/// of output is lost however fast the command is; without a TTY the engine multiplexes the two
/// streams on one connection and <see cref="DockerContainerRun"/> splits them again.
/// </remarks>
internal sealed partial class DockerContainerRunner : IDisposable
{
    // How long an engine call other than attach/wait may take before the engine counts as not
    // answering (image lookups on a busy engine are slow, never minutes).
    private static readonly TimeSpan EngineCallTimeout = TimeSpan.FromSeconds(60);

    private readonly DockerClient _client;
    private readonly ILogger _logger;

    public DockerContainerRunner(DockerOptions options, ILogger logger)
    {
        Options = options;
        _logger = logger;
        _client = new DockerClientConfiguration(options.Host, defaultTimeout: EngineCallTimeout).CreateClient();
    }

    public DockerOptions Options { get; }

    /// <summary>
    /// Creates, attaches to and starts the run's container. Read
    /// <see cref="DockerContainerRun.Output"/> to its end: the container blocks on a full
    /// output buffer, as a process does on a full pipe.
    /// </summary>
    /// <exception cref="RunStartException">
    /// Bad input (no image, a workspace that is not a directory), a missing image or an engine
    /// that does not answer; the message says which. Nothing is left on the engine.
    /// </exception>
    public async Task<DockerContainerRun> StartAsync(ContainerSpec spec, CancellationToken cancellationToken = default)
    {
        var parameters = ContainerParameters.For(spec, Options);
        string id;
        try
        {
            id = (await _client.Containers.CreateContainerAsync(parameters, cancellationToken)).ID;
        }
        catch (DockerImageNotFoundException)
        {
            throw new RunStartException(
                $"the image '{parameters.Image}' is not on the Docker engine at {Options.Host} (pull or import it there first)");
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException or TimeoutException
                                  || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new RunStartException($"the Docker engine at {Options.Host} could not create the container: {Describe(e)}", e);
        }

        try
        {
            var stream = await _client.Containers.AttachContainerAsync(
                id, tty: false, new ContainerAttachParameters { Stream = true, Stdout = true, Stderr = true }, cancellationToken);
            var run = new DockerContainerRun(_client, id, stream, parameters.HostConfig.Memory > 0 ? parameters.HostConfig.Memory : null, _logger);
            try
            {
                await _client.Containers.StartContainerAsync(id, new ContainerStartParameters(), cancellationToken);
            }
            catch
            {
                run.Abandon();
                throw;
            }
            Log.Started(_logger, id, spec.RunId, parameters.Image);
            run.BeginWatching();
            return run;
        }
        catch (Exception e)
        {
            await RemoveQuietlyAsync(id);
            throw e is RunStartException ? e : new RunStartException($"the Docker engine at {Options.Host} could not start the container: {Describe(e)}", e);
        }
    }

    /// <summary>Every container on the engine labelled as this server's, running or not.</summary>
    public async Task<IReadOnlyList<OurContainer>> ListOursAsync(CancellationToken cancellationToken = default)
    {
        var found = await _client.Containers.ListContainersAsync(
            new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["label"] = new Dictionary<string, bool> { [$"{ContainerLabels.Owner}={Options.Owner}"] = true },
                },
            },
            cancellationToken);
        return found
            .Select(c => new OurContainer(
                c.ID, c.Labels is { } labels && labels.TryGetValue(ContainerLabels.Run, out var run) ? run : "", c.State ?? ""))
            .ToList();
    }

    /// <summary>Removes a container, killing it first if it runs. A container already gone is no error.</summary>
    public async Task RemoveAsync(string containerId, CancellationToken cancellationToken = default)
    {
        try
        {
            await _client.Containers.RemoveContainerAsync(containerId, new ContainerRemoveParameters { Force = true }, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
        }
    }

    /// <summary>
    /// Crash recovery: removes every container of ours whose run is not live (the server that
    /// started it died before removing it). Returns how many were removed; one that cannot be
    /// removed is logged and left for the next start.
    /// </summary>
    public async Task<int> RemoveLeftoversAsync(Func<string, bool> isLiveRun, CancellationToken cancellationToken = default)
    {
        var removed = 0;
        foreach (var container in await ListOursAsync(cancellationToken))
        {
            if (isLiveRun(container.RunId))
            {
                continue;
            }
            try
            {
                await RemoveAsync(container.Id, cancellationToken);
                Log.LeftoverRemoved(_logger, container.Id, container.RunId, container.State);
                removed++;
            }
            catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException)
            {
                Log.LeftoverNotRemoved(_logger, e, container.Id, container.RunId);
            }
        }
        return removed;
    }

    public void Dispose() => _client.Dispose();

    private async Task RemoveQuietlyAsync(string id)
    {
        try
        {
            await RemoveAsync(id);
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException)
        {
            Log.RemoveFailed(_logger, e, id);
        }
    }

    private static string Describe(Exception e) => e switch
    {
        DockerApiException api => $"{(int)api.StatusCode} {api.ResponseBody?.Trim()}",
        OperationCanceledException => "no answer in time",
        _ => e.Message,
    };
}
