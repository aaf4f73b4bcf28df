namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// How far a delivered log of "o1 e1 o2 e2 ... oN eN" (o on stdout, e on stderr, one line each,
/// written in that order) is from the written order.
/// </summary>
/// <param name="Inverted">Pairs whose e{i} was delivered before its o{i}.</param>
/// <param name="Misplaced">
/// Lines that must move to restore the written order: all lines minus the longest subsequence
/// already in written order. One swapped pair counts 1, and one line delivered far too early
/// counts 1 too, where comparing positions would count every line it shifted.
/// </param>
/// <param name="Problem">Empty when the log holds every expected line exactly once and nothing else.</param>
internal sealed record LineOrder(int Inverted, int Misplaced, string Problem)
{
    public static LineOrder Count(string log, int pairs)
    {
        var lines = log.Split('\n');
        var count = lines.Length;
        if (count > 0 && lines[^1].Length == 0)
        {
            count--; // the text after the last newline
        }
        // Each delivered line as its index in the written order: o{i} is 2(i-1), e{i} is 2(i-1)+1.
        var order = new int[count];
        var position = new int[2 * pairs];
        Array.Fill(position, -1);
        for (var p = 0; p < count; p++)
        {
            var index = WrittenIndex(lines[p], pairs);
            if (index < 0)
            {
                return new LineOrder(0, 0, $"unexpected line {p + 1}: \"{Shorten(lines[p])}\"");
            }
            if (position[index] >= 0)
            {
                return new LineOrder(0, 0, $"line {p + 1}: \"{lines[p]}\" delivered twice");
            }
            position[index] = p;
            order[p] = index;
        }
        if (count < 2 * pairs)
        {
            return new LineOrder(0, 0, $"{2 * pairs - count} of {2 * pairs} lines missing, first {Name(Array.IndexOf(position, -1))}");
        }

        var inverted = 0;
        for (var i = 0; i < pairs; i++)
        {
            if (position[2 * i + 1] < position[2 * i])
            {
                inverted++;
            }
        }
        return new LineOrder(inverted, count - LongestIncreasing(order), "");
    }

    private static int WrittenIndex(string line, int pairs)
    {
        if (line.Length < 2 || (line[0] != 'o' && line[0] != 'e') || line[1] == '0' ||
            !int.TryParse(line.AsSpan(1), System.Globalization.NumberStyles.None, null, out var i) || i > pairs)
        {
            return -1;
        }
        return 2 * (i - 1) + (line[0] == 'e' ? 1 : 0);
    }

    private static string Name(int index) => (index % 2 == 0 ? "o" : "e") + (index / 2 + 1);

    private static string Shorten(string line) => line.Length <= 20 ? line : line[..20] + "…";

    /// <summary>The length of the longest strictly increasing subsequence (patience sorting, n log n).</summary>
    private static int LongestIncreasing(int[] values)
    {
        // tails[k]: the smallest last value of an increasing subsequence of length k + 1.
        var tails = new int[values.Length];
        var length = 0;
        foreach (var value in values)
        {
            var at = Array.BinarySearch(tails, 0, length, value);
            at = at < 0 ? ~at : at;
            tails[at] = value;
            length = Math.Max(length, at + 1);
        }
        return length;
    }
}
