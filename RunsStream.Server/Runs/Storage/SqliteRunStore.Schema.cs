using Microsoft.Data.Sqlite;

namespace RunsStream.Server.Runs.Storage;

internal sealed partial class SqliteRunStore
{
    /// <summary>
    /// Tables: runs (metadata and the retention gap), events (one row per event, with its byte
    /// offsets in the output and in its stream), deleted_runs (tombstones for 410 Gone).
    /// Times are Unix milliseconds; event types 0 stdout, 1 stderr, 2 status, 3 stage.
    /// </summary>
    /// <remarks>
    /// Version 2 (issue 13) added runs.executor and runs.stages (a pipeline's stages as JSON)
    /// and the stage columns of events; version 3 runs.tty (a terminal run's size, "COLSxROWS"); version 4 (issue 15) runs.created_by
    /// and runs.cancelled_by (the token's sub). Migrations only add columns, so a database of an older
    /// server opens as it is and an older server still reads a newer one.
    /// </remarks>
    private static class Schema
    {
        public const int Version = 4;

        // Columns added after version 1: table, column, declaration.
        private static readonly (string Table, string Column, string Declaration)[] Added =
        [
            ("runs", "executor", "TEXT"),
            ("runs", "stages", "TEXT"),
            ("events", "stage_name", "TEXT"),
            ("events", "stage_index", "INTEGER"),
            ("events", "duration_ms", "INTEGER"),
            ("runs", "tty", "TEXT"),
            ("runs", "created_by", "TEXT"),
            ("runs", "cancelled_by", "TEXT"),
        ];

        public static void Apply(SqliteConnection connection)
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode=WAL;
                CREATE TABLE IF NOT EXISTS runs(
                    run_id TEXT PRIMARY KEY,
                    status TEXT NOT NULL,
                    command TEXT,
                    workspace_id TEXT,
                    created_at INTEGER NOT NULL,
                    started_at INTEGER,
                    finished_at INTEGER,
                    exit_code INTEGER,
                    reason TEXT,
                    external INTEGER NOT NULL,
                    last_seq INTEGER NOT NULL,
                    stdout_bytes INTEGER NOT NULL,
                    stderr_bytes INTEGER NOT NULL,
                    gap_from INTEGER NOT NULL DEFAULT 0,
                    gap_to INTEGER NOT NULL DEFAULT 0,
                    gap_bytes INTEGER NOT NULL DEFAULT 0,
                    gap_from_offset INTEGER NOT NULL DEFAULT 0,
                    gap_to_offset INTEGER NOT NULL DEFAULT 0,
                    gap_at INTEGER NOT NULL DEFAULT 0);
                CREATE INDEX IF NOT EXISTS runs_by_created ON runs(created_at DESC, run_id DESC);
                CREATE INDEX IF NOT EXISTS runs_by_status ON runs(status);
                CREATE TABLE IF NOT EXISTS events(
                    run_id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    type INTEGER NOT NULL,
                    data TEXT NOT NULL,
                    ts INTEGER NOT NULL,
                    status TEXT,
                    reason TEXT,
                    exit_code INTEGER,
                    stdout_bytes INTEGER,
                    stderr_bytes INTEGER,
                    out_offset INTEGER NOT NULL,
                    stream_offset INTEGER NOT NULL,
                    PRIMARY KEY(run_id, seq));
                CREATE TABLE IF NOT EXISTS deleted_runs(
                    run_id TEXT PRIMARY KEY,
                    deleted_at INTEGER NOT NULL);
                """;
            command.ExecuteNonQuery();
            Migrate(connection);
        }

        private static void Migrate(SqliteConnection connection)
        {
            foreach (var (table, column, declaration) in Added)
            {
                if (!HasColumn(connection, table, column))
                {
                    using var alter = connection.CreateCommand();
                    alter.CommandText = $"ALTER TABLE {table} ADD COLUMN {column} {declaration}";
                    alter.ExecuteNonQuery();
                }
            }
            using var version = connection.CreateCommand();
            version.CommandText = $"PRAGMA user_version = {Version}";
            version.ExecuteNonQuery();
        }

        private static bool HasColumn(SqliteConnection connection, string table, string column)
        {
            using var info = connection.CreateCommand();
            info.CommandText = $"SELECT 1 FROM pragma_table_info('{table}') WHERE name = $column";
            info.Parameters.AddWithValue("$column", column);
            return info.ExecuteScalar() is not null;
        }
    }

    private static long ToMillis(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    private static DateTimeOffset FromMillis(long millis) => DateTimeOffset.FromUnixTimeMilliseconds(millis);
}
