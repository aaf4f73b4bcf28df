using System.Net;
using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Auth;

/// <summary>
/// Issue 15 item 2, as a table: every REST route and socket event, against tokens of two
/// workspaces (the run is in "a") and three scopes. A missing scope is a 403 that names it; a run
/// of another workspace is answered exactly as an unknown id, and no byte of it (its command
/// and its output carry a secret marker) reaches the token.
/// </summary>
[TestFixture]
public sealed class AuthorizationMatrixTests
{
    public enum Operation { List, Get, Log, LogFollow, Start, Cancel, Publish, Subscribe, Resize, HandshakeRunId }

    private enum Expect { Allowed, Forbidden, Hidden }

    private static readonly Operation[] WriteOperations = [Operation.Start, Operation.Cancel, Operation.Publish, Operation.Resize];

    private RunsServerHost _server = null!;
    private string _runA = "";
    private string _runB = "";
    private string _secret = "";

    public static IEnumerable<TestCaseData> Cases() =>
        from operation in Enum.GetValues<Operation>()
        from workspace in new[] { "a", "b" }
        from scope in new[] { "runs:read", "runs:write", "admin" }
        select new TestCaseData(operation, workspace, scope).SetName($"{operation} with a token of workspace {workspace} and scope {scope}");

    [OneTimeSetUp]
    public async Task Start()
    {
        _server = await AuthFixture.StartAsync();
        _secret = "secret-" + Guid.NewGuid().ToString("N");
        var writerA = AuthFixture.Token("alice", "a", "runs:write");
        _runA = await AuthFixture.StartRunAsync(_server, writerA, $"printf '%s\\n' {_secret}", "a");
        _runB = await AuthFixture.StartRunAsync(_server, AuthFixture.Token("bob", "b", "runs:write"), "echo only-b", "b");
        await _server.WaitForTerminalAsync(_runA);
        await _server.WaitForTerminalAsync(_runB);
    }

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    [TestCaseSource(nameof(Cases))]
    public async Task Every_route_and_socket_event_checks_scope_then_workspace(Operation operation, string workspace, string scope)
    {
        var token = AuthFixture.Token("user-" + workspace, workspace, scope);
        var needsWrite = WriteOperations.Contains(operation);
        var hasScope = scope == "admin" || scope == (needsWrite ? "runs:write" : "runs:read");
        var expect = !hasScope ? Expect.Forbidden : workspace == "a" ? Expect.Allowed : Expect.Hidden;
        var missing = needsWrite ? "runs:write" : "runs:read";
        var seen = operation switch
        {
            Operation.Subscribe or Operation.Resize or Operation.HandshakeRunId => await SocketAsync(operation, token, expect, missing, scope != "runs:write"),
            _ => await RestAsync(operation, token, expect, missing),
        };
        if (expect != Expect.Allowed)
        {
            Assert.That(seen, Does.Not.Contain(_secret), "a byte of the other workspace's run reached the token");
        }
    }

    private async Task<string> RestAsync(Operation operation, string token, Expect expect, string missing)
    {
        var (method, path, body) = Request(operation, _runA);
        using var response = await AuthFixture.SendAsync(_server, token, method, path, body);
        var text = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        switch (expect)
        {
            case Expect.Forbidden:
                Assert.That(status, Is.EqualTo(403), text);
                Assert.That(text, Is.EqualTo($"{{\"error\":{{\"code\":\"forbidden\",\"message\":\"This token lacks the {missing} scope\"}}}}"));
                break;
            case Expect.Allowed:
                Assert.That(status, Is.EqualTo(operation switch
                {
                    Operation.Start => 201,
                    Operation.Cancel or Operation.Publish => 409, // it passed the checks: the run has finished / is executed here
                    _ => 200,
                }), text);
                if (operation is Operation.List or Operation.Get)
                {
                    Assert.That(text, Does.Contain(_runA));
                }
                if (operation is Operation.Log or Operation.LogFollow)
                {
                    Assert.That(text, Does.Contain(_secret));
                }
                break;
            case Expect.Hidden when operation == Operation.List:
                Assert.That(status, Is.EqualTo(200), text);
                Assert.That(text, Does.Not.Contain(_runA));
                Assert.That(text, Does.Contain(_runB), "the token's own workspace is listed");
                break;
            case Expect.Hidden when operation == Operation.Start:
                Assert.That(status, Is.EqualTo(403), text);
                Assert.That(text, Does.Contain("may not use workspace 'a'"));
                break;
            case Expect.Hidden:
                // Word for word the answer for an id that exists nowhere, with the same token.
                const string unknown = "run-that-does-not-exist";
                var (unknownMethod, unknownPath, unknownBody) = Request(operation, unknown);
                using (var reference = await AuthFixture.SendAsync(_server, token, unknownMethod, unknownPath, unknownBody))
                {
                    Assert.That(status, Is.EqualTo((int)reference.StatusCode).And.EqualTo(404), text);
                    Assert.That(text.Replace(_runA, "ID"), Is.EqualTo((await reference.Content.ReadAsStringAsync()).Replace(unknown, "ID")));
                }
                break;
        }
        return text;
    }

    private static (HttpMethod, string, string?) Request(Operation operation, string runId) => operation switch
    {
        Operation.List => (HttpMethod.Get, "/runs?limit=500", null),
        Operation.Get => (HttpMethod.Get, $"/runs/{runId}", null),
        Operation.Log => (HttpMethod.Get, $"/runs/{runId}/log", null),
        Operation.LogFollow => (HttpMethod.Get, $"/runs/{runId}/log?follow=true", null),
        Operation.Start => (HttpMethod.Post, "/runs", "{\"command\":\"true\",\"workspaceId\":\"a\"}"),
        Operation.Cancel => (HttpMethod.Post, $"/runs/{runId}/cancel", null),
        Operation.Publish => (HttpMethod.Post, $"/runs/{runId}/events", "[{\"type\":\"stdout\",\"data\":\"injected\"}]"),
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    private async Task<string> SocketAsync(Operation operation, string token, Expect expect, string missing, bool canRead)
    {
        if (operation == Operation.HandshakeRunId)
        {
            return await HandshakeAsync(token, expect, missing);
        }
        await using var socket = await AuthSocket.ConnectAsync(_server, token);
        Assert.That(socket.Connected, Is.True, socket.ConnectAnswer);
        JsonElement Payload(string runId) => operation == Operation.Subscribe
            ? JsonSerializer.SerializeToElement(new { runId })
            : JsonSerializer.SerializeToElement(new { runId, cols = 100, rows = 30 });
        var eventName = operation == Operation.Subscribe ? "subscribe" : "resize";
        var ack = await socket.EmitWithAckAsync(eventName, Payload(_runA));
        switch (expect)
        {
            case Expect.Forbidden:
                Assert.That(ack.GetRawText(), Is.EqualTo($"{{\"ok\":false,\"error\":\"This token lacks the {missing} scope\"}}"));
                break;
            case Expect.Allowed when operation == Operation.Subscribe:
                Assert.That(ack.GetProperty("ok").GetBoolean(), Is.True, ack.GetRawText());
                await socket.ReceiveUntilAsync(f => f.Contains("\"status\":\"succeeded\"", StringComparison.Ordinal));
                Assert.That(socket.Received, Does.Contain(_secret));
                break;
            case Expect.Allowed:
                Assert.That(ack.GetProperty("error").GetString(), Does.Contain("has no terminal"), "past the checks: the run is on pipes");
                break;
            case Expect.Hidden:
                const string unknown = "run-that-does-not-exist";
                var reference = await socket.EmitWithAckAsync(eventName, Payload(unknown));
                Assert.That(ack.GetRawText().Replace(_runA, "ID"), Is.EqualTo(reference.GetRawText().Replace(unknown, "ID")));
                Assert.That(ack.GetProperty("ok").GetBoolean(), Is.False);
                break;
        }
        if (expect == Expect.Hidden && canRead)
        {
            // A barrier: the token's own run, replayed to its end on the same socket. Had any
            // subscription to run a been made, its events would have come by then.
            var own = await socket.EmitWithAckAsync("subscribe", new { runId = _runB });
            Assert.That(own.GetProperty("ok").GetBoolean(), Is.True, own.GetRawText());
            await socket.ReceiveUntilAsync(f => f.Contains(_runB, StringComparison.Ordinal) && f.Contains("\"status\":\"succeeded\"", StringComparison.Ordinal));
        }
        return socket.Received;
    }

    private async Task<string> HandshakeAsync(string token, Expect expect, string missing)
    {
        await using var socket = await AuthSocket.ConnectAsync(_server, token, "runId=" + _runA);
        switch (expect)
        {
            case Expect.Forbidden:
                Assert.That(socket.Error, Is.EqualTo($"This token lacks the {missing} scope"));
                break;
            case Expect.Allowed:
                Assert.That(socket.Connected, Is.True, socket.ConnectAnswer);
                await socket.ReceiveUntilAsync(f => f.Contains("\"status\":\"succeeded\"", StringComparison.Ordinal));
                Assert.That(socket.Received, Does.Contain(_secret));
                break;
            case Expect.Hidden:
                const string unknown = "run-that-does-not-exist";
                await using (var reference = await AuthSocket.ConnectAsync(_server, token, "runId=" + unknown))
                {
                    Assert.That(socket.Error?.Replace(_runA, "ID"), Is.EqualTo(reference.Error?.Replace(unknown, "ID")).And.Not.Null);
                }
                break;
        }
        return socket.Received;
    }

    [Test]
    public async Task The_shared_WS_AUTH_TOKEN_is_the_admin_of_every_workspace()
    {
        using var list = await AuthFixture.SendAsync(_server, RunsServerHost.Token, HttpMethod.Get, "/runs?limit=500");
        var text = await list.Content.ReadAsStringAsync();
        Assert.That(text, Does.Contain(_runA).And.Contain(_runB));
        await using var socket = await AuthSocket.ConnectAsync(_server, RunsServerHost.Token);
        var ack = await socket.EmitWithAckAsync("subscribe", new { runId = "run-not-yet-created" });
        Assert.That(ack.GetProperty("ok").GetBoolean(), Is.True, "an all-workspaces token may still wait for a run to be created");
    }

    [Test]
    public async Task A_token_of_one_workspace_may_not_wait_for_a_run_that_does_not_exist_yet()
    {
        await using var socket = await AuthSocket.ConnectAsync(_server, AuthFixture.Token("carol", "a", "runs:read"));
        var ack = await socket.EmitWithAckAsync("subscribe", new { runId = "run-not-yet-created" });
        Assert.That(ack.GetRawText(), Is.EqualTo("{\"ok\":false,\"error\":\"Run \\u0027run-not-yet-created\\u0027 not found\"}").Or.EqualTo("{\"ok\":false,\"error\":\"Run 'run-not-yet-created' not found\"}"));
    }

    [Test]
    public async Task Paging_a_listing_counts_only_the_runs_the_token_may_see()
    {
        var tokenC = AuthFixture.Token("carl", "c", "runs:read runs:write");
        var mine = await AuthFixture.StartRunAsync(_server, tokenC, "true", "c");
        // Runs of another workspace created after it: a filter after the query would page over them.
        for (var i = 0; i < 3; i++)
        {
            await AuthFixture.StartRunAsync(_server, AuthFixture.Token("dan", "d", "runs:write"), "true", "d");
        }
        using var page = await AuthFixture.SendAsync(_server, tokenC, HttpMethod.Get, "/runs?limit=1");
        var runs = JsonDocument.Parse(await page.Content.ReadAsStringAsync()).RootElement;
        Assert.That(runs.GetArrayLength(), Is.EqualTo(1));
        Assert.That(runs[0].GetProperty("runId").GetString(), Is.EqualTo(mine));
        using var cursor = await AuthFixture.SendAsync(_server, tokenC, HttpMethod.Get, "/runs?before=" + _runA);
        Assert.That(cursor.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "another workspace's run is no cursor: it is unknown to the token");
        Assert.That(await cursor.Content.ReadAsStringAsync(), Does.Contain("names no known run"));
    }

    [Test]
    public async Task Since_ranges_and_downloads_of_another_workspaces_run_get_nothing_of_it()
    {
        var token = AuthFixture.Token("bob", "b", "admin");
        var seen = new System.Text.StringBuilder();
        await using (var socket = await AuthSocket.ConnectAsync(_server, token))
        {
            foreach (var since in new long[] { 0, 1, 2 })
            {
                var ack = await socket.EmitWithAckAsync("subscribe", new { runId = _runA, since });
                Assert.That(ack.GetProperty("error").GetString(), Is.EqualTo($"Run '{_runA}' not found"));
            }
            Assert.That((await socket.EmitWithAckAsync("subscribe", new { runId = _runB })).GetProperty("ok").GetBoolean(), Is.True);
            await socket.ReceiveUntilAsync(f => f.Contains(_runB, StringComparison.Ordinal) && f.Contains("\"status\":\"succeeded\"", StringComparison.Ordinal));
            seen.Append(socket.Received);
        }
        await using (var handshake = await AuthSocket.ConnectAsync(_server, token, $"runId={_runA}&since=1"))
        {
            Assert.That(handshake.Error, Is.EqualTo($"Run '{_runA}' not found"));
            seen.Append(handshake.Received);
        }
        foreach (var (path, range) in new[] { ($"/runs/{_runA}/log?download=true", (string?)null), ($"/runs/{_runA}/log?stream=stdout", null), ($"/runs/{_runA}/log", "bytes=0-5") })
        {
            using var http = new HttpClient { BaseAddress = new Uri(_server.Url) };
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            if (range is not null)
            {
                request.Headers.Range = System.Net.Http.Headers.RangeHeaderValue.Parse(range);
            }
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.That((int)response.StatusCode, Is.EqualTo(404), path);
            Assert.That(response.Content.Headers.ContentDisposition, Is.Null, "no download name that would confirm the run");
            seen.Append(text);
        }
        Assert.That(seen.ToString(), Does.Not.Contain(_secret));
    }
}
