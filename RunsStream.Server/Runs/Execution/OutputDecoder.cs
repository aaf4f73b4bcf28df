using System.Text;
using System.Text.Unicode;

namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// Turns the raw bytes of one of a run's output pipes into valid UTF-8 for the shared
/// <see cref="OutputCoalescer"/>. Valid output (nearly all of it) goes through as read, with no
/// decoding; a multi-byte character split across reads is held back and emitted whole with the
/// read that completes it; invalid bytes become U+FFFD, as a replacing decoder makes them.
/// </summary>
/// <remarks>Not thread-safe: <see cref="RunOutputReader"/> calls it from its one thread.</remarks>
internal sealed class OutputDecoder
{
    // Slack in the char buffer beyond one char per input byte, for the carried-over bytes of a
    // split character that are decoded with the next read.
    private const int DecoderCarryChars = 8;

    private static readonly UTF8Encoding Replacing = new(false, throwOnInvalidBytes: false);

    private readonly OutputStream _stream;
    private readonly OutputCoalescer _coalescer;
    private readonly int _sliceBytes;
    private readonly char[] _chars;

    // The first bytes of a character whose end has not been read yet (at most 3), and the
    // buffer where they are joined with the next read.
    private readonly byte[] _carry = new byte[4];
    private int _carryLength;
    private byte[] _joined = [];
    private long _totalBytes;

    public OutputDecoder(OutputStream stream, OutputCoalescer coalescer, int maxChunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChunkBytes, 4);
        _stream = stream;
        _coalescer = coalescer;
        // Decoding at most MaxChunkBytes at a time lets the coalescer keep every event within it.
        _sliceBytes = maxChunkBytes;
        _chars = new char[_sliceBytes + DecoderCarryChars];
    }

    /// <summary>The pipe this decoder's bytes come from.</summary>
    public OutputStream Stream => _stream;

    /// <summary>Raw bytes pushed so far; final once <see cref="Finish"/> was called.</summary>
    public long TotalBytes => Interlocked.Read(ref _totalBytes);

    /// <summary>Decodes one read's bytes.</summary>
    public void Push(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }
        Decode(bytes, flush: false);
        Interlocked.Add(ref _totalBytes, bytes.Length);
    }

    /// <summary>End of the stream: bytes of a character that never completed become U+FFFD instead of vanishing.</summary>
    public void Finish() => Decode(ReadOnlySpan<byte>.Empty, flush: true);

    private void Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        do
        {
            ReadOnlySpan<byte> slice = bytes[..Math.Min(bytes.Length, _sliceBytes)];
            bytes = bytes[slice.Length..];
            Append(slice, flush && bytes.IsEmpty);
        }
        while (!bytes.IsEmpty);
    }

    private void Append(ReadOnlySpan<byte> slice, bool flush)
    {
        var work = slice;
        if (_carryLength > 0)
        {
            var length = _carryLength + slice.Length;
            if (_joined.Length < length)
            {
                _joined = new byte[Math.Max(length, _sliceBytes + _carry.Length)];
            }
            _carry.AsSpan(0, _carryLength).CopyTo(_joined);
            slice.CopyTo(_joined.AsSpan(_carryLength));
            work = _joined.AsSpan(0, length);
            _carryLength = 0;
        }
        var tail = flush ? 0 : IncompleteTail(work);
        var complete = work[..^tail];
        work[^tail..].CopyTo(_carry);
        _carryLength = tail;
        if (complete.IsEmpty)
        {
            return; // only the first bytes of a character so far
        }
        if (Utf8.IsValid(complete))
        {
            _coalescer.Append(_stream, complete, slice.Length);
            return;
        }
        // Invalid bytes: replaced as a decoder does (one U+FFFD per maximal invalid subpart).
        // The chunk ends on a character boundary, so decoding it alone is decoding the stream.
        int chars = Replacing.GetChars(complete, _chars);
        _coalescer.Append(_stream, _chars.AsSpan(0, chars), slice.Length);
    }

    /// <summary>
    /// How many bytes at the end of <paramref name="bytes"/> are the start of a multi-byte
    /// character that is not complete yet (0 when the end is a character boundary, or when
    /// the end is invalid anyway).
    /// </summary>
    internal static int IncompleteTail(ReadOnlySpan<byte> bytes)
    {
        for (var back = 1; back <= Math.Min(3, bytes.Length); back++)
        {
            var b = bytes[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // a continuation byte: its lead is further back
            }
            var length = b switch
            {
                >= 0xC2 and <= 0xDF => 2,
                >= 0xE0 and <= 0xEF => 3,
                >= 0xF0 and <= 0xF4 => 4,
                _ => 1, // ASCII, or a byte that never starts a character
            };
            return length > back ? back : 0;
        }
        return 0;
    }
}
