using System.Net;
using System.Text.Json;
using RunsStream.Tests.Support;
using static RunsStream.Tests.Support.RestErrors;

namespace RunsStream.Tests.Server.Runs;

/// <summary>
/// POST /runs/{runId}/events bodies that must be refused (CONTRACT sections 5 and 6): a batch
/// that goes on past its own terminal status is 409 like any publish after a terminal status;
/// malformed events are 400; either way nothing is created or appended.
/// </summary>
[TestFixture]
public sealed class PublishValidationTests
{
    private RunsServerHost _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await RunsServerHost.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    private static string NewExternalId() => "ext-" + Guid.NewGuid().ToString("N");

    private Task<HttpResponseMessage> PublishAsync(string runId, string body) =>
        _server.SendAsync(HttpMethod.Post, $"/runs/{runId}/events", body);

    private async Task AssertRunDoesNotExistAsync(string runId) =>
        await ErrorMessageOf(await _server.SendAsync(HttpMethod.Get, $"/runs/{runId}"), HttpStatusCode.NotFound, "not_found");

    [TestCase("[{\"type\":\"status\",\"data\":\"succeeded\"},{\"type\":\"stdout\",\"data\":\"after the end\"}]")]
    [TestCase("[{\"type\":\"stdout\",\"data\":\"x\"},{\"type\":\"status\",\"data\":\"failed\"},{\"type\":\"stderr\",\"data\":\"y\"}]")]
    [TestCase("[{\"type\":\"status\",\"data\":\"cancelled\"},{\"type\":\"status\",\"data\":\"succeeded\"}]")]
    [TestCase("[{\"type\":\"status\",\"data\":\"succeeded\"},{\"type\":\"status\",\"data\":\"running\"}]")]
    public async Task A_batch_with_events_after_its_own_terminal_status_is_409_and_creates_nothing(string body)
    {
        var runId = NewExternalId();
        var message = await ErrorMessageOf(await PublishAsync(runId, body), HttpStatusCode.Conflict, "conflict");
        Assert.That(message, Does.Contain("terminal"));
        await AssertRunDoesNotExistAsync(runId);
    }

    [Test]
    public async Task A_batch_with_events_after_its_own_terminal_status_appends_nothing_to_a_running_run()
    {
        var runId = NewExternalId();
        var first = await PublishAsync(runId, "[{\"type\":\"status\",\"data\":\"running\"},{\"type\":\"stdout\",\"data\":\"before\\n\"}]");
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await first.Content.ReadAsStringAsync());

        var refused = await PublishAsync(runId, "[{\"type\":\"stdout\",\"data\":\"lost\\n\"},{\"type\":\"status\",\"data\":\"succeeded\"},{\"type\":\"stdout\",\"data\":\"late\\n\"}]");
        await ErrorMessageOf(refused, HttpStatusCode.Conflict, "conflict");
        var run = await _server.GetRunAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("running"));
        Assert.That(await _server.Http.GetStringAsync($"/runs/{runId}/log"), Is.EqualTo("before\n"));

        // The run is still open: a well-formed batch ending in its terminal status is taken.
        var done = await PublishAsync(runId, "[{\"type\":\"stdout\",\"data\":\"after\\n\"},{\"type\":\"status\",\"data\":\"succeeded\",\"exitCode\":0}]");
        Assert.That(done.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await done.Content.ReadAsStringAsync());
        Assert.That(await _server.Http.GetStringAsync($"/runs/{runId}/log"), Is.EqualTo("before\nafter\n"));
    }

    [Test]
    public async Task A_publish_after_the_terminal_status_of_an_earlier_batch_is_409_with_the_status()
    {
        var runId = NewExternalId();
        var done = await PublishAsync(runId, "[{\"type\":\"status\",\"data\":\"failed\",\"reason\":\"boom\"}]");
        Assert.That(done.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await done.Content.ReadAsStringAsync());
        var refused = await PublishAsync(runId, "[{\"type\":\"stdout\",\"data\":\"late\"}]");
        await ErrorMessageOf(refused, HttpStatusCode.Conflict, "conflict");
        var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
        Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(await _server.Http.GetStringAsync($"/runs/{runId}/log"), Is.Empty);
    }

    [Test]
    public async Task An_empty_batch_is_400_and_creates_nothing()
    {
        var runId = NewExternalId();
        Assert.That(await ErrorMessageOf(await PublishAsync(runId, "[]"), HttpStatusCode.BadRequest, "bad_request"), Does.Contain("at least one"));
        await AssertRunDoesNotExistAsync(runId);
    }

    [TestCase("99999999999")]
    [TestCase("-99999999999")]
    [TestCase("1e400")]
    [TestCase("1.5")]
    [TestCase("1e2")]
    [TestCase("\"1\"")]
    [TestCase("true")]
    [TestCase("123456789012345678901234567890123456789012345678901234567890")]
    public async Task An_exit_code_that_is_not_a_32_bit_integer_is_400(string exitCode)
    {
        var runId = NewExternalId();
        var message = await ErrorMessageOf(await PublishAsync(runId, $"[{{\"type\":\"status\",\"data\":\"failed\",\"exitCode\":{exitCode}}}]"), HttpStatusCode.BadRequest, "bad_request");
        Assert.That(message, Does.Contain("exitCode"));
        await AssertRunDoesNotExistAsync(runId);
    }

    [TestCase("[{\"type\":5,\"data\":\"x\"}]", "type")]
    [TestCase("[{\"type\":\"STDOUT\",\"data\":\"x\"}]", "type")]
    [TestCase("[{\"type\":\"stdout\",\"data\":[\"x\"]}]", "data")]
    [TestCase("[{\"type\":\"stdout\",\"data\":{}}]", "data")]
    [TestCase("[{\"type\":\"status\",\"status\":5,\"data\":\"running\"}]", "status")]
    [TestCase("[{\"type\":\"status\",\"status\":[\"running\"]}]", "status")]
    [TestCase("[{\"type\":\"status\",\"data\":\"failed\",\"reason\":7}]", "reason")]
    [TestCase("[null]", "events[0]")]
    [TestCase("[\"stdout\"]", "events[0]")]
    [TestCase("{}", "array")]
    [TestCase("null", "array")]
    [TestCase("\"[]\"", "array")]
    public async Task A_field_of_the_wrong_type_is_400_naming_it(string body, string named)
    {
        var runId = NewExternalId();
        var message = await ErrorMessageOf(await PublishAsync(runId, body), HttpStatusCode.BadRequest, "bad_request");
        Assert.That(message, Does.Contain(named));
        await AssertRunDoesNotExistAsync(runId);
    }
}
