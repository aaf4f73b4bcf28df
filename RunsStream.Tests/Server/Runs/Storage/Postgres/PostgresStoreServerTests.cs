using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Npgsql;
using RunsStream.Server.Configuration;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Storage.Postgres;

/// <summary>
/// The whole server in fleet mode keeps its runs in PostgreSQL: runs, logs, ranges, replay,
/// paging and 410 answer as with SQLite, and a server started again on the same database
/// (a new node life, a new data directory) reads back everything.
/// </summary>
[TestFixture]
public sealed class PostgresStoreServerTests
{
    private string _connectionString = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _connectionString = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();

    private Task<RunsServerHost> StartAsync(Func<RunsStreamOptions, RunsStreamOptions>? more = null) =>
        RunsServerHost.StartAsync(o =>
        {
            var fleet = o with
            {
                Fleet = new FleetOptions
                {
                    // Not used by the store; the Redis side of the fleet is another part of issue 14.
                    RedisUrl = "redis://127.0.0.1:9",
                    RedisConfiguration = "127.0.0.1:9,abortConnect=false",
                    DatabaseConnectionString = _connectionString,
                    NodeId = "node-under-test",
                    NodeUrl = "http://127.0.0.1:9",
                },
            };
            return more?.Invoke(fleet) ?? fleet;
        });

    private async Task<long> CountAsync(string sql, string runId)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", runId);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    [Test]
    public async Task A_run_is_stored_in_PostgreSQL_and_served_back_after_a_restart()
    {
        string runId;
        await using (var server = await StartAsync())
        {
            runId = await server.StartRunAsync("printf 'hello world'; printf 'oops' >&2");
            await server.WaitForTerminalAsync(runId);
            await server.Runs.FlushStoreAsync(); // the terminal status is answered before its group commit
            Assert.That(File.Exists(Path.Combine(server.DataDirectory, "runsstream.db")), Is.False, "no SQLite in fleet mode");
            Assert.That(await CountAsync("SELECT count(*) FROM runs WHERE run_id=@id AND status='succeeded'", runId), Is.EqualTo(1));
            Assert.That(await CountAsync("SELECT count(*) FROM events WHERE run_id=@id AND type IN (0, 1)", runId), Is.GreaterThanOrEqualTo(2));
        }

        await using var again = await StartAsync();
        var run = await again.GetRunAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
        Assert.That(await again.Http.GetStringAsync($"/runs/{runId}/log?stream=stdout"), Is.EqualTo("hello world"));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/runs/{runId}/log?stream=stdout");
        request.Headers.Range = new RangeHeaderValue(6, 10);
        var range = await again.Http.SendAsync(request);
        Assert.That(range.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(await range.Content.ReadAsStringAsync(), Is.EqualTo("world"));
        var watch = await again.WatchAsync(runId);
        Assert.That(watch.GetProperty("stdoutText").GetString(), Is.EqualTo("hello world"));
        Assert.That(watch.GetProperty("stderrText").GetString(), Is.EqualTo("oops"));
    }

    [Test]
    public async Task Runs_page_by_cursor_and_expired_runs_answer_410()
    {
        await using var server = await StartAsync(o => o with { RunRetention = TimeSpan.FromSeconds(1) });
        var first = await server.StartRunAsync("echo one");
        await server.WaitForTerminalAsync(first);
        var second = await server.StartRunAsync("echo two");
        await server.WaitForTerminalAsync(second);

        var page = JsonDocument.Parse(await server.Http.GetStringAsync("/runs?limit=1")).RootElement;
        Assert.That(page.EnumerateArray().Select(r => r.GetProperty("runId").GetString()), Is.EqualTo(new[] { second }));
        var next = JsonDocument.Parse(await server.Http.GetStringAsync($"/runs?limit=1&before={second}")).RootElement;
        Assert.That(next.EnumerateArray().Select(r => r.GetProperty("runId").GetString()), Is.EqualTo(new[] { first }));

        var gone = await Eventually.ValueAsync(
            () => server.Http.GetAsync($"/runs/{first}"),
            r => r.StatusCode == HttpStatusCode.Gone,
            r => $"the run was never deleted: {(int)r.StatusCode}",
            TimeSpan.FromSeconds(60));
        await RestErrors.ErrorOf(gone, 410, "gone");
        Assert.That((await server.Http.GetAsync($"/runs/{first}/log")).StatusCode, Is.EqualTo(HttpStatusCode.Gone));
        Assert.That(await CountAsync("SELECT count(*) FROM deleted_runs WHERE run_id=@id", first), Is.EqualTo(1));
    }
}
