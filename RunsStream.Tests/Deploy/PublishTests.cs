using RunsStream.Tests.Support;

namespace RunsStream.Tests.Deploy;

/// <summary>
/// scripts/publish: each build is one folder that runs without .NET installed (the executable,
/// wwwroot and SQLite's library beside it), and serves the API, the web page, /metrics and a
/// run streamed to the npm socket.io-client: in the Native AOT build too, where any
/// reflection-based JSON left would throw.
/// </summary>
[TestFixture("jit")]
[TestFixture("aot")]
[NonParallelizable]
public sealed class PublishTests(string kind)
{
    [Test]
    public async Task The_build_is_one_folder_that_serves_the_api_the_web_page_metrics_and_a_streamed_run()
    {
        var folder = await PublishedBuilds.FolderOfAsync(kind);
        var executable = Path.Combine(folder, "RunsStream.Server");
        Assert.That(File.Exists(executable), Is.True, executable);
        Assert.That(File.Exists(Path.Combine(folder, "wwwroot", "index.html")), Is.True, "the web page beside the executable");
        Assert.That(Directory.EnumerateFiles(folder, "*.dll"), Is.Empty, "no assemblies beside it: they are inside the executable");
        var header = new byte[4];
        await using (var file = File.OpenRead(executable))
        {
            await file.ReadExactlyAsync(header);
        }
        Assert.That(header, Is.EqualTo(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }), "a native executable, not a .NET assembly to start with dotnet");

        var dataDirectory = Directory.CreateTempSubdirectory("runsstream-publish-").FullName;
        try
        {
            // A shared framework that is not there: the build must bring its own runtime.
            await using var server = await ServerProcess.StartAsync(dataDirectory, new Dictionary<string, string> { ["DOTNET_ROOT"] = "/nonexistent" }, executable: executable);
            using var page = await server.Http.GetAsync("/");
            Assert.That(page.IsSuccessStatusCode, Is.True);
            Assert.That(await page.Content.ReadAsStringAsync(), Does.Contain("<html").IgnoreCase);

            var runId = await server.StartRunAsync("echo published-$((6*7))");
            var watched = await server.WatchAsync(runId, transports: "websocket");
            Assert.That(watched.GetProperty("stdoutText").GetString(), Is.EqualTo("published-42\n"), watched.ToString());
            Assert.That(watched.GetProperty("ack").GetProperty("ok").GetBoolean(), Is.True, "the subscribe ack (source-generated JSON)");
            var run = await server.WaitForTerminalAsync(runId);
            Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
            var list = await server.Http.GetStringAsync("/runs");
            Assert.That(list, Does.Contain(runId));
            using var missing = await server.Http.GetAsync("/runs/run-00000000000000000000000000");
            Assert.That(await missing.Content.ReadAsStringAsync(), Does.Contain("\"error\":{\"code\":"));

            var metrics = new PrometheusText(await server.Http.GetStringAsync("/metrics"));
            Assert.That(metrics.Sum("runsstream_runs_finished_total", "status=succeeded"), Is.EqualTo(1), metrics.Text);
            Assert.That(await server.StopAsync(), Is.Zero);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Test]
    public async Task The_build_runs_a_docker_run_whose_client_serializes_by_reflection()
    {
        // Docker.DotNet (Newtonsoft.Json) works by reflection: the AOT build keeps its metadata
        // (TrimmerRootAssembly), without which the first call to the engine throws.
        var executable = Path.Combine(await PublishedBuilds.FolderOfAsync(kind), "RunsStream.Server");
        await using var engine = await PodmanEngine.StartAsync();
        var dataDirectory = Directory.CreateTempSubdirectory("runsstream-publish-docker-").FullName;
        try
        {
            await using var server = await ServerProcess.StartAsync(dataDirectory, new Dictionary<string, string>
            {
                ["DOCKER_HOST"] = engine.Host.ToString(),
                ["DOCKER_IMAGE"] = PodmanEngine.Image,
            }, executable: executable);
            using var created = await server.Http.PostAsync("/runs", new StringContent("{\"command\":\"echo in-a-container\",\"executor\":\"docker\"}", System.Text.Encoding.UTF8, "application/json"));
            Assert.That((int)created.StatusCode, Is.EqualTo(201), await created.Content.ReadAsStringAsync());
            var runId = System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("runId").GetString()!;
            var run = await server.WaitForTerminalAsync(runId);
            Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"), run.ToString());
            Assert.That(await server.Http.GetStringAsync($"/runs/{runId}/log"), Is.EqualTo("in-a-container\n"));
            Assert.That(await server.StopAsync(), Is.Zero);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
