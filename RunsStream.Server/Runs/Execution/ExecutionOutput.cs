using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// The output pump for a source that is not a pair of pipes: a container's log stream, a
/// PTY's master descriptor. Bytes pushed here go through the same <see cref="OutputDecoder"/>
/// and <see cref="OutputCoalescer"/> as a process's pipes, so the events a subscriber sees do
/// not depend on the executor.
/// </summary>
/// <remarks>
/// Thread-safe: a source that reads stdout and stderr on two threads may push from both; the
/// order of the pushes is the order of the events.
/// </remarks>
internal sealed class ExecutionOutput
{
    // A read of a pipe or a socket: what one push is decoded in at most.
    private const int SliceBytes = 64 * 1024;

    private readonly object _lock = new();
    private readonly IRunOutputSink _sink;
    private readonly OutputCoalescer _coalescer;
    private readonly OutputDecoder[] _decoders;
    private bool _completed;

    /// <param name="id">What the pump's log lines name the execution by (a pid, a container's short id).</param>
    public ExecutionOutput(IRunOutputSink sink, OutputCoalescingOptions coalescing, TimeProvider time, ILogger logger, int id)
    {
        coalescing.Validate();
        _sink = sink;
        _coalescer = new OutputCoalescer(sink, coalescing, time, logger, id);
        var slice = Math.Min(coalescing.MaxChunkBytes, SliceBytes);
        _decoders = [new OutputDecoder(OutputStream.Stdout, _coalescer, slice), new OutputDecoder(OutputStream.Stderr, _coalescer, slice)];
    }

    /// <summary>Raw stdout bytes pushed so far.</summary>
    public long StdoutBytes => _decoders[(int)OutputStream.Stdout].TotalBytes;

    /// <summary>Raw stderr bytes pushed so far.</summary>
    public long StderrBytes => _decoders[(int)OutputStream.Stderr].TotalBytes;

    /// <summary>
    /// Adds bytes of <paramref name="stream"/> as read; a character split across pushes is
    /// joined. Ignored once <see cref="Complete"/> was called.
    /// </summary>
    public void Push(OutputStream stream, ReadOnlySpan<byte> bytes)
    {
        lock (_lock)
        {
            if (!_completed)
            {
                _decoders[(int)stream].Push(bytes);
            }
        }
    }

    /// <summary>Awaited before each read: the sink's flow control (the store is far behind).</summary>
    public ValueTask WaitForCapacityAsync() => _sink.WaitForCapacityAsync();

    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="stream"/> until its end (or until
    /// <paramref name="cancellationToken"/>), waiting for the sink's capacity before each read.
    /// </summary>
    public async Task PumpAsync(Stream source, OutputStream stream, CancellationToken cancellationToken = default)
    {
        var buffer = new byte[SliceBytes];
        while (true)
        {
            await WaitForCapacityAsync().ConfigureAwait(false);
            var read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }
            Push(stream, buffer.AsSpan(0, read));
        }
    }

    /// <summary>
    /// The source ended: an incomplete trailing character becomes U+FFFD and everything pending
    /// reaches the sink now. Call it before the execution reports its exit. Idempotent.
    /// </summary>
    public void Complete()
    {
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }
            _completed = true;
            foreach (var decoder in _decoders)
            {
                decoder.Finish();
            }
            _coalescer.Complete();
        }
    }
}
