using System.Net;
using System.Net.Http.Headers;
using RunsStream.Server.Diagnostics;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Diagnostics;

/// <summary>
/// GET /metrics: Prometheus text behind the token (unless METRICS_PUBLIC=true), and the counts
/// a run and its watcher cause, read from two scrapes around them.
/// </summary>
[NonParallelizable]
public sealed class MetricsEndpointTests
{
    [Test]
    public async Task Metrics_need_the_token_unless_public()
    {
        await using (var server = await RunsServerHost.StartAsync())
        {
            using var anonymous = await server.SendAsync(HttpMethod.Get, "/metrics", withToken: false);
            Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(await anonymous.Content.ReadAsStringAsync(), Does.Not.Contain("runsstream_"));
            using var wrong = new HttpRequestMessage(HttpMethod.Get, "/metrics");
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token");
            using var anonymousClient = new HttpClient { BaseAddress = new Uri(server.Url) };
            Assert.That((await anonymousClient.SendAsync(wrong)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

            using var authorized = await server.SendAsync(HttpMethod.Get, "/metrics");
            Assert.That(authorized.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(authorized.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
            // Counters are there before anything happened, at zero: a rate has its first sample.
            var scrape = new PrometheusText(await authorized.Content.ReadAsStringAsync());
            Assert.That(scrape.Has("runsstream_runs_created_total") && scrape.Sum("runsstream_runs_created_total") == 0, scrape.Text);
            Assert.That(scrape.Has("runsstream_engineio_disconnects_total") && scrape.Sum("runsstream_engineio_disconnects_total", "reason=slow consumer: outbound buffer full") == 0, scrape.Text);
        }
        await using (var open = await RunsServerHost.StartAsync(o => o with { Observability = ObservabilityOptions.Default with { MetricsPublic = true } }))
        {
            using var anonymous = await open.SendAsync(HttpMethod.Get, "/metrics", withToken: false);
            Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await anonymous.Content.ReadAsStringAsync(), Does.Contain("runsstream_runs_created_total"));
        }
    }

    [Test]
    public async Task Every_metric_of_the_readme_table_is_exported_with_its_prometheus_name()
    {
        await using var server = await RunsServerHost.StartAsync();
        var runId = await server.StartRunAsync("echo hello");
        await server.WaitForTerminalAsync(runId);
        await server.WatchAsync(runId);

        var scrape = await Eventually.ValueAsync(() => ScrapeAsync(server), s => s.Has("runsstream_engineio_disconnects_total"), s => s.Text);
        string[] expected =
        [
            "runsstream_socketio_connections", "runsstream_socketio_connects_total", "runsstream_engineio_disconnects_total",
            "runsstream_socketio_events_sent_total", "runsstream_socketio_sent_bytes_total",
            "runsstream_runs", "runsstream_runs_created_total", "runsstream_runs_started_total", "runsstream_runs_finished_total",
            "runsstream_queue_length", "runsstream_queue_wait_seconds_bucket", "runsstream_queue_wait_seconds_count",
            "runsstream_run_duration_seconds_bucket", "runsstream_run_duration_seconds_sum",
            "runsstream_store_commit_duration_seconds_count", "runsstream_store_backlog_writes", "runsstream_store_catchup_reads_total",
        ];
        Assert.That(expected.Where(name => !scrape.Has(name)), Is.Empty, scrape.Text);
        // The names are ours as written: the exporter adds no second unit or _total.
        Assert.That(scrape.Names.Where(n => n.Contains("_total_total") || n.Contains("_seconds_seconds")), Is.Empty);
    }

    [Test]
    public async Task A_run_and_its_watcher_show_in_the_counts()
    {
        await using var server = await RunsServerHost.StartAsync();
        var before = await ScrapeAsync(server);

        var runId = await server.StartRunAsync("printf 'metrics-line-%s\\n' $(seq 1 200)");
        await server.WaitForTerminalAsync(runId);
        var watched = await server.WatchAsync(runId, transports: "websocket");
        Assert.That(watched.GetProperty("terminal").GetProperty("status").GetString(), Is.EqualTo("succeeded"), watched.ToString());

        // The watcher's disconnect is counted when the server sees its connection close.
        var after = await Eventually.ValueAsync(
            () => ScrapeAsync(server),
            s => Delta(before, s, "runsstream_engineio_disconnects_total") >= 1,
            s => $"no disconnect counted yet: {s.Text}");

        Assert.Multiple(() =>
        {
            Assert.That(Delta(before, after, "runsstream_runs_created_total"), Is.EqualTo(1));
            Assert.That(Delta(before, after, "runsstream_runs_started_total"), Is.EqualTo(1));
            Assert.That(Delta(before, after, "runsstream_runs_finished_total", "status=succeeded"), Is.EqualTo(1));
            Assert.That(Delta(before, after, "runsstream_run_duration_seconds_count", "status=succeeded"), Is.EqualTo(1));
            Assert.That(Delta(before, after, "runsstream_queue_wait_seconds_count"), Is.EqualTo(1));
            Assert.That(Delta(before, after, "runsstream_socketio_connects_total", "namespace=/"), Is.EqualTo(1));
            Assert.That(Delta(before, after, "runsstream_engineio_disconnects_total", "reason=transport close"), Is.EqualTo(1));
            // At least the 200 lines' bytes went to the watcher, in at least a status and an output event.
            Assert.That(Delta(before, after, "runsstream_socketio_sent_bytes_total"), Is.GreaterThan(200 * "metrics-line-000\n".Length));
            Assert.That(Delta(before, after, "runsstream_socketio_events_sent_total"), Is.GreaterThanOrEqualTo(2));
            Assert.That(Delta(before, after, "runsstream_store_commit_duration_seconds_count"), Is.GreaterThanOrEqualTo(1));
            Assert.That(after.Sum("runsstream_runs", "status=running") + after.Sum("runsstream_runs", "status=queued"), Is.Zero);
            Assert.That(after.Sum("runsstream_socketio_connections"), Is.Zero, "the watcher is gone");
        });
    }

    [Test]
    public async Task A_watcher_of_a_finished_run_reads_from_the_store_and_is_counted_as_a_catch_up_read()
    {
        await using var server = await RunsServerHost.StartAsync();
        var runId = await server.StartRunAsync("for i in $(seq 1 400); do echo catch-up-line-$i; done");
        await server.WaitForTerminalAsync(runId);
        var before = await ScrapeAsync(server);

        // Once a finished run's events are durable its memory window is let go, and a watcher
        // from seq 0 is served by the store; until the last commit it may still be memory.
        await Eventually.WaitUntilAsync(async () =>
        {
            var watched = await server.WatchAsync(runId, since: 0);
            Assert.That(watched.GetProperty("terminal").GetProperty("status").GetString(), Is.EqualTo("succeeded"), watched.ToString());
            return Delta(before, await ScrapeAsync(server), "runsstream_store_catchup_reads_total") >= 1;
        }, "a watcher served from the store", TimeSpan.FromSeconds(60));
    }

    private static double Delta(PrometheusText before, PrometheusText after, string name, params string[] labels) =>
        after.Sum(name, labels) - before.Sum(name, labels);

    private static async Task<PrometheusText> ScrapeAsync(RunsServerHost server) =>
        new(await server.Http.GetStringAsync("/metrics"));
}
