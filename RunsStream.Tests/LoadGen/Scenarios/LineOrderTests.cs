using RunsStream.LoadGen.Scenarios;

namespace RunsStream.Tests.LoadGen.Scenarios;

/// <summary>The bench's order count (scenario 7): inverted pairs and misplaced lines of a log of "o{i}"/"e{i}" lines.</summary>
[TestFixture]
public sealed class LineOrderTests
{
    /// <summary>A log of the given lines, each ending in '\n', as GET /runs/{id}/log returns it.</summary>
    private static string Log(params string[] lines) => string.Concat(lines.Select(l => l + "\n"));

    private static string[] Written(int pairs) => Enumerable.Range(1, pairs).SelectMany(i => new[] { $"o{i}", $"e{i}" }).ToArray();

    [Test]
    public void The_written_order_has_no_inversion_and_nothing_misplaced()
    {
        var count = LineOrder.Count(Log(Written(300)), 300);
        Assert.That(count, Is.EqualTo(new LineOrder(0, 0, "")));
    }

    [Test]
    public void A_last_line_without_a_newline_still_counts()
    {
        Assert.That(LineOrder.Count("o1\ne1\no2\ne2", 2), Is.EqualTo(new LineOrder(0, 0, "")));
    }

    [Test]
    public void One_swapped_pair_is_one_inversion_and_one_misplaced_line()
    {
        var lines = Written(10);
        (lines[8], lines[9]) = (lines[9], lines[8]); // e5 before o5
        Assert.That(LineOrder.Count(Log(lines), 10), Is.EqualTo(new LineOrder(1, 1, "")));
    }

    [Test]
    public void Stdout_read_in_one_chunk_before_stderr_misplaces_lines_without_inverting_a_pair()
    {
        // o1 o2 o3 e1 e2 e3: every e{i} still follows its o{i}; e1 and e2 must move.
        var count = LineOrder.Count(Log("o1", "o2", "o3", "e1", "e2", "e3"), 3);
        Assert.That(count, Is.EqualTo(new LineOrder(0, 2, "")));
    }

    [Test]
    public void Stderr_read_in_one_chunk_before_stdout_inverts_every_pair()
    {
        var count = LineOrder.Count(Log("e1", "e2", "e3", "o1", "o2", "o3"), 3);
        Assert.That(count, Is.EqualTo(new LineOrder(3, 3, "")));
    }

    [Test]
    public void One_line_delivered_far_too_early_is_one_misplaced_line_not_every_line_it_shifted()
    {
        var lines = Written(10).ToList();
        lines.Remove("o10");
        lines.Insert(0, "o10");
        Assert.That(LineOrder.Count(Log(lines.ToArray()), 10), Is.EqualTo(new LineOrder(0, 1, "")));
    }

    [Test]
    public void A_missing_line_is_a_problem_that_names_the_first_one_missing()
    {
        var lines = Written(10).Where(l => l != "e7" && l != "o9").ToArray();
        var count = LineOrder.Count(Log(lines), 10);
        Assert.That(count.Problem, Is.EqualTo("2 of 20 lines missing, first e7"));
    }

    [Test]
    public void A_line_delivered_twice_is_a_problem()
    {
        var lines = Written(3).Append("e2").ToArray();
        Assert.That(LineOrder.Count(Log(lines), 3).Problem, Is.EqualTo("line 7: \"e2\" delivered twice"));
    }

    [TestCase("o0")]
    [TestCase("o4")]
    [TestCase("x1")]
    [TestCase("o1 ")]
    [TestCase("o+1")]
    [TestCase("")]
    public void A_line_the_writer_never_prints_is_a_problem(string line)
    {
        var lines = Written(3).Prepend(line).ToArray();
        Assert.That(LineOrder.Count(Log(lines), 3).Problem, Does.StartWith("unexpected line 1:"));
    }
}
