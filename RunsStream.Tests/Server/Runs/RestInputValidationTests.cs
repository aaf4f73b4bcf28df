using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RunsStream.Tests.Support;
using static RunsStream.Tests.Support.RestErrors;

namespace RunsStream.Tests.Server.Runs;

/// <summary>
/// Request bodies that are not plain, well-formed JSON (bad UTF-8, trailing bytes, duplicate
/// keys, NUL in a command, unpaired surrogates) are refused with a clear 400 before anything is
/// created or run; a publish past its own terminal status is 409. All through the real server,
/// with raw bytes where the text cannot be written as a C# string.
/// </summary>
[TestFixture]
public sealed class RestInputValidationTests
{
    private RunsServerHost _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await RunsServerHost.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    private async Task<HttpResponseMessage> PostBytesAsync(string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await _server.Http.PostAsync(path, content);
    }

    private static byte[] Bytes(params object[] parts) =>
        parts.SelectMany(p => p switch
        {
            string text => Encoding.UTF8.GetBytes(text),
            byte[] raw => raw,
            _ => throw new ArgumentException("text or bytes", nameof(parts)),
        }).ToArray();

    /// <summary>No run in the list has this command: the refused request started nothing.</summary>
    private async Task AssertNoRunWithCommandAsync(string marker)
    {
        var list = JsonDocument.Parse(await _server.Http.GetStringAsync("/runs?limit=500")).RootElement;
        var commands = list.EnumerateArray().Select(r => r.GetProperty("command").GetString() ?? "");
        Assert.That(commands.Where(c => c.Contains(marker, StringComparison.Ordinal)), Is.Empty);
    }

    private async Task AssertRunDoesNotExistAsync(string runId)
    {
        var response = await _server.SendAsync(HttpMethod.Get, $"/runs/{runId}");
        await ErrorMessageOf(response, HttpStatusCode.NotFound, "not_found");
    }

    private static string NewExternalId() => "ext-" + Guid.NewGuid().ToString("N");

    // Each case: the bytes that replace the middle of a JSON string.
    private static readonly object[] s_invalidUtf8 =
    [
        new object[] { "a lone 0xFF", new byte[] { 0xFF } },
        new object[] { "a continuation byte with no lead", new byte[] { 0x80 } },
        new object[] { "an overlong NUL", new byte[] { 0xC0, 0x80 } },
        new object[] { "an encoded surrogate", new byte[] { 0xED, 0xA0, 0x80 } },
        new object[] { "a truncated three-byte sequence", new byte[] { 0xE2, 0x82 } },
        new object[] { "Latin-1 text", new byte[] { 0x63, 0x61, 0x66, 0xE9 } },
    ];

    [TestCaseSource(nameof(s_invalidUtf8))]
    public async Task Invalid_utf8_in_a_run_request_is_400_and_starts_nothing(string what, byte[] bad)
    {
        var marker = Guid.NewGuid().ToString("N");
        var response = await PostBytesAsync("/runs", Bytes($"{{\"command\":\"echo {marker} ", bad, "\"}"));
        Assert.That(await ErrorMessageOf(response, HttpStatusCode.BadRequest, "bad_request"), Does.Contain("UTF-8"), what);
        await AssertNoRunWithCommandAsync(marker);
    }

    [TestCaseSource(nameof(s_invalidUtf8))]
    public async Task Invalid_utf8_in_a_published_event_is_400_and_creates_nothing(string what, byte[] bad)
    {
        var runId = NewExternalId();
        var response = await PostBytesAsync($"/runs/{runId}/events", Bytes("[{\"type\":\"stdout\",\"data\":\"x", bad, "\"}]"));
        Assert.That(await ErrorMessageOf(response, HttpStatusCode.BadRequest, "bad_request"), Does.Contain("UTF-8"), what);
        await AssertRunDoesNotExistAsync(runId);
    }

    [Test]
    public async Task Invalid_utf8_in_a_property_name_is_400()
    {
        var response = await PostBytesAsync("/runs", Bytes("{\"command\":\"echo hi\",\"", new byte[] { 0xFF }, "\":1}"));
        Assert.That(await ErrorMessageOf(response, HttpStatusCode.BadRequest, "bad_request"), Does.Contain("UTF-8"));
    }

    [Test]
    public async Task The_utf8_error_says_where_the_bad_byte_is()
    {
        var response = await PostBytesAsync("/runs", Bytes("{\"command\":\"", new byte[] { 0xFF }, "\"}"));
        Assert.That(await ErrorMessageOf(response, HttpStatusCode.BadRequest, "bad_request"), Does.Contain("offset 12"));
    }

    [TestCase("\\ud800")]
    [TestCase("\\udc00")]
    [TestCase("x\\ud83dy")]
    public async Task An_unpaired_surrogate_escape_is_400_for_runs_and_events(string escape)
    {
        var marker = Guid.NewGuid().ToString("N");
        var response = await _server.SendAsync(HttpMethod.Post, "/runs", $"{{\"command\":\"echo {marker} {escape}\"}}");
        Assert.That(await ErrorMessageOf(response, HttpStatusCode.BadRequest, "bad_request"), Does.Contain("surrogate"));
        await AssertNoRunWithCommandAsync(marker);

        var runId = NewExternalId();
        response = await _server.SendAsync(HttpMethod.Post, $"/runs/{runId}/events", $"[{{\"type\":\"stdout\",\"data\":\"{escape}\"}}]");
        Assert.That(await ErrorMessageOf(response, HttpStatusCode.BadRequest, "bad_request"), Does.Contain("surrogate"));
        await AssertRunDoesNotExistAsync(runId);
    }

    [Test]
    public async Task A_paired_surrogate_escape_is_an_ordinary_character()
    {
        var runId = await StartRawAsync("{\"command\":\"printf '%s' \\ud83d\\ude00\"}");
        await _server.WaitForTerminalAsync(runId);
        Assert.That(await _server.Http.GetStringAsync($"/runs/{runId}/log"), Is.EqualTo("\U0001F600"));
    }

    [TestCase(" xx")]
    [TestCase("{}")]
    [TestCase(" {\"command\":\"echo second\"}")]
    [TestCase("]")]
    [TestCase(" // comment")]
    [TestCase("\u0000")]
    public async Task Anything_after_the_json_value_is_400_and_starts_nothing(string trailer)
    {
        var marker = Guid.NewGuid().ToString("N");
        var response = await _server.SendAsync(HttpMethod.Post, "/runs", $"{{\"command\":\"echo {marker}\"}}{trailer}");
        Assert.That(await ErrorMessageOf(response, HttpStatusCode.BadRequest, "bad_request"), Does.Contain("after"));
        await AssertNoRunWithCommandAsync(marker);

        var runId = NewExternalId();
        response = await _server.SendAsync(HttpMethod.Post, $"/runs/{runId}/events", "[{\"type\":\"stdout\",\"data\":\"x\"}]" + trailer);
        await ErrorMessageOf(response, HttpStatusCode.BadRequest, "bad_request");
        await AssertRunDoesNotExistAsync(runId);
    }

    [Test]
    public async Task Trailing_whitespace_after_the_json_value_is_fine()
    {
        var runId = await StartRawAsync("{\"command\":\"echo spaced\"} \r\n\t\n");
        var run = await _server.WaitForTerminalAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
        Assert.That(await _server.Http.GetStringAsync($"/runs/{runId}/log"), Is.EqualTo("spaced\n"));
    }

    [TestCase("echo cut\\u0000; touch after-nul")]
    [TestCase("\\u0000echo hidden")]
    [TestCase("echo end\\u0000")]
    public async Task A_nul_in_the_command_is_400_and_says_why(string command)
    {
        var marker = Guid.NewGuid().ToString("N");
        var response = await _server.SendAsync(HttpMethod.Post, "/runs", $"{{\"command\":\"{command} #{marker}\"}}");
        var message = await ErrorMessageOf(response, HttpStatusCode.BadRequest, "bad_request");
        Assert.That(message, Does.Contain("NUL").And.Contain("command"));
        await AssertNoRunWithCommandAsync(marker);
    }

    [Test]
    public async Task A_nul_in_the_workspace_id_is_400()
    {
        var marker = Guid.NewGuid().ToString("N");
        var response = await _server.SendAsync(HttpMethod.Post, "/runs", $"{{\"command\":\"echo {marker}\",\"workspaceId\":\"ws\\u0000/../../etc\"}}");
        Assert.That(await ErrorMessageOf(response, HttpStatusCode.BadRequest, "bad_request"), Does.Contain("workspaceId"));
        await AssertNoRunWithCommandAsync(marker);
    }

    [Test]
    public async Task Output_published_with_a_nul_is_kept_whole()
    {
        // Output is data, not a command line: a process may print NUL, and so may a publisher.
        var runId = NewExternalId();
        var response = await _server.SendAsync(HttpMethod.Post, $"/runs/{runId}/events", "[{\"type\":\"stdout\",\"data\":\"a\\u0000b\\n\"}]");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync());
        Assert.That(await _server.Http.GetStringAsync($"/runs/{runId}/log"), Is.EqualTo("a\0b\n"));
    }

    [TestCase("{\"command\":\"echo MARK\",\"command\":\"echo other MARK\"}")]
    [TestCase("{\"command\":\"echo MARK\",\"workspaceId\":\"a\",\"workspaceId\":\"b\"}")]
    [TestCase("{\"command\":\"echo MARK\",\"comm\\u0061nd\":\"echo escaped twin MARK\"}")]
    public async Task A_duplicate_key_is_400_since_readers_disagree_on_which_one_wins(string body)
    {
        var marker = Guid.NewGuid().ToString("N");
        var response = await _server.SendAsync(HttpMethod.Post, "/runs", body.Replace("MARK", marker));
        Assert.That(await ErrorMessageOf(response, HttpStatusCode.BadRequest, "bad_request"), Does.Contain("Duplicate"));
        await AssertNoRunWithCommandAsync(marker);

        var runId = NewExternalId();
        response = await _server.SendAsync(HttpMethod.Post, $"/runs/{runId}/events", "[{\"type\":\"stdout\",\"data\":\"a\",\"data\":\"b\"}]");
        Assert.That(await ErrorMessageOf(response, HttpStatusCode.BadRequest, "bad_request"), Does.Contain("Duplicate"));
        await AssertRunDoesNotExistAsync(runId);
    }

    [Test]
    public async Task Deeply_nested_json_is_400_and_the_server_carries_on()
    {
        var deep = "{\"command\":\"echo deep\",\"x\":" + new string('[', 100_000) + new string(']', 100_000) + "}";
        var response = await _server.SendAsync(HttpMethod.Post, "/runs", deep);
        Assert.That(await ErrorMessageOf(response, HttpStatusCode.BadRequest, "bad_request"), Does.Contain("depth"));
        var events = "[" + new string('[', 5000) + new string(']', 5000) + "]";
        response = await _server.SendAsync(HttpMethod.Post, $"/runs/{NewExternalId()}/events", events);
        await ErrorMessageOf(response, HttpStatusCode.BadRequest, "bad_request");
        var runId = await _server.StartRunAsync("echo still fine");
        Assert.That((await _server.WaitForTerminalAsync(runId)).GetProperty("status").GetString(), Is.EqualTo("succeeded"));
    }

    [TestCase("\"echo hi\"")]
    [TestCase("null")]
    [TestCase("42")]
    [TestCase("true")]
    [TestCase(" ")]
    public async Task A_body_that_is_not_an_object_is_400(string body)
    {
        await ErrorMessageOf(await _server.SendAsync(HttpMethod.Post, "/runs", body), HttpStatusCode.BadRequest, "bad_request");
    }

    [Test]
    public async Task A_chunked_body_over_the_limit_is_413_like_one_with_a_length()
    {
        var body = Encoding.UTF8.GetBytes("{\"command\":\"echo " + new string('x', (int)_server.Options.MaxBodyBytes) + "\"}");
        using var content = new StreamContent(new MemoryStream(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/runs") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        var response = await _server.Http.SendAsync(request);
        await ErrorMessageOf(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [TestCase("/runs/run%00x")]
    [TestCase("/runs/run%00x/log")]
    public async Task A_nul_in_the_path_is_400_before_any_route_sees_it(string path)
    {
        // Kestrel refuses a decoded NUL in the path itself (with no body): nothing reaches a run id check.
        var response = await _server.SendAsync(HttpMethod.Get, path);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task A_command_too_long_for_one_process_argument_is_400_and_one_byte_shorter_runs()
    {
        // 43,689 three-byte characters: within MAX_COMMAND_LENGTH in characters, but past what
        // execve takes as one argument (131,071 bytes and its NUL) once it is UTF-8.
        var longest = ": " + new string('\u4e2d', 43_689) + "xx";
        Assert.That(Encoding.UTF8.GetByteCount(longest), Is.EqualTo(131_071));
        var response = await _server.SendAsync(HttpMethod.Post, "/runs", JsonSerializer.Serialize(new { command = longest + "x" }));
        var message = await ErrorMessageOf(response, HttpStatusCode.BadRequest, "bad_request");
        Assert.That(message, Does.Contain("131072 bytes").And.Contain("131071"));

        var runId = await _server.StartRunAsync(longest);
        var run = await _server.WaitForTerminalAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"), run.GetProperty("reason").ToString());
    }

    private async Task<string> StartRawAsync(string body)
    {
        var response = await PostBytesAsync("/runs", Encoding.UTF8.GetBytes(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), text);
        return JsonDocument.Parse(text).RootElement.GetProperty("runId").GetString()!;
    }
}
