using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Tests.Server.Runs.Storage;

public sealed class StoredEventPageTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 6, 0, 0, TimeSpan.Zero);

    // Seqs 3-5 dropped by retention: 30 bytes.
    private static readonly RetentionGap Gap = new(3, 5, 30, 20, 50, Now);

    private static RunEvent Row(string runId, long seq) => new(runId, seq, RunEventType.Stdout, "0123456789", Now);

    private static List<RunEvent> Page(IEnumerable<long> rows, RetentionGap gap, long afterSeq, int maxEvents, long maxBytes)
    {
        var page = new StoredEventPage("r1", gap, afterSeq, maxEvents, maxBytes);
        foreach (var seq in rows)
        {
            if (!page.Add(seq, seq, Row))
            {
                break;
            }
        }
        return page.Complete();
    }

    private static IEnumerable<string> Shape(List<RunEvent> events) =>
        events.Select(e => e.DroppedBytes > 0 ? $"marker {e.Seq}" : e.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Test]
    public void The_gaps_rows_are_left_out_and_one_marker_stands_in_their_place()
    {
        var events = Page([1, 2, 3, 4, 5, 6, 7], Gap, afterSeq: 0, maxEvents: 100, maxBytes: long.MaxValue);

        Assert.That(Shape(events), Is.EqualTo(new[] { "1", "2", "marker 5", "6", "7" }));
        Assert.That(events[2].DroppedFromSeq, Is.EqualTo(3));
    }

    [Test]
    public void A_page_that_starts_after_the_gap_has_no_marker()
    {
        Assert.That(Shape(Page([6, 7], Gap, afterSeq: 5, maxEvents: 100, maxBytes: long.MaxValue)), Is.EqualTo(new[] { "6", "7" }));
    }

    [Test]
    public void The_page_ends_at_the_byte_budget_with_whole_events_and_no_marker_after_them()
    {
        var events = Page([1, 2, 3, 4, 5, 6], Gap, afterSeq: 0, maxEvents: 100, maxBytes: 15);

        Assert.That(Shape(events), Is.EqualTo(new[] { "1", "2" }), "10 bytes, then 20 >= 15: full; the marker comes with the next page");
    }

    [Test]
    public void A_gap_at_the_end_of_what_is_stored_still_gets_its_marker_unless_the_rows_hit_the_limit()
    {
        Assert.That(Shape(Page([1, 2, 3, 4], Gap, afterSeq: 0, maxEvents: 100, maxBytes: long.MaxValue)), Is.EqualTo(new[] { "1", "2", "marker 5" }));
        Assert.That(Shape(Page([1, 2, 3, 4], Gap, afterSeq: 0, maxEvents: 4, maxBytes: long.MaxValue)), Is.EqualTo(new[] { "1", "2" }),
            "4 rows of 4: the store may hold more rows of the gap; the next page places the marker");
    }
}
