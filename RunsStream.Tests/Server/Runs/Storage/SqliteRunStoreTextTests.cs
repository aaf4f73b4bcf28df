using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Tests.Server.Runs.Storage;

/// <summary>
/// Output is held and stored as UTF-8 and bound to SQLite as is: every character, including
/// NUL, multi-byte and astral ones and a replacement character, comes back exactly, from the
/// event reads (replay) and from the output reads (the /log endpoint).
/// </summary>
[TestFixture]
public sealed class SqliteRunStoreTextTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("runsstream-text-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    private static readonly Dictionary<string, string> Texts = new()
    {
        ["ascii"] = "plain ascii\n",
        ["multi-byte and astral"] = "caf\u00e9 \u20ac \u65e5\u672c\u8a9e \ud83d\ude00\n",
        ["NUL and U+FFFD"] = "nul \0 inside and \ufffd replacement",
        ["escapes"] = "\u001b[31mred\u001b[0m \"quoted\" \\ back\tslash",
    };

    // Named cases: a NUL in a test case's argument would be lost from its name.
    [TestCase("ascii")]
    [TestCase("multi-byte and astral")]
    [TestCase("NUL and U+FFFD")]
    [TestCase("escapes")]
    public async Task Text_round_trips_through_the_store(string name)
    {
        var text = Texts[name];
        var now = DateTimeOffset.UtcNow;
        await using (var store = new SqliteRunStore(_dir, NullLogger<SqliteRunStore>.Instance))
        {
            store.Enqueue(new SaveRunWrite(new RunRecord("r1", RunStatus.Running, "cmd", null, now, now, null, null, null, false, 1, 0, 0, RetentionGap.None)));
            store.Enqueue(new AppendEventWrite(new RunEvent("r1", 1, RunEventType.Stdout, text, now), 0, 0));
            await store.FlushAsync();
        }

        await using var reopened = new SqliteRunStore(_dir, NullLogger<SqliteRunStore>.Instance);
        var events = reopened.ReadEvents("r1", 0, 10, 1 << 20);
        var output = reopened.ReadOutput("r1", null, 0, 1 << 20).ToList();

        Assert.That(events.Select(e => e.Data), Is.EqualTo(new[] { text }));
        Assert.That(events[0].DataBytes, Is.EqualTo(Encoding.UTF8.GetByteCount(text)));
        Assert.That(output.Select(c => c.Data), Is.EqualTo(new[] { text }));
    }
}
