using RunsStream.Server.Runs.Execution.Pty;

namespace RunsStream.Tests.Server.Runs.Execution.Pty;

[TestFixture]
public sealed class PtySizeTests
{
    [Test]
    public void An_absent_size_is_80_columns_by_24_rows()
    {
        Assert.That(PtySize.TryCreate(null, null, out var size, out var error), Is.True);
        Assert.That((size.Columns, size.Rows, error), Is.EqualTo((80, 24, (string?)null)));
    }

    [Test]
    public void Either_side_may_be_given_alone()
    {
        Assert.That(PtySize.TryCreate(132, null, out var wide, out _), Is.True);
        Assert.That(PtySize.TryCreate(null, 50, out var tall, out _), Is.True);

        Assert.That(wide, Is.EqualTo(new PtySize(132, 24)));
        Assert.That(tall, Is.EqualTo(new PtySize(80, 50)));
    }

    [TestCase(1, 1)]
    [TestCase(1000, 1000)]
    public void The_limits_themselves_are_accepted(int columns, int rows)
    {
        Assert.That(PtySize.TryCreate(columns, rows, out var size, out _), Is.True);
        Assert.That(size, Is.EqualTo(new PtySize(columns, rows)));
    }

    [TestCase(0, 24, "cols must be between 1 and 1000, got 0.")]
    [TestCase(1001, 24, "cols must be between 1 and 1000, got 1001.")]
    [TestCase(80, -1, "rows must be between 1 and 1000, got -1.")]
    [TestCase(80, 70000, "rows must be between 1 and 1000, got 70000.")]
    public void A_size_out_of_bounds_is_refused_with_a_message_naming_the_side_and_limits(int columns, int rows, string message)
    {
        Assert.That(PtySize.TryCreate(columns, rows, out _, out var error), Is.False);
        Assert.That(error, Is.EqualTo(message));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new PtySize(columns, rows));
    }

    [Test]
    public void A_default_valued_size_is_refused_at_start_instead_of_making_a_zero_sized_terminal()
    {
        var error = Assert.Throws<ArgumentException>(
            () => PtyProcess.Start(new RunsStream.Server.Runs.Execution.ProcessStartRequest("true", Path.GetTempPath()), default));

        Assert.That(error!.Message, Does.Contain("PtySize.Default"));
    }
}
