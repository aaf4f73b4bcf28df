using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Runs.Execution;

namespace RunsStream.Tests.Server.Runs.Execution;

/// <summary>
/// The decoder passes valid UTF-8 through as read and must give exactly what one replacing decoder
/// over the whole stream gives: whatever the reads' boundaries (a character split anywhere,
/// invalid bytes anywhere, a truncated character at EOF).
/// </summary>
[TestFixture]
public sealed class OutputDecoderTests
{
    private static Task<string> PumpAsync(IEnumerable<byte[]> pieces)
    {
        var sink = new RecordingOutputSink();
        using var coalescer = new OutputCoalescer(sink, new OutputCoalescingOptions { MaxChunkBytes = 64 * 1024, MaxDelay = TimeSpan.Zero }, TimeProvider.System, NullLogger.Instance, processId: 1);
        var decoder = new OutputDecoder(OutputStream.Stdout, coalescer, 64 * 1024);
        foreach (var piece in pieces)
        {
            decoder.Push(piece); // one read each
        }
        decoder.Finish();
        coalescer.Complete();
        return Task.FromResult(string.Concat(sink.Events.Select(e => e.Text)));
    }

    private static readonly UTF8Encoding Replacing = new(false, throwOnInvalidBytes: false);

    [Test]
    public async Task Every_split_point_of_multi_byte_and_invalid_text_gives_what_one_decoder_gives()
    {
        // 2-, 3- and 4-byte characters, a stray continuation byte, an overlong lead, a surrogate
        // encoding, a truncated 3-byte character before ASCII, and ASCII.
        byte[] bytes = [.. "a\u00e9\u20ac\ud83d\ude00"u8, 0x80, .. "b"u8, 0xC0, 0xAF, .. "c"u8, 0xED, 0xA0, 0x80, 0xE2, 0x82, .. "d\u00e9"u8];
        var expected = Replacing.GetString(bytes);
        for (var split = 0; split <= bytes.Length; split++)
        {
            for (var split2 = split; split2 <= bytes.Length; split2++)
            {
                var text = await PumpAsync([bytes[..split], bytes[split..split2], bytes[split2..]]);
                Assert.That(text, Is.EqualTo(expected), $"reads split at {split} and {split2}");
            }
        }
    }

    [TestCase(new byte[] { 0x61, 0xE2, 0x82 }, TestName = "a truncated 3-byte character")]
    [TestCase(new byte[] { 0x61, 0xF0, 0x9F, 0x98 }, TestName = "a truncated 4-byte character")]
    [TestCase(new byte[] { 0x61, 0xC3 }, TestName = "a truncated 2-byte character")]
    public async Task A_character_cut_off_by_eof_becomes_a_replacement_character(byte[] bytes)
    {
        Assert.That(await PumpAsync([bytes]), Is.EqualTo(Replacing.GetString(bytes)));
        Assert.That(await PumpAsync([bytes]), Does.EndWith("\ufffd"));
    }

    [TestCase(new byte[] { 0x61 }, 0)]
    [TestCase(new byte[] { 0x61, 0xC3 }, 1)]
    [TestCase(new byte[] { 0xC3, 0xA9 }, 0)]
    [TestCase(new byte[] { 0xE2, 0x82 }, 2)]
    [TestCase(new byte[] { 0xE2, 0x82, 0xAC }, 0)]
    [TestCase(new byte[] { 0xF0, 0x9F, 0x98 }, 3)]
    [TestCase(new byte[] { 0xF0, 0x9F, 0x98, 0x80 }, 0)]
    [TestCase(new byte[] { 0x80, 0x80, 0x80 }, 0)]
    [TestCase(new byte[] { 0xC0 }, 0)]
    [TestCase(new byte[] { 0xFF }, 0)]
    public void The_incomplete_tail_is_the_start_of_an_unfinished_character(byte[] bytes, int tail) =>
        Assert.That(OutputDecoder.IncompleteTail(bytes), Is.EqualTo(tail));

    [Test]
    public async Task Large_valid_output_passes_through_unchanged()
    {
        var text = string.Concat(Enumerable.Range(0, 20000).Select(i => $"line {i} \u00e9\u20ac\ud83d\ude00\n"));
        var bytes = Encoding.UTF8.GetBytes(text);
        var pieces = new List<byte[]>();
        for (var i = 0; i < bytes.Length; i += 4093)
        {
            pieces.Add(bytes[i..Math.Min(bytes.Length, i + 4093)]);
        }
        Assert.That(await PumpAsync(pieces), Is.EqualTo(text));
    }
}
