using System.IO.Pipes;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using RunsStream.Server.Runs.Execution.Interop;

namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// Reads a run's stdout and stderr from one thread that waits on both pipes at once (epoll) and
/// reads them in the order they became readable, so the two streams reach the coalescer in the
/// order the process wrote them. Two independent readers on thread-pool threads race: a line
/// written to stderr just after one to stdout could overtake it.
/// </summary>
/// <remarks>
/// Edge-triggered epoll reports a pipe when new data arrives, in arrival order; the reader keeps
/// its own queue of pipes that may hold data and reads the one at its head once (at most
/// <see cref="ReadBufferBytes"/>). A pipe that gave data goes to the back of the queue, behind
/// the other, so a writer that never pauses cannot starve the other stream; only a read that
/// finds it empty (EAGAIN) takes it off, and epoll reports it again when more arrives. (A short
/// read is not enough: the writer may have closed its end already, and that end of file is
/// reported once, with the data before it.) The
/// thread is dedicated (a run lives for seconds to hours) and blocks in epoll_wait while the
/// process is quiet, and on the sink's flow control while the store is behind.
/// </remarks>
internal sealed class RunOutputReader
{
    // One Linux pipe buffer: a single read can empty a full pipe.
    private const int ReadBufferBytes = 64 * 1024;

    // The reader's thread mostly waits in epoll_wait; it needs little stack.
    private const int ThreadStackBytes = 256 * 1024;

    private const ulong StdoutTag = 0;
    private const ulong StderrTag = 1;
    private const ulong AbortTag = 2;

    private readonly Source[] _sources;
    private readonly Func<ValueTask> _capacity;
    private readonly ILogger _logger;
    private readonly int _processId;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _abortLock = new();
    private int _epoll = -1;
    private int _abortEvent = -1;
    private bool _closed;

    /// <param name="stderr">
    /// Null when the run has a single output stream (a terminal's master, reported as stdout).
    /// </param>
    public RunOutputReader(
        Stream stdout, Stream? stderr, OutputCoalescer coalescer, int maxChunkBytes, ILogger logger, int processId, Func<ValueTask>? capacity = null)
    {
        var stdoutSource = new Source(stdout, new OutputDecoder(OutputStream.Stdout, coalescer, Math.Min(maxChunkBytes, ReadBufferBytes)));
        _sources = stderr is null
            ? [stdoutSource]
            : [stdoutSource, new Source(stderr, new OutputDecoder(OutputStream.Stderr, coalescer, Math.Min(maxChunkBytes, ReadBufferBytes)))];
        _logger = logger;
        _processId = processId;
        _capacity = capacity ?? (static () => ValueTask.CompletedTask);
    }

    /// <summary>Completes when every pipe reached end of file (or <see cref="Abort"/>) and all their text went to the coalescer. Never faults.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Raw stdout bytes read so far; final once <see cref="Completion"/> has completed.</summary>
    public long StdoutBytes => _sources[StdoutTag].Decoder.TotalBytes;

    /// <summary>Raw stderr bytes read so far; final once <see cref="Completion"/> has completed.</summary>
    public long StderrBytes => _sources.Length > 1 ? _sources[StderrTag].Decoder.TotalBytes : 0;

    /// <summary>
    /// Starts watching both pipes, on the caller's thread so that output written while the
    /// reading thread starts up is already ordered by epoll, then starts the reading thread.
    /// </summary>
    public void Start()
    {
        try
        {
            Open();
        }
        catch
        {
            Close();
            _completion.TrySetResult();
            throw;
        }
        var thread = new Thread(static state => ((RunOutputReader)state!).Run(), ThreadStackBytes)
        {
            IsBackground = true,
            Name = "run-output",
        };
        thread.Start(this);
    }

    /// <summary>
    /// Stops reading without waiting for end of file, for pipes that a process outside the run's
    /// reach keeps open after everything that could be killed is dead.
    /// </summary>
    public void Abort()
    {
        lock (_abortLock)
        {
            if (!_closed && _abortEvent >= 0)
            {
                Epoll.Signal(_abortEvent);
            }
        }
    }

    private void Run()
    {
        try
        {
            ReadUntilEnd();
        }
        catch (Exception ex)
        {
            // Only reached on a failure of epoll itself; what was read is kept.
            RunProcess.Log.OutputReadFailed(_logger, ex, OutputStream.Stdout, _processId);
        }
        finally
        {
            Close();
            _completion.TrySetResult();
        }
    }

    private void Open()
    {
        lock (_abortLock)
        {
            _epoll = Epoll.Create();
            _abortEvent = Epoll.CreateEventFd();
        }
        Epoll.Add(_epoll, _abortEvent, AbortTag);
        for (var tag = 0; tag < _sources.Length; tag++)
        {
            _sources[tag].Open();
            Epoll.Add(_epoll, _sources[tag].Fd, (ulong)tag);
        }
    }

    private void ReadUntilEnd()
    {
        var buffer = new byte[ReadBufferBytes];
        var events = new byte[Epoll.EventSize * 3];
        Span<(ulong Tag, uint Events)> ready = stackalloc (ulong, uint)[3];
        var pending = new List<Source>(_sources.Length);
        var open = _sources.Length;
        while (open > 0)
        {
            WaitForCapacity();
            var count = Epoll.Wait(_epoll, events, ready, block: pending.Count == 0);
            for (var i = 0; i < count; i++)
            {
                if (ready[i].Tag == AbortTag)
                {
                    return;
                }
                var reported = _sources[ready[i].Tag];
                if (reported.IsOpen && !pending.Contains(reported))
                {
                    pending.Add(reported);
                }
            }
            if (pending.Count == 0)
            {
                continue;
            }
            var source = pending[0];
            pending.RemoveAt(0);
            switch (ReadOnce(source, buffer))
            {
                case ReadResult.Data:
                    pending.Add(source); // maybe more, or its end: after the other one
                    break;
                case ReadResult.End:
                    Epoll.Remove(_epoll, source.Fd);
                    source.IsOpen = false;
                    open--;
                    break;
            }
        }
    }

    private enum ReadResult
    {
        Empty,
        Data,
        End,
    }

    private ReadResult ReadOnce(Source source, byte[] buffer)
    {
        try
        {
            if (!Epoll.TryRead(source.Fd, buffer, out var read))
            {
                return ReadResult.Empty;
            }
            if (read == 0)
            {
                return ReadResult.End;
            }
            source.Decoder.Push(buffer.AsSpan(0, read));
            return ReadResult.Data;
        }
        catch (IOException ex)
        {
            RunProcess.Log.OutputReadFailed(_logger, ex, source.Stream, _processId);
            return ReadResult.End;
        }
    }

    // Flow control: while the sink's consumer is far behind, the process blocks on its full
    // pipe instead of the server buffering without bound. This thread has nothing else to do.
    private void WaitForCapacity()
    {
        var wait = _capacity();
        if (!wait.IsCompletedSuccessfully)
        {
            wait.AsTask().GetAwaiter().GetResult();
        }
    }

    private void Close()
    {
        foreach (var source in _sources)
        {
            source.Decoder.Finish();
            source.Close();
        }
        lock (_abortLock)
        {
            _closed = true;
            if (_abortEvent >= 0)
            {
                Epoll.Close(_abortEvent);
            }
            if (_epoll >= 0)
            {
                Epoll.Close(_epoll);
            }
        }
    }

    /// <summary>One pipe: the stream that owns its descriptor, and its decoder.</summary>
    private sealed class Source(Stream stream, OutputDecoder decoder)
    {
        private SafeHandle? _handle;

        public OutputDecoder Decoder { get; } = decoder;

        public OutputStream Stream => Decoder.Stream;

        public int Fd { get; private set; } = -1;

        public bool IsOpen { get; set; }

        public void Open()
        {
            _handle = stream switch
            {
                PipeStream pipe => pipe.SafePipeHandle,
                FileStream file => file.SafeFileHandle,
                _ => throw new ArgumentException($"A {stream.GetType().Name} has no descriptor to wait on."),
            };
            var added = false;
            _handle.DangerousAddRef(ref added);
            Fd = (int)_handle.DangerousGetHandle();
            Epoll.SetNonBlocking(Fd);
            IsOpen = true;
        }

        public void Close()
        {
            _handle?.DangerousRelease();
            _handle = null;
            stream.Dispose();
        }
    }
}
