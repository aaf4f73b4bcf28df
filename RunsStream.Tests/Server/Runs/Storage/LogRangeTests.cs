using System.Net;
using System.Net.Http.Headers;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Storage;

/// <summary>GET /runs/{runId}/log with Range (RFC 9110 section 14) and raw downloads.</summary>
[TestFixture]
public sealed class LogRangeTests
{
    private RunsServerHost _server = null!;
    private string _runId = null!;
    private const string Output = "0123456789\nabcdefghij\n";

    [OneTimeSetUp]
    public async Task Start()
    {
        _server = await RunsServerHost.StartAsync();
        _runId = await _server.StartRunAsync("printf '0123456789\\n'; sleep 0.2; printf 'ERR' >&2; sleep 0.2; printf 'abcdefghij\\n'");
        await _server.WaitForTerminalAsync(_runId);
    }

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    private async Task<HttpResponseMessage> GetRangeAsync(string range, string query = "")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/runs/{_runId}/log{query}");
        request.Headers.TryAddWithoutValidation("Range", range);
        return await _server.Http.SendAsync(request);
    }

    [TestCase("bytes=0-4", 0, 4)]
    [TestCase("bytes=11-", 11, 24)]
    [TestCase("bytes=-5", 20, 24)]
    [TestCase("bytes=9-13", 9, 13)]
    [TestCase("bytes=20-1000", 20, 24)]
    public async Task A_range_answers_206_with_exactly_those_bytes(string range, int first, int last)
    {
        var combined = "0123456789\nERRabcdefghij\n";
        var response = await GetRangeAsync(range);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(response.Content.Headers.ContentRange?.ToString(), Is.EqualTo($"bytes {first}-{last}/{combined.Length}"));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo(combined[first..(last + 1)]));
    }

    [Test]
    public async Task A_range_of_one_stream_counts_that_streams_bytes()
    {
        var stdout = await GetRangeAsync("bytes=5-15", "?stream=stdout");
        Assert.That(stdout.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(await stdout.Content.ReadAsStringAsync(), Is.EqualTo(Output[5..16]));
        var stderr = await GetRangeAsync("bytes=1-", "?stream=stderr");
        Assert.That(await stderr.Content.ReadAsStringAsync(), Is.EqualTo("RR"));
        Assert.That(stderr.Content.Headers.ContentRange?.ToString(), Is.EqualTo("bytes 1-2/3"));
    }

    [TestCase("bytes=25-")]
    [TestCase("bytes=5-2")]
    [TestCase("bytes=0-1,4-5")]
    [TestCase("items=0-1")]
    [TestCase("bytes=-0")]
    public async Task An_unsatisfiable_range_is_416_with_the_length(string range)
    {
        var response = await GetRangeAsync(range);
        Assert.That((int)response.StatusCode, Is.EqualTo(416));
        Assert.That(response.Content.Headers.ContentRange?.ToString(), Is.EqualTo("bytes */25"));
    }

    [Test]
    public async Task The_full_log_advertises_ranges_and_downloads_as_an_attachment()
    {
        var response = await _server.Http.GetAsync($"/runs/{_runId}/log?download=true");
        Assert.That(response.Headers.AcceptRanges, Does.Contain("bytes"));
        Assert.That(response.Content.Headers.ContentDisposition?.DispositionType, Is.EqualTo("attachment"));
        Assert.That(response.Content.Headers.ContentDisposition?.FileName?.Trim('"'), Is.EqualTo($"{_runId}.log"));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("0123456789\nERRabcdefghij\n"));
    }

    [Test]
    public async Task Ranges_of_a_multi_byte_log_are_exact_bytes()
    {
        var runId = await _server.StartRunAsync("printf 'h\\303\\251llo \\342\\202\\254'");
        await _server.WaitForTerminalAsync(runId);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/runs/{runId}/log");
        request.Headers.Range = new RangeHeaderValue(1, 2);
        var response = await _server.Http.SendAsync(request);
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(new byte[] { 0xC3, 0xA9 }));
    }
}
