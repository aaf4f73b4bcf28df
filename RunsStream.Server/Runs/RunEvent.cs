using System.Text;
using System.Text.Json;

namespace RunsStream.Server.Runs;

/// <summary>
/// One event of a run's log, as the `run-event` wire object (docs/api.md section 7). Immutable
/// (its cached encodings aside, see <see cref="Encodings"/>). The data is held as
/// UTF-8, as it is written to the wire and read from the store: half the memory of a string.
/// </summary>
internal sealed class RunEvent
{
    private readonly byte[] _data;

    public RunEvent(string runId, long seq, RunEventType type, string data, DateTimeOffset timestamp)
        : this(runId, seq, type, Encoding.UTF8.GetBytes(data), timestamp)
    {
    }

    /// <param name="utf8Data">Valid UTF-8 (decoded output, or what the store gives back); not copied.</param>
    public RunEvent(string runId, long seq, RunEventType type, byte[] utf8Data, DateTimeOffset timestamp)
    {
        RunId = runId;
        Seq = seq;
        Type = type;
        _data = utf8Data;
        Timestamp = timestamp;
    }

    public string RunId { get; }

    public long Seq { get; }

    public RunEventType Type { get; }

    /// <summary>The data as text (decoded on each call: for REST and tests, not the streaming paths).</summary>
    public string Data => Encoding.UTF8.GetString(_data);

    /// <summary>The data as UTF-8.</summary>
    public ReadOnlySpan<byte> DataUtf8 => _data;

    /// <summary>The UTF-8 array itself, for the store to bind without a copy; never modified.</summary>
    internal byte[] DataUtf8Array => _data;

    public DateTimeOffset Timestamp { get; }

    /// <summary>UTF-8 length of <see cref="Data"/>: what the event counts against the retention cap.</summary>
    public int DataBytes => _data.Length;

    public RunStatus? Status { get; init; }

    public string? Reason { get; init; }

    public int? ExitCode { get; init; }

    /// <summary>On a terminal status: the run's total stdout and stderr bytes.</summary>
    public long? StdoutBytes { get; init; }

    public long? StderrBytes { get; init; }

    /// <summary>
    /// Set on the marker that stands where retained output was dropped (retention cap): how
    /// many bytes, and the first seq it replaces (its own seq is the last one it replaces).
    /// </summary>
    public long? DroppedBytes { get; init; }

    public long? DroppedFromSeq { get; init; }

    public bool IsMarker => DroppedBytes is not null;

    /// <summary>On a <see cref="RunEventType.Stage"/> event: which stage started or ended, and how.</summary>
    public StageMark? Stage { get; init; }

    public bool IsTerminal => Type == RunEventType.Status && Status is { } s && s.IsTerminal();

    public static RunEvent ForStatus(string runId, long seq, RunStatus status, DateTimeOffset timestamp, string? reason = null, int? exitCode = null, long? stdoutBytes = null, long? stderrBytes = null) =>
        new(runId, seq, RunEventType.Status, status.ToWire(), timestamp)
        {
            Status = status,
            Reason = reason,
            ExitCode = exitCode,
            StdoutBytes = stdoutBytes,
            StderrBytes = stderrBytes,
        };

    /// <summary>A `stage` event: it carries no output (its data is empty), only <paramref name="stage"/>.</summary>
    public static RunEvent ForStage(string runId, long seq, StageMark stage, DateTimeOffset timestamp) =>
        new(runId, seq, RunEventType.Stage, [], timestamp) { Stage = stage };

    public void WriteJson(Utf8JsonWriter json)
    {
        if (Stage is { } stage)
        {
            WriteStageJson(json, stage);
            return;
        }
        json.WriteStartObject();
        json.WriteString("runId"u8, RunId);
        json.WriteNumber("seq"u8, Seq);
        json.WriteString("type"u8, Type.ToWire());
        json.WriteString("data"u8, DataUtf8);
        json.WriteString("timestamp"u8, Timestamps.ToIso(Timestamp));
        if (Status is { } status)
        {
            json.WriteString("status"u8, status.ToWire());
        }
        if (Reason is not null)
        {
            json.WriteString("reason"u8, Reason);
        }
        if (ExitCode is { } exitCode)
        {
            json.WriteNumber("exitCode"u8, exitCode);
        }
        if (StdoutBytes is { } stdoutBytes)
        {
            json.WriteNumber("stdoutBytes"u8, stdoutBytes);
        }
        if (StderrBytes is { } stderrBytes)
        {
            json.WriteNumber("stderrBytes"u8, stderrBytes);
        }
        if (DroppedBytes is { } dropped)
        {
            json.WriteNumber("droppedBytes"u8, dropped);
            json.WriteNumber("droppedFromSeq"u8, DroppedFromSeq ?? Seq);
        }
        json.WriteEndObject();
    }

    // The `stage` event's own shape (docs/api.md section 7.1), not a run-event's.
    private void WriteStageJson(Utf8JsonWriter json, StageMark stage)
    {
        json.WriteStartObject();
        json.WriteString("runId"u8, RunId);
        json.WriteNumber("seq"u8, Seq);
        json.WriteString("name"u8, stage.Name);
        json.WriteNumber("index"u8, stage.Index);
        json.WriteString("status"u8, stage.Status.ToWire());
        if (stage.ExitCode is { } exitCode)
        {
            json.WriteNumber("exitCode"u8, exitCode);
        }
        else
        {
            json.WriteNull("exitCode"u8);
        }
        if (stage.DurationMs is { } duration)
        {
            json.WriteNumber("durationMs"u8, duration);
        }
        else
        {
            json.WriteNull("durationMs"u8);
        }
        json.WriteString("at"u8, Timestamps.ToIso(Timestamp));
        json.WriteEndObject();
    }

    /// <summary>
    /// Opaque to the domain: the socket side's encodings of this event, one per namespace
    /// (<see cref="RunEventEncoder"/>). Kept with the event so that live delivery and every
    /// catch-up on a namespace share one frame; it goes when the event goes.
    /// </summary>
    internal object? Encodings;
}
