using System.Text;
using RunsStream.Server.Runs.Execution;
using RunsStream.Server.Runs.Execution.Docker;

namespace RunsStream.Tests.Server.Runs.Execution.Docker;

/// <summary>What a container wrote and how it ended, read the way the run pump will read it.</summary>
internal sealed record ContainerResult(string Stdout, string Stderr, IReadOnlyList<ContainerOutputChunk> Chunks, ContainerExit Exit);

internal static class ContainerRuns
{
    /// <summary>Generous: a container start on the shared 2-core machine can take seconds.</summary>
    public static readonly TimeSpan EngineTimeout = TimeSpan.FromSeconds(120);

    /// <summary>A folder for a container's workspace, world-writable like a run's; removed with the engine.</summary>
    public static string NewWorkspace()
    {
        var path = Directory.CreateDirectory(Path.Combine(DockerEngineSetUp.Workspaces, Guid.NewGuid().ToString("N"))).FullName;
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("777", 8));
        return path;
    }

    public static ContainerSpec Shell(string command, string workspace, ContainerLimits? limits = null, bool network = false) =>
        new($"run-{Guid.NewGuid():N}", null, ContainerSpec.Shell(command), workspace, Limits: limits, NetworkAllowed: network);

    public static async Task<ContainerResult> RunAsync(DockerContainerRunner runner, ContainerSpec spec)
    {
        var run = await runner.StartAsync(spec).WaitAsync(EngineTimeout);
        return await ReadToEndAsync(run);
    }

    public static async Task<ContainerResult> ReadToEndAsync(DockerContainerRun run)
    {
        var chunks = new List<ContainerOutputChunk>();
        await foreach (var chunk in run.Output.ReadAllAsync().WithCancellation(new CancellationTokenSource(EngineTimeout).Token))
        {
            chunks.Add(chunk);
        }
        var exit = await run.WaitAsync().WaitAsync(EngineTimeout);
        return new ContainerResult(Text(chunks, OutputStream.Stdout), Text(chunks, OutputStream.Stderr), chunks, exit);
    }

    private static string Text(IEnumerable<ContainerOutputChunk> chunks, OutputStream stream) =>
        Encoding.UTF8.GetString(chunks.Where(c => c.Stream == stream).SelectMany(c => c.Bytes.ToArray()).ToArray());
}
