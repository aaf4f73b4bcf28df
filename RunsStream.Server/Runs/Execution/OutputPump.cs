using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// Reads one of a run's output pipes to EOF, decodes it as UTF-8 and hands the text to the
/// shared <see cref="OutputCoalescer"/>. The decoder is stateful, so a multi-byte character
/// split across reads is emitted whole with the read that completes it.
/// </summary>
internal sealed class OutputPump
{
    // One Linux pipe buffer: a single read can empty a full pipe.
    private const int ReadBufferBytes = 64 * 1024;

    // Slack in the char buffer for what the decoder can add beyond one char per input byte:
    // a character completed from carried-over bytes (2 chars) or U+FFFD for them on flush.
    private const int DecoderCarryChars = 8;

    private readonly PipeReader _reader;
    private readonly OutputStream _stream;
    private readonly OutputCoalescer _coalescer;
    private readonly ILogger _logger;
    private readonly int _processId;
    private readonly Decoder _decoder = new UTF8Encoding(false, throwOnInvalidBytes: false).GetDecoder();
    private readonly int _sliceBytes;
    private readonly char[] _chars;
    private long _totalBytes;

    private readonly Func<ValueTask> _capacity;

    public OutputPump(
        Stream source, OutputStream stream, OutputCoalescer coalescer, int maxChunkBytes, ILogger logger, int processId, Func<ValueTask>? capacity = null)
    {
        _reader = PipeReader.Create(source, new StreamPipeReaderOptions(bufferSize: ReadBufferBytes, leaveOpen: false));
        _stream = stream;
        _coalescer = coalescer;
        _logger = logger;
        _processId = processId;
        // Decoding at most MaxChunkBytes at a time lets the coalescer keep every event within it.
        _sliceBytes = Math.Min(maxChunkBytes, ReadBufferBytes);
        _chars = new char[_sliceBytes + DecoderCarryChars];
        _capacity = capacity ?? (static () => ValueTask.CompletedTask);
    }

    /// <summary>Raw bytes read so far; final once <see cref="RunAsync"/> has completed.</summary>
    public long TotalBytes => Interlocked.Read(ref _totalBytes);

    /// <summary>Reads to EOF (or until <see cref="Abort"/>). Never throws.</summary>
    public async Task RunAsync()
    {
        try
        {
            while (true)
            {
                await _capacity().ConfigureAwait(false);
                ReadResult result = await _reader.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    if (result.IsCanceled)
                    {
                        break;
                    }
                    foreach (ReadOnlyMemory<byte> segment in buffer)
                    {
                        Decode(segment.Span, flush: false);
                    }
                    Interlocked.Add(ref _totalBytes, buffer.Length);
                    if (result.IsCompleted)
                    {
                        break;
                    }
                }
                finally
                {
                    // Everything read is decoded (the decoder keeps partial characters), so the
                    // pipe never buffers more than one read: no size limit is needed here.
                    _reader.AdvanceTo(buffer.End);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            RunProcess.Log.OutputReadFailed(_logger, ex, _stream, _processId);
        }
        finally
        {
            // EOF: bytes of a character that never completed become U+FFFD instead of vanishing.
            Decode(ReadOnlySpan<byte>.Empty, flush: true);
            await _reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops reading without waiting for EOF, for a pipe that a process outside the group
    /// (one that called setsid itself) keeps open after everything we can kill is dead.
    /// </summary>
    public void Abort() => _reader.CancelPendingRead();

    private void Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        do
        {
            ReadOnlySpan<byte> slice = bytes[..Math.Min(bytes.Length, _sliceBytes)];
            bytes = bytes[slice.Length..];
            int chars = _decoder.GetChars(slice, _chars, flush && bytes.IsEmpty);
            _coalescer.Append(_stream, _chars.AsSpan(0, chars), slice.Length);
        }
        while (!bytes.IsEmpty);
    }
}
