using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Execution;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Tests.Server.Runs.Storage;

/// <summary>
/// Schema 2 (issue 13): a run's executor and a pipeline's stages are stored, stage events round
/// trip, and a database written by a schema-1 server is migrated at start without losing a row.
/// </summary>
[TestFixture]
public sealed class SqliteRunStoreSchemaTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("runsstream-schema-").FullName;

    [TearDown]
    public void DeleteDirectory()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    // The tables exactly as schema 1 created them.
    private const string SchemaOne = """
        CREATE TABLE runs(run_id TEXT PRIMARY KEY, status TEXT NOT NULL, command TEXT, workspace_id TEXT, created_at INTEGER NOT NULL,
            started_at INTEGER, finished_at INTEGER, exit_code INTEGER, reason TEXT, external INTEGER NOT NULL, last_seq INTEGER NOT NULL,
            stdout_bytes INTEGER NOT NULL, stderr_bytes INTEGER NOT NULL, gap_from INTEGER NOT NULL DEFAULT 0, gap_to INTEGER NOT NULL DEFAULT 0,
            gap_bytes INTEGER NOT NULL DEFAULT 0, gap_from_offset INTEGER NOT NULL DEFAULT 0, gap_to_offset INTEGER NOT NULL DEFAULT 0,
            gap_at INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE events(run_id TEXT NOT NULL, seq INTEGER NOT NULL, type INTEGER NOT NULL, data TEXT NOT NULL, ts INTEGER NOT NULL,
            status TEXT, reason TEXT, exit_code INTEGER, stdout_bytes INTEGER, stderr_bytes INTEGER, out_offset INTEGER NOT NULL,
            stream_offset INTEGER NOT NULL, PRIMARY KEY(run_id, seq));
        CREATE TABLE deleted_runs(run_id TEXT PRIMARY KEY, deleted_at INTEGER NOT NULL);
        INSERT INTO runs(run_id, status, command, created_at, finished_at, exit_code, external, last_seq, stdout_bytes, stderr_bytes)
            VALUES('old-run', 'succeeded', 'echo old', 1700000000000, 1700000001000, 0, 0, 2, 4, 0);
        INSERT INTO runs(run_id, status, created_at, external, last_seq, stdout_bytes, stderr_bytes)
            VALUES('old-external', 'running', 1700000000000, 1, 1, 3, 0);
        INSERT INTO events(run_id, seq, type, data, ts, out_offset, stream_offset) VALUES('old-run', 1, 0, 'old' || char(10), 1700000000500, 0, 0);
        PRAGMA user_version = 1;
        """;

    [Test]
    public async Task A_schema_1_database_is_migrated_at_start_and_keeps_its_runs()
    {
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(_dir, SqliteRunStore.FileName)}"))
        {
            connection.Open();
            using var create = connection.CreateCommand();
            create.CommandText = SchemaOne;
            create.ExecuteNonQuery();
        }

        await using var store = new SqliteRunStore(_dir, NullLogger<SqliteRunStore>.Instance);
        var old = store.GetRun("old-run")!;
        Assert.That(old.Command, Is.EqualTo("echo old"));
        Assert.That(old.Executor, Is.EqualTo("process"), "a run this server executed before schema 2 ran as a process");
        Assert.That(old.Stages, Is.Null);
        Assert.That(store.GetRun("old-external")!.Executor, Is.Null, "an external run has no executor");
        Assert.That(store.ReadEvents("old-run", 0, 10, 1 << 20).Single().Data, Is.EqualTo("old\n"));

        // The migrated tables take the new columns.
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        store.Enqueue(new SaveRunWrite(old with { Status = RunStatus.Running, Stages = [new RunStage("a", "true", StageStatus.Running, now)] }));
        store.Enqueue(new AppendEventWrite(RunEvent.ForStage("old-run", 3, new StageMark("a", 0, StageStatus.Running, null, null), now), 4, 0));
        await store.FlushAsync();
        Assert.That(store.GetRun("old-run")!.Stages!.Single(), Is.EqualTo(new RunStage("a", "true", StageStatus.Running, now)));

        using var version = new SqliteConnection($"Data Source={store.Path}");
        version.Open();
        using var read = version.CreateCommand();
        read.CommandText = "PRAGMA user_version";
        Assert.That(read.ExecuteScalar(), Is.EqualTo(4L));
        Assert.That(store.GetRun("old-run")!.Tty, Is.Null, "a run stored before schema 3 ran on pipes");
        Assert.That(store.GetRun("old-run")!.CreatedBy, Is.Null, "who started a run stored before schema 4 is unknown");

        // Schema 4's columns: who started and who cancelled a run (issue 15).
        store.Enqueue(new SaveRunWrite(store.GetRun("old-run")! with { CreatedBy = "alice", CancelledBy = "bob" }));
        await store.FlushAsync();
        Assert.That(store.GetRun("old-run")!.CancelledBy, Is.EqualTo("bob"));
        Assert.That(store.ListRuns(10, null, null, ["default"]).Select(r => r.RunId), Is.EquivalentTo(new[] { "old-run", "old-external" }), "a run without a workspace is in default");
        Assert.That(store.ListRuns(10, null, null, ["a"]), Is.Empty);
    }

    [Test]
    public async Task Executor_stages_and_stage_events_round_trip()
    {
        var t0 = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        var stages = new[]
        {
            new RunStage("build", "make", StageStatus.Succeeded, t0, t0.AddSeconds(2), 0),
            new RunStage("test", "make test", StageStatus.Failed, t0.AddSeconds(2), t0.AddSeconds(3), 2),
            new RunStage("deploy \u00e9", "make deploy", StageStatus.Skipped, null, t0.AddSeconds(3)),
        };
        var run = new RunRecord("r1", RunStatus.Failed, null, "ws", t0, t0, t0.AddSeconds(3), 2, "Stage 'test' failed", false, 3, 0, 0, RetentionGap.None)
        {
            Executor = "process",
            Stages = stages,
            Tty = new TerminalSize(132, 50),
        };
        await using (var store = new SqliteRunStore(_dir, NullLogger<SqliteRunStore>.Instance))
        {
            store.Enqueue(new SaveRunWrite(run));
            store.Enqueue(new AppendEventWrite(RunEvent.ForStage("r1", 1, new StageMark("test", 1, StageStatus.Failed, 2, 1000), t0.AddSeconds(3)), 0, 0));
            store.Enqueue(new AppendEventWrite(RunEvent.ForStage("r1", 2, new StageMark("deploy \u00e9", 2, StageStatus.Skipped, null, null), t0.AddSeconds(3)), 0, 0));
            await store.FlushAsync();
        }

        await using var reopened = new SqliteRunStore(_dir, NullLogger<SqliteRunStore>.Instance);
        var stored = reopened.GetRun("r1")!;
        Assert.That(stored.Executor, Is.EqualTo("process"));
        Assert.That(stored.Stages, Is.EqualTo(stages));
        Assert.That(stored.Tty, Is.EqualTo(new TerminalSize(132, 50)));
        var events = reopened.ReadEvents("r1", 0, 10, 1 << 20);
        Assert.That(events.Select(e => e.Stage), Is.EqualTo(new[]
        {
            new StageMark("test", 1, StageStatus.Failed, 2, 1000),
            new StageMark("deploy \u00e9", 2, StageStatus.Skipped, null, null),
        }));
        Assert.That(events.Select(e => e.Type), Is.All.EqualTo(RunEventType.Stage));
        Assert.That(reopened.ReadOutput("r1", null, 0, 1 << 20), Is.Empty, "stage events are not output");
    }
}
