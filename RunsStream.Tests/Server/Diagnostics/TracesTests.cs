using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Trace;
using RunsStream.Server.Diagnostics;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Diagnostics;

/// <summary>
/// Traces (OTEL_EXPORTER_OTLP_ENDPOINT): a span per run from queued to its end, under the
/// POST /runs request's span, read with the in-memory exporter; and the same spans sent over
/// OTLP/HTTP to a receiver in the test. Without an endpoint nothing is traced.
/// </summary>
[NonParallelizable]
public sealed class TracesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Test]
    public async Task A_run_is_one_span_from_queued_to_its_end_under_the_request_that_created_it_and_is_sent_over_otlp()
    {
        var received = new ConcurrentQueue<(string ContentType, byte[] Body)>();
        await using var collector = await TestServer.StartAsync(_ => { }, app => app.MapPost("/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            received.Enqueue((context.Request.ContentType ?? "", body.ToArray()));
            return Results.Ok();
        }));
        var spans = new List<Activity>();
        await using var server = await RunsServerHost.StartAsync(
            o => o with { Observability = ObservabilityOptions.Default with { OtlpEndpoint = collector.BaseUri } },
            builder => builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));

        var succeeded = await server.StartRunAsync("echo traced");
        var failed = await server.StartRunAsync("exit 3");
        await server.WaitForTerminalAsync(succeeded);
        await server.WaitForTerminalAsync(failed);

        var run = await Eventually.ValueAsync(() => Task.FromResult(RunSpan(spans, succeeded)), s => s is not null, _ => $"no span for {succeeded}: {Describe(spans)}", Timeout);
        Assert.That(run!.Source.Name, Is.EqualTo(RunsTelemetry.SourceName));
        Assert.That(run.Events.Select(e => e.Name), Is.EqualTo(new[] { "queued", "started", "ended" }));
        Assert.That(run.GetTagItem("runsstream.status"), Is.EqualTo("succeeded"));
        Assert.That(run.GetTagItem("runsstream.exit_code"), Is.EqualTo(0));
        Assert.That(run.Status, Is.EqualTo(ActivityStatusCode.Ok));
        Assert.That(run.Duration, Is.GreaterThan(TimeSpan.Zero));

        var request = Snapshot(spans).Single(s => s.Kind == ActivityKind.Server && s.SpanId == run.ParentSpanId);
        Assert.That(request.DisplayName, Does.StartWith("POST"));
        Assert.That(request.TraceId, Is.EqualTo(run.TraceId));

        var failure = await Eventually.ValueAsync(() => Task.FromResult(RunSpan(spans, failed)), s => s is not null, _ => Describe(spans), Timeout);
        Assert.That(failure!.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(failure.StatusDescription, Does.Contain("code 3"));
        Assert.That(Snapshot(spans).Where(s => s.Kind == ActivityKind.Server).Select(s => s.GetTagItem("url.path")), Has.None.StartsWith("/socket.io"));

        // OTLP/HTTP: protobuf, in which strings are their UTF-8 bytes: the run ids are in it.
        var otlp = Encoding.UTF8.GetBytes(succeeded);
        await Eventually.WaitUntilAsync(() => received.Any(r => r.Body.AsSpan().IndexOf(otlp) >= 0), $"the span of {succeeded} at the OTLP receiver", Timeout);
        Assert.That(received.First().ContentType, Is.EqualTo("application/x-protobuf"));
    }

    [Test]
    public async Task Without_an_otlp_endpoint_nothing_is_traced()
    {
        var spans = new List<Activity>();
        await using var server = await RunsServerHost.StartAsync(
            configureBuilder: builder => builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        var runId = await server.StartRunAsync("echo untraced");
        await server.WaitForTerminalAsync(runId);
        using var metrics = await server.SendAsync(HttpMethod.Get, "/metrics");
        Assert.That(await metrics.Content.ReadAsStringAsync(), Does.Contain("runsstream_runs_finished_total{otel_scope_name=\"RunsStream.Server\",status=\"succeeded\"} 1"),
            "the run ended (and the metrics saw it)");
        Assert.That(Snapshot(spans), Is.Empty);
    }

    private static Activity? RunSpan(List<Activity> spans, string runId) =>
        Snapshot(spans).FirstOrDefault(s => s.DisplayName == "run" && (string?)s.GetTagItem("runsstream.run_id") == runId);

    private static List<Activity> Snapshot(List<Activity> spans)
    {
        lock (spans)
        {
            return spans.ToList();
        }
    }

    private static string Describe(List<Activity> spans) =>
        string.Join("; ", Snapshot(spans).Select(s => $"{s.DisplayName} {s.Kind} {s.GetTagItem("runsstream.run_id")}"));
}
