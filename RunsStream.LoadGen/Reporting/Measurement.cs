namespace RunsStream.LoadGen.Reporting;

/// <summary>
/// One scenario variant measured on one server: the scenario's own figures (by name, with
/// their unit in the name) plus what every scenario reports. A scenario returns one per
/// repetition (a fresh server each time); <see cref="Scenarios.Repetitions.Combine"/> turns a
/// server's repetitions into one whose figures are medians, with their ranges beside them.
/// </summary>
internal sealed record Measurement(string Scenario, string Variant, string Server)
{
    /// <summary>The server's RSS when the measured part began.</summary>
    public double RssStartMB { get; set; }

    /// <summary>The server's peak RSS during the measured part (VmHWM after a reset).</summary>
    public double PeakRssMB { get; set; }

    public double ServerCpuSeconds { get; set; }

    /// <summary>The load generator's own CPU over the same interval.</summary>
    public double ClientCpuSeconds { get; set; }

    public double WallSeconds { get; set; }

    /// <summary>"ok" when every subscriber got every byte, consecutive seqs and the terminal status.</summary>
    public string Complete { get; set; } = "ok";

    public Dictionary<string, double> Figures { get; init; } = new();

    /// <summary>Of a combined measurement: the lowest and highest repetition of each figure.</summary>
    public Dictionary<string, Spread> Ranges { get; init; } = new();

    /// <summary>
    /// Set when the server's CPU over some repetition was under the least the bench trusts (1 s
    /// in a full run): a CPU ratio read over less is mostly the noise of a shared machine.
    /// </summary>
    public string? TooShort { get; set; }

    /// <summary>Of a combined measurement: the repetitions it combines, in the order they ran.</summary>
    public List<Measurement> Repetitions { get; set; } = new();
}

/// <summary>The lowest and highest value of one figure over the repetitions.</summary>
internal sealed record Spread(double Min, double Max)
{
    public static Spread Of(IEnumerable<double> values) => new(values.Min(), values.Max());

    public string Text => Min == Max ? Number(Min) : $"{Number(Min)}-{Number(Max)}";

    /// <summary>Counts as counts ("1-3", not "1.00-3.00").</summary>
    private static string Number(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e9 ? ((long)value).ToString(System.Globalization.CultureInfo.InvariantCulture) : Format.Number(value);
}
