using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace RunsStream.Server.Runs.Fleet;

/// <summary>
/// What the fleet's nodes send each other over Redis (docs/fleet.md): a run's committed events
/// on <c>runsstream:run:{runId}</c>, and cancel requests on <c>runsstream:cancel</c>. A pure
/// codec: bytes in, values out; malformed input throws <see cref="FormatException"/>.
/// </summary>
/// <remarks>
/// Events travel as binary, not as the wire JSON: every field of <see cref="RunEvent"/> comes
/// back exactly (the timestamp to the tick with its offset, the data as the same UTF-8 bytes,
/// the retention marker's fields, stage marks), with no escaping of the output. Layout, all
/// integers big-endian: version byte; run id; event count (u32); per event seq (i64), type
/// (u8), timestamp UTC ticks (i64) and offset minutes (i16), data (u32 length, bytes), a
/// presence mask (u8) and the fields it names in the order of <see cref="Field"/>. Strings are
/// UTF-8 with a u32 length. Enum values travel as their numbers: changing an enum's order
/// changes <see cref="Version"/>.
/// </remarks>
internal static class FleetEventCodec
{
    public const byte Version = 1;

    [Flags]
    private enum Field : byte
    {
        Status = 1,
        Reason = 2,
        ExitCode = 4,
        StdoutBytes = 8,
        StderrBytes = 16,
        Marker = 32,
        Stage = 64,
    }

    /// <summary>Encodes events of one run, in order, as one message.</summary>
    public static byte[] EncodeEvents(IReadOnlyList<RunEvent> events)
    {
        if (events.Count == 0)
        {
            throw new ArgumentException("No event to encode.", nameof(events));
        }
        var runId = events[0].RunId;
        var buffer = new ArrayBufferWriter<byte>(64 + events.Sum(e => e.DataBytes + 48));
        var w = new Writer(buffer);
        w.Byte(Version);
        w.String(runId);
        w.UInt32(events.Count);
        foreach (var e in events)
        {
            if (e.RunId != runId)
            {
                throw new ArgumentException($"Events of runs {runId} and {e.RunId} in one message.", nameof(events));
            }
            w.Int64(e.Seq);
            w.Byte((byte)e.Type);
            w.Int64(e.Timestamp.UtcTicks);
            w.Int16((short)e.Timestamp.Offset.TotalMinutes);
            w.Bytes(e.DataUtf8);
            var mask = (e.Status is null ? 0 : Field.Status) | (e.Reason is null ? 0 : Field.Reason)
                | (e.ExitCode is null ? 0 : Field.ExitCode) | (e.StdoutBytes is null ? 0 : Field.StdoutBytes)
                | (e.StderrBytes is null ? 0 : Field.StderrBytes) | (e.DroppedBytes is null ? 0 : Field.Marker)
                | (e.Stage is null ? 0 : Field.Stage);
            w.Byte((byte)mask);
            if (e.Status is { } status) { w.Byte((byte)status); }
            if (e.Reason is { } reason) { w.String(reason); }
            if (e.ExitCode is { } exitCode) { w.Int32(exitCode); }
            if (e.StdoutBytes is { } stdout) { w.Int64(stdout); }
            if (e.StderrBytes is { } stderr) { w.Int64(stderr); }
            if (e.DroppedBytes is { } dropped)
            {
                w.Int64(dropped);
                w.Int64(e.DroppedFromSeq ?? e.Seq);
            }
            if (e.Stage is { } stage)
            {
                w.String(stage.Name);
                w.Int32(stage.Index);
                w.Byte((byte)stage.Status);
                w.Byte((byte)((stage.ExitCode is null ? 0 : 1) | (stage.DurationMs is null ? 0 : 2)));
                if (stage.ExitCode is { } stageExit) { w.Int32(stageExit); }
                if (stage.DurationMs is { } duration) { w.Int64(duration); }
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The events of one message, in order.</summary>
    public static IReadOnlyList<RunEvent> DecodeEvents(ReadOnlySpan<byte> bytes)
    {
        var r = new Reader(bytes);
        if (r.Byte() != Version)
        {
            throw new FormatException("Unknown fleet event message version.");
        }
        var runId = r.String();
        var count = r.Count(minItemBytes: 24);
        var events = new RunEvent[count];
        for (var i = 0; i < count; i++)
        {
            var seq = r.Int64();
            var type = Enum<RunEventType>(r.Byte());
            var ticks = r.Int64();
            var offsetMinutes = r.Int16();
            var dataSpan = r.Bytes();
            if (!System.Text.Unicode.Utf8.IsValid(dataSpan))
            {
                // RunEvent holds valid UTF-8 only (what the store and the wire assume).
                throw new FormatException("A fleet event's data is not UTF-8.");
            }
            var data = dataSpan.ToArray();
            DateTimeOffset timestamp;
            try
            {
                timestamp = new DateTimeOffset(ticks, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(offsetMinutes));
            }
            catch (ArgumentException e)
            {
                throw new FormatException("A fleet event's timestamp is out of range.", e);
            }
            var mask = (Field)r.Byte();
            if ((byte)mask >= 128)
            {
                throw new FormatException($"Unknown fleet event fields {(byte)mask}.");
            }
            RunStatus? status = mask.HasFlag(Field.Status) ? Enum<RunStatus>(r.Byte()) : null;
            var reason = mask.HasFlag(Field.Reason) ? r.String() : null;
            int? exitCode = mask.HasFlag(Field.ExitCode) ? r.Int32() : null;
            long? stdout = mask.HasFlag(Field.StdoutBytes) ? r.Int64() : null;
            long? stderr = mask.HasFlag(Field.StderrBytes) ? r.Int64() : null;
            long? dropped = null, droppedFrom = null;
            if (mask.HasFlag(Field.Marker))
            {
                dropped = r.Int64();
                droppedFrom = r.Int64();
            }
            StageMark? stage = null;
            if (mask.HasFlag(Field.Stage))
            {
                var name = r.String();
                var index = r.Int32();
                var stageStatus = Enum<StageStatus>(r.Byte());
                var present = r.Byte();
                int? stageExit = (present & 1) != 0 ? r.Int32() : null;
                long? duration = (present & 2) != 0 ? r.Int64() : null;
                stage = new StageMark(name, index, stageStatus, stageExit, duration);
            }
            events[i] = new RunEvent(runId, seq, type, data, timestamp)
            {
                Status = status,
                Reason = reason,
                ExitCode = exitCode,
                StdoutBytes = stdout,
                StderrBytes = stderr,
                DroppedBytes = dropped,
                DroppedFromSeq = droppedFrom,
                Stage = stage,
            };
        }
        if (!r.AtEnd)
        {
            throw new FormatException("Trailing bytes after the fleet event message.");
        }
        return events;
    }

    /// <summary>A cancel request as JSON: <c>{"runId":...,"reason":...,"by":...}</c>.</summary>
    public static byte[] EncodeCancel(CancelRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("runId"u8, request.RunId);
            json.WriteString("reason"u8, request.Reason);
            json.WriteString("by"u8, request.By);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static CancelRequest DecodeCancel(ReadOnlySpan<byte> bytes)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes.ToArray());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("A cancel request is a JSON object.");
            }
            return new CancelRequest(Required(root, "runId"), Required(root, "reason"), Required(root, "by"));
        }
        catch (JsonException e)
        {
            throw new FormatException("A cancel request is not JSON.", e);
        }
    }

    /// <summary>A resize request as JSON: <c>{"runId":...,"cols":...,"rows":...}</c>.</summary>
    public static byte[] EncodeResize(ResizeRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(96);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("runId"u8, request.RunId);
            json.WriteNumber("cols"u8, request.Size.Columns);
            json.WriteNumber("rows"u8, request.Size.Rows);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static ResizeRequest DecodeResize(ReadOnlySpan<byte> bytes)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes.ToArray());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("cols", out var cols) || cols.ValueKind != JsonValueKind.Number || !cols.TryGetInt32(out var columns)
                || !root.TryGetProperty("rows", out var rowsElement) || rowsElement.ValueKind != JsonValueKind.Number || !rowsElement.TryGetInt32(out var rows)
                || columns is < 1 or > 1000 || rows is < 1 or > 1000)
            {
                throw new FormatException("A resize request is {\"runId\", \"cols\", \"rows\"}.");
            }
            return new ResizeRequest(Required(root, "runId"), new Execution.TerminalSize(columns, rows));
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new FormatException("A resize request is not valid: " + e.Message, e);
        }
    }

    private static string Required(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"A cancel request needs the string \"{name}\".");

    private static T Enum<T>(byte value)
        where T : struct, Enum
    {
        var candidate = (T)(object)(int)value;
        return System.Enum.IsDefined(candidate) ? candidate : throw new FormatException($"{value} is no {typeof(T).Name}.");
    }

    private readonly ref struct Writer(ArrayBufferWriter<byte> buffer)
    {
        public void Byte(byte value)
        {
            buffer.GetSpan(1)[0] = value;
            buffer.Advance(1);
        }

        public void Int16(short value)
        {
            BinaryPrimitives.WriteInt16BigEndian(buffer.GetSpan(2), value);
            buffer.Advance(2);
        }

        public void Int32(int value)
        {
            BinaryPrimitives.WriteInt32BigEndian(buffer.GetSpan(4), value);
            buffer.Advance(4);
        }

        public void UInt32(int value)
        {
            BinaryPrimitives.WriteUInt32BigEndian(buffer.GetSpan(4), (uint)value);
            buffer.Advance(4);
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(buffer.GetSpan(8), value);
            buffer.Advance(8);
        }

        public void Bytes(ReadOnlySpan<byte> value)
        {
            UInt32(value.Length);
            buffer.Write(value);
        }

        public void String(string value)
        {
            var length = Encoding.UTF8.GetByteCount(value);
            UInt32(length);
            Encoding.UTF8.GetBytes(value, buffer.GetSpan(length));
            buffer.Advance(length);
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private ReadOnlySpan<byte> _rest = bytes;

        public readonly bool AtEnd => _rest.IsEmpty;

        public byte Byte() => Take(1)[0];

        public short Int16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

        public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

        public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

        /// <summary>A count or length; more than the rest could hold is malformed (nothing is allocated for it).</summary>
        public int Count(int minItemBytes = 1)
        {
            var value = BinaryPrimitives.ReadUInt32BigEndian(Take(4));
            return value <= (uint)(_rest.Length / minItemBytes)
                ? (int)value
                : throw new FormatException("A length runs past the end of the fleet message.");
        }

        public ReadOnlySpan<byte> Bytes() => Take(Count());

        public string String()
        {
            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Bytes());
            }
            catch (DecoderFallbackException e)
            {
                throw new FormatException("A string of the fleet message is not UTF-8.", e);
            }
        }

        private ReadOnlySpan<byte> Take(int length)
        {
            if (length > _rest.Length)
            {
                throw new FormatException("The fleet message ends early.");
            }
            var taken = _rest[..length];
            _rest = _rest[length..];
            return taken;
        }
    }
}

/// <summary>A cancel asked of the node executing <paramref name="RunId"/>, by the node or user <paramref name="By"/>.</summary>
internal sealed record CancelRequest(string RunId, string Reason, string By);

/// <summary>A terminal size for a tty run, sent to whichever node executes it.</summary>
internal sealed record ResizeRequest(string RunId, Execution.TerminalSize Size);
