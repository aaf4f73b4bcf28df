using System.Net;
using System.Text.Json;
using RunsStream.Tests.Support;
using static RunsStream.Tests.Support.RestErrors;

namespace RunsStream.Tests.Server.Runs;

/// <summary>Every REST row of CONTRACT sections 5 and 6, through the real server and HttpClient.</summary>
[TestFixture]
public sealed class RestApiTests
{
    private RunsServerHost _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await RunsServerHost.StartAsync(o => o with { MaxCommandLength = 1000, MaxBodyBytes = 64 * 1024 });

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    [Test]
    public async Task Posting_a_command_answers_201_with_the_run_id_and_queued()
    {
        var response = await _server.SendAsync(HttpMethod.Post, "/runs", "{\"command\":\"echo hi\"}");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("queued"));
        Assert.That(body.GetProperty("runId").GetString(), Does.Match("^run-[0-9A-Z]{26}$"));
        await _server.WaitForTerminalAsync(body.GetProperty("runId").GetString()!);
    }

    [Test]
    public async Task A_finished_run_has_all_nine_keys_with_iso_timestamps()
    {
        var runId = await _server.StartRunAsync("printf tail; exit 3", "ws-one");
        var run = await _server.WaitForTerminalAsync(runId);
        var keys = run.EnumerateObject().Select(p => p.Name).ToArray();
        // The contract's nine, the additive ones of issue 13 (executor, stages, tty) and issue 15 (createdBy, cancelledBy).
        Assert.That(keys, Is.EquivalentTo(new[] { "runId", "status", "command", "workspaceId", "createdAt", "startedAt", "finishedAt", "exitCode", "reason", "executor", "stages", "tty", "createdBy", "cancelledBy" }));
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(run.GetProperty("exitCode").GetInt32(), Is.EqualTo(3));
        Assert.That(run.GetProperty("workspaceId").GetString(), Is.EqualTo("ws-one"));
        Assert.That(run.GetProperty("reason").GetString(), Does.Contain("3"));
        foreach (var key in new[] { "createdAt", "startedAt", "finishedAt" })
        {
            Assert.That(run.GetProperty(key).GetString(), Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"), key);
        }
    }

    [Test]
    public async Task A_queued_run_reports_null_for_fields_that_do_not_apply_yet()
    {
        await using var server = await RunsServerHost.StartAsync(o => o with { MaxConcurrentRuns = 1 });
        var blocker = await server.StartRunAsync("sleep 30");
        var waiting = await server.StartRunAsync("echo later");
        var run = await server.GetRunAsync(waiting);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("queued"));
        foreach (var key in new[] { "startedAt", "finishedAt", "exitCode", "reason", "workspaceId" })
        {
            Assert.That(run.GetProperty(key).ValueKind, Is.EqualTo(JsonValueKind.Null), key);
        }
        await server.SendAsync(HttpMethod.Post, $"/runs/{blocker}/cancel");
    }

    [Test]
    public async Task Every_runs_route_needs_the_bearer_token()
    {
        foreach (var (method, path) in new[] { ("GET", "/runs"), ("POST", "/runs"), ("GET", "/runs/x1"), ("GET", "/runs/x1/log"), ("POST", "/runs/x1/cancel"), ("POST", "/runs/x1/events") })
        {
            var response = await _server.SendAsync(new HttpMethod(method), path, "{}", withToken: false);
            await ErrorOf(response, 401, "unauthorized");
        }
        using var wrong = new HttpClient { BaseAddress = new Uri(_server.Url) };
        wrong.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-the-token");
        await ErrorOf(await wrong.GetAsync("/runs"), 401, "unauthorized");
    }

    [Test]
    public async Task Healthz_answers_200_without_a_token()
    {
        var response = await _server.SendAsync(HttpMethod.Get, "/healthz", withToken: false);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase("{\"command\":\"\"}")]
    [TestCase("{\"command\":\"   \"}")]
    [TestCase("{}")]
    [TestCase("{\"command\":42}")]
    [TestCase("[\"echo hi\"]")]
    [TestCase("\"echo hi\"")]
    [TestCase("{\"command\":")]
    [TestCase("")]
    [TestCase("{\"command\":\"echo\",\"workspaceId\":\"../escape\"}")]
    [TestCase("{\"command\":\"echo\",\"workspaceId\":\"a/b\"}")]
    [TestCase("{\"command\":\"echo\",\"workspaceId\":7}")]
    public async Task A_bad_run_request_is_400(string body)
    {
        await ErrorOf(await _server.SendAsync(HttpMethod.Post, "/runs", body), 400, "bad_request");
    }

    [Test]
    public async Task A_command_longer_than_the_maximum_is_400()
    {
        var body = JsonSerializer.Serialize(new { command = "echo " + new string('x', 1000) });
        await ErrorOf(await _server.SendAsync(HttpMethod.Post, "/runs", body), 400, "bad_request");
    }

    [Test]
    public async Task A_body_over_the_limit_is_413_and_the_server_carries_on()
    {
        var body = JsonSerializer.Serialize(new { command = new string('x', 100 * 1024) });
        await ErrorOf(await _server.SendAsync(HttpMethod.Post, "/runs", body), 413, "payload_too_large");
        var runId = await _server.StartRunAsync("echo still fine");
        var run = await _server.WaitForTerminalAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
    }

    [Test]
    public async Task Unknown_run_ids_are_404_on_every_endpoint()
    {
        await ErrorOf(await _server.SendAsync(HttpMethod.Get, "/runs/run-unknown"), 404, "not_found");
        await ErrorOf(await _server.SendAsync(HttpMethod.Get, "/runs/run-unknown/log"), 404, "not_found");
        await ErrorOf(await _server.SendAsync(HttpMethod.Post, "/runs/run-unknown/cancel"), 404, "not_found");
    }

    [TestCase("/runs/bad%20id")]
    [TestCase("/runs/-leading-dash")]
    [TestCase("/runs/bad%21id/log")]
    [TestCase("/runs/.hidden/cancel")]
    [TestCase("/runs/run%FFx/log")]
    [TestCase("/runs/%C3%A9t%C3%A9")]
    public async Task Malformed_run_ids_are_400(string path)
    {
        var method = path.EndsWith("/cancel") ? HttpMethod.Post : HttpMethod.Get;
        await ErrorOf(await _server.SendAsync(method, path), 400, "bad_request");
    }

    [Test]
    public async Task A_wrong_method_on_a_known_route_is_405_and_an_unknown_route_404()
    {
        await ErrorOf(await _server.SendAsync(HttpMethod.Delete, "/runs"), 405, "method_not_allowed");
        await ErrorOf(await _server.SendAsync(HttpMethod.Get, "/runs/x1/cancel"), 405, "method_not_allowed");
        await ErrorOf(await _server.SendAsync(HttpMethod.Get, "/no/such/route"), 404, "not_found");
    }

    [Test]
    public async Task The_list_is_newest_first_and_pages_with_limit_and_before()
    {
        await using var server = await RunsServerHost.StartAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await server.StartRunAsync($"echo {i}"));
        }
        var page1 = JsonDocument.Parse(await (await server.SendAsync(HttpMethod.Get, "/runs?limit=2")).Content.ReadAsStringAsync()).RootElement;
        Assert.That(page1.ValueKind, Is.EqualTo(JsonValueKind.Array));
        Assert.That(page1.EnumerateArray().Select(r => r.GetProperty("runId").GetString()), Is.EqualTo(new[] { ids[4], ids[3] }));
        var page2 = JsonDocument.Parse(await (await server.SendAsync(HttpMethod.Get, $"/runs?limit=2&before={ids[3]}")).Content.ReadAsStringAsync()).RootElement;
        Assert.That(page2.EnumerateArray().Select(r => r.GetProperty("runId").GetString()), Is.EqualTo(new[] { ids[2], ids[1] }));
        foreach (var id in ids)
        {
            await server.WaitForTerminalAsync(id);
        }
        var succeeded = JsonDocument.Parse(await (await server.SendAsync(HttpMethod.Get, "/runs?status=succeeded")).Content.ReadAsStringAsync()).RootElement;
        Assert.That(succeeded.GetArrayLength(), Is.EqualTo(5));
        var failed = JsonDocument.Parse(await (await server.SendAsync(HttpMethod.Get, "/runs?status=failed")).Content.ReadAsStringAsync()).RootElement;
        Assert.That(failed.GetArrayLength(), Is.EqualTo(0));
    }

    [TestCase("limit=0")]
    [TestCase("limit=501")]
    [TestCase("limit=abc")]
    [TestCase("limit=-1")]
    [TestCase("status=done")]
    [TestCase("before=bad%20id")]
    [TestCase("status=%FF")]
    [TestCase("status=succeeded%00")]
    [TestCase("before=run-1%00x")]
    [TestCase("limit=5%00")]
    [TestCase("limit=99999999999999999999")]
    public async Task A_bad_list_parameter_is_400(string query)
    {
        await ErrorOf(await _server.SendAsync(HttpMethod.Get, "/runs?" + query), 400, "bad_request");
    }

    [Test]
    public async Task The_log_interleaves_both_streams_in_order_and_filters_by_stream()
    {
        var runId = await _server.StartRunAsync("echo out1; sleep 0.2; echo err1 >&2; sleep 0.2; echo out2");
        await _server.WaitForTerminalAsync(runId);
        var all = await _server.Http.GetAsync($"/runs/{runId}/log");
        Assert.That(all.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
        Assert.That(await all.Content.ReadAsStringAsync(), Is.EqualTo("out1\nerr1\nout2\n"));
        Assert.That(await _server.Http.GetStringAsync($"/runs/{runId}/log?stream=stdout"), Is.EqualTo("out1\nout2\n"));
        Assert.That(await _server.Http.GetStringAsync($"/runs/{runId}/log?stream=stderr"), Is.EqualTo("err1\n"));
        await ErrorOf(await _server.SendAsync(HttpMethod.Get, $"/runs/{runId}/log?stream=both"), 400, "bad_request");
    }

    [Test]
    public async Task Following_the_log_streams_until_the_run_ends()
    {
        var runId = await _server.StartRunAsync("for i in 1 2 3; do echo line$i; sleep 0.3; done");
        using var response = await _server.Http.GetAsync($"/runs/{runId}/log?follow=true", HttpCompletionOption.ResponseHeadersRead);
        var text = await response.Content.ReadAsStringAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.That(text, Is.EqualTo("line1\nline2\nline3\n"));
        var run = await _server.GetRunAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
    }

    [Test]
    public async Task Cancel_answers_at_once_then_409_once_finished()
    {
        var runId = await _server.StartRunAsync("sleep 60");
        await _server.WaitForRunAsync(runId, r => r.GetProperty("status").GetString() == "running");
        var response = await _server.SendAsync(HttpMethod.Post, $"/runs/{runId}/cancel");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
        Assert.That(body.GetProperty("runId").GetString(), Is.EqualTo(runId));
        var run = await _server.WaitForTerminalAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
        Assert.That(run.GetProperty("reason").GetString(), Is.EqualTo("Cancelled by user"));
        Assert.That(run.GetProperty("exitCode").GetInt32(), Is.EqualTo(128 + 15));

        var again = await _server.SendAsync(HttpMethod.Post, $"/runs/{runId}/cancel");
        var conflict = JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement;
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(conflict.GetProperty("runId").GetString(), Is.EqualTo(runId));
        Assert.That(conflict.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
    }

    [Test]
    [Category("SingleNode")] // MAX_CONCURRENT_RUNS is per node: in a fleet of two the "queued" run starts on the other
    public async Task Cancelling_a_queued_run_ends_it_without_starting_it()
    {
        await using var server = await RunsServerHost.StartAsync(o => o with { MaxConcurrentRuns = 1 });
        var blocker = await server.StartRunAsync("sleep 60");
        var queued = await server.StartRunAsync("touch should-not-exist");
        var response = await server.SendAsync(HttpMethod.Post, $"/runs/{queued}/cancel");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var run = await server.WaitForTerminalAsync(queued);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
        Assert.That(run.GetProperty("startedAt").ValueKind, Is.EqualTo(JsonValueKind.Null));
        await server.SendAsync(HttpMethod.Post, $"/runs/{blocker}/cancel");
        await server.WaitForTerminalAsync(blocker);
        Assert.That(File.Exists(Path.Combine(server.Options.WorkspaceRoot, "default", "should-not-exist")), Is.False);
    }

    [Test]
    public async Task An_external_executor_publishes_into_a_run_created_on_first_use()
    {
        var runId = "ext-" + Guid.NewGuid().ToString("N");
        var response = await _server.SendAsync(HttpMethod.Post, $"/runs/{runId}/events",
            "[{\"type\":\"status\",\"data\":\"running\"},{\"type\":\"stdout\",\"data\":\"hello\\n\"},{\"type\":\"stderr\",\"data\":\"warn\\n\"}]");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync());
        var run = await _server.GetRunAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("running"));
        Assert.That(run.GetProperty("command").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(await _server.Http.GetStringAsync($"/runs/{runId}/log"), Is.EqualTo("hello\nwarn\n"));

        response = await _server.SendAsync(HttpMethod.Post, $"/runs/{runId}/events", "[{\"type\":\"status\",\"status\":\"failed\",\"data\":\"failed\",\"reason\":\"boom\",\"exitCode\":2}]");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        run = await _server.GetRunAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(run.GetProperty("reason").GetString(), Is.EqualTo("boom"));
        Assert.That(run.GetProperty("exitCode").GetInt32(), Is.EqualTo(2));

        var late = await _server.SendAsync(HttpMethod.Post, $"/runs/{runId}/events", "[{\"type\":\"stdout\",\"data\":\"late\"}]");
        Assert.That(late.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(await _server.Http.GetStringAsync($"/runs/{runId}/log"), Is.EqualTo("hello\nwarn\n"));
    }

    [Test]
    public async Task Publishing_into_a_run_this_server_executes_is_409()
    {
        var runId = await _server.StartRunAsync("sleep 2");
        var response = await _server.SendAsync(HttpMethod.Post, $"/runs/{runId}/events", "[{\"type\":\"stdout\",\"data\":\"x\"}]");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        await _server.WaitForTerminalAsync(runId);
    }

    [TestCase("{\"type\":\"stdout\",\"data\":\"x\"}")]
    [TestCase("[{\"type\":\"stdout\",\"data\":\"ok\"},{\"type\":\"bogus\",\"data\":\"x\"}]")]
    [TestCase("[{\"type\":\"stdout\"}]")]
    [TestCase("[{\"type\":\"status\",\"data\":\"finished\"}]")]
    [TestCase("[{\"type\":\"stdout\",\"data\":5}]")]
    [TestCase("[{\"type\":\"status\",\"data\":\"failed\",\"exitCode\":\"x\"}]")]
    [TestCase("[1,2]")]
    public async Task A_refused_publish_is_400_and_creates_nothing(string body)
    {
        var runId = "ext-" + Guid.NewGuid().ToString("N");
        await ErrorOf(await _server.SendAsync(HttpMethod.Post, $"/runs/{runId}/events", body), 400, "bad_request");
        await ErrorOf(await _server.SendAsync(HttpMethod.Get, $"/runs/{runId}"), 404, "not_found");
    }

    [Test]
    public async Task The_in_process_api_publishes_like_the_rest_endpoint()
    {
        var runId = "embedded-" + Guid.NewGuid().ToString("N");
        _server.Runs.SendStatus(runId, RunsStream.Server.Runs.RunStatus.Running);
        _server.Runs.SendStdout(runId, "from code\n");
        _server.Runs.SendStderr(runId, "oops\n");
        _server.Runs.SendStatus(runId, RunsStream.Server.Runs.RunStatus.Succeeded, exitCode: 0);
        var run = await _server.GetRunAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
        Assert.That(await _server.Http.GetStringAsync($"/runs/{runId}/log"), Is.EqualTo("from code\noops\n"));
    }
}
