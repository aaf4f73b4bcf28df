namespace RunsStream.LoadGen.Reporting;

/// <summary>Replaces the text between the "latest results" markers of bench/README.md with the newest full table.</summary>
internal static class ReadmeTable
{
    private const string Start = "<!-- latest-results:start -->";
    private const string End = "<!-- latest-results:end -->";

    public static void Update(string readme, string markdown)
    {
        if (!File.Exists(readme))
        {
            return;
        }
        var text = File.ReadAllText(readme);
        var start = text.IndexOf(Start, StringComparison.Ordinal);
        var end = text.IndexOf(End, StringComparison.Ordinal);
        if (start < 0 || end < start)
        {
            return;
        }
        // The report's own title becomes a sub-heading inside the README.
        var body = markdown.StartsWith("# ", StringComparison.Ordinal) ? "###" + markdown[1..] : markdown;
        File.WriteAllText(readme, text[..(start + Start.Length)] + "\n" + body.Trim() + "\n" + text[end..]);
    }
}
