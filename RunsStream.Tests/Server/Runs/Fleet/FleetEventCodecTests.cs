using System.Text;
using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Fleet;

namespace RunsStream.Tests.Server.Runs.Fleet;

/// <summary>The fleet's messages between nodes: every field of an event comes back exactly; malformed bytes are refused.</summary>
public sealed class FleetEventCodecTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 15, 4, 5, TimeSpan.FromHours(2));

    private static RunEvent[] AllKinds() =>
    [
        new RunEvent("r-1", 1, RunEventType.Stdout, "héllo wörld 😀 ✓\n", T0.AddTicks(1234567)),
        new RunEvent("r-1", 2, RunEventType.Stderr, "", T0),
        RunEvent.ForStatus("r-1", 3, RunStatus.Running, T0),
        RunEvent.ForStage("r-1", 4, new StageMark("build é", 1, StageStatus.Running, null, null), T0),
        RunEvent.ForStage("r-1", 5, new StageMark("build é", 1, StageStatus.Failed, -1, 12_345), T0),
        new RunEvent("r-1", 9, RunEventType.Stdout, "[output dropped]", T0) { DroppedBytes = 1L << 33, DroppedFromSeq = 6 },
        RunEvent.ForStatus("r-1", 10, RunStatus.Failed, T0.ToUniversalTime(), reason: "node lost ✗", exitCode: 137, stdoutBytes: 1L << 40, stderrBytes: 0),
        RunEvent.ForStatus("r-1", 11, RunStatus.Cancelled, T0, exitCode: int.MinValue),
    ];

    private static string Describe(RunEvent e) =>
        $"{e.RunId}|{e.Seq}|{e.Type}|{Convert.ToHexString(e.DataUtf8)}|{e.Timestamp.UtcTicks}|{e.Timestamp.Offset}|{e.Status}|{e.Reason}|{e.ExitCode}|{e.StdoutBytes}|{e.StderrBytes}|{e.DroppedBytes}|{e.DroppedFromSeq}|{e.Stage}";

    [Test]
    public void Events_of_every_kind_come_back_field_for_field_in_order()
    {
        var events = AllKinds();

        var decoded = FleetEventCodec.DecodeEvents(FleetEventCodec.EncodeEvents(events));

        Assert.That(decoded.Select(Describe), Is.EqualTo(events.Select(Describe)));
        Assert.That(decoded[0].Data, Is.EqualTo("héllo wörld 😀 ✓\n"));
        Assert.That(decoded[5].IsMarker, Is.True);
        Assert.That(decoded[6].IsTerminal, Is.True);
    }

    [Test]
    public void Events_of_two_runs_are_not_one_message()
    {
        Assert.Throws<ArgumentException>(() => FleetEventCodec.EncodeEvents([new RunEvent("a", 1, RunEventType.Stdout, "x", T0), new RunEvent("b", 1, RunEventType.Stdout, "x", T0)]));
        Assert.Throws<ArgumentException>(() => FleetEventCodec.EncodeEvents([]));
    }

    [Test]
    public void Every_truncation_a_trailing_byte_and_an_unknown_version_are_refused()
    {
        var bytes = FleetEventCodec.EncodeEvents(AllKinds());
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<FormatException>(() => FleetEventCodec.DecodeEvents(bytes.AsSpan(0, length)), $"first {length} bytes");
        }
        Assert.Throws<FormatException>(() => FleetEventCodec.DecodeEvents([.. bytes, 0]));
        Assert.Throws<FormatException>(() => FleetEventCodec.DecodeEvents([2, .. bytes.AsSpan(1)]));
    }

    [Test]
    public void Unknown_enum_values_invalid_UTF8_and_huge_counts_are_refused()
    {
        var one = FleetEventCodec.EncodeEvents([new RunEvent("r", 1, RunEventType.Stdout, "ab", T0)]);
        // version, run id "r" (4 + 1), count (4), seq (8): the type byte is at 18.
        var badType = one.ToArray();
        badType[18] = 200;
        Assert.Throws<FormatException>(() => FleetEventCodec.DecodeEvents(badType), "event type");

        // ... ticks (8) and offset (2), data length (4): the data is at 33.
        var badData = one.ToArray();
        badData[33] = 0xFF;
        Assert.Throws<FormatException>(() => FleetEventCodec.DecodeEvents(badData), "data");

        var hugeCount = one.ToArray();
        hugeCount[6] = 0x7F;
        Assert.Throws<FormatException>(() => FleetEventCodec.DecodeEvents(hugeCount), "count");
    }

    [Test]
    public void A_cancel_request_comes_back_and_bad_ones_are_refused()
    {
        var request = new CancelRequest("r-1", "asked by ✓", "node-a");

        Assert.That(FleetEventCodec.DecodeCancel(FleetEventCodec.EncodeCancel(request)), Is.EqualTo(request));
        foreach (var bad in new[] { "", "{", "[]", "{\"runId\":\"r\",\"reason\":\"x\"}", "{\"runId\":1,\"reason\":\"x\",\"by\":\"n\"}" })
        {
            Assert.Throws<FormatException>(() => FleetEventCodec.DecodeCancel(Encoding.UTF8.GetBytes(bad)), bad);
        }
    }

    [Test]
    public void A_resize_request_round_trips_and_a_bad_one_is_refused()
    {
        var request = new ResizeRequest("run-1", new RunsStream.Server.Runs.Execution.TerminalSize(132, 43));
        Assert.That(FleetEventCodec.DecodeResize(FleetEventCodec.EncodeResize(request)), Is.EqualTo(request));
        Assert.Throws<FormatException>(() => FleetEventCodec.DecodeResize("{\"runId\":\"r\",\"cols\":0,\"rows\":10}"u8));
        Assert.Throws<FormatException>(() => FleetEventCodec.DecodeResize("{\"runId\":\"r\",\"cols\":\"80\",\"rows\":10}"u8));
        Assert.Throws<FormatException>(() => FleetEventCodec.DecodeResize("not json"u8));
    }
}
