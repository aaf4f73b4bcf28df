using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using RunsStream.Server.Runs.Execution;
using RunsStream.Server.Runs.Execution.Pty;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Execution.Pty;

/// <summary>
/// A <see cref="PtyProcess"/> wired the way a run uses it: its master read by the real
/// <see cref="RunOutputReader"/> into a coalescer and a recording sink. Disposing kills
/// whatever of it is left (by its process group) and closes the terminal.
/// </summary>
internal sealed class PtyRun : IAsyncDisposable
{
    public static readonly TimeSpan AwaitTimeout = TimeSpan.FromSeconds(60);

    private readonly WarningLogger _logger = new();
    private readonly OutputCoalescer _coalescer;
    private readonly RunOutputReader _reader;

    private PtyRun(PtyProcess pty, RecordingOutputSink sink)
    {
        Pty = pty;
        Sink = sink;
        var coalescing = new OutputCoalescingOptions();
        _coalescer = new OutputCoalescer(sink, coalescing, TimeProvider.System, _logger, pty.Process.Id);
        _reader = new RunOutputReader(pty.Output, null, _coalescer, coalescing.MaxChunkBytes, _logger, pty.Process.Id);
        _reader.Start();
    }

    public PtyProcess Pty { get; }

    public RecordingOutputSink Sink { get; }

    public long OutputBytes => _reader.StdoutBytes;

    /// <summary>Warnings and errors the reader and coalescer logged (a failed read, say).</summary>
    public IReadOnlyCollection<string> Warnings => _logger.Messages;

    public static PtyRun Start(ProcessStartRequest request, PtySize? size = null, bool keepText = true) =>
        new(PtyProcess.Start(request, size ?? PtySize.Default), new RecordingOutputSink(keepText));

    public static PtyRun Start(string command, string workingDirectory, PtySize? size = null) =>
        Start(new ProcessStartRequest(command, workingDirectory), size);

    /// <summary>Waits for the process's exit and the end of the terminal's output; the exit code.</summary>
    public async Task<int> CompletionAsync()
    {
        await Pty.Process.WaitForExitAsync().WaitAsync(AwaitTimeout);
        await _reader.Completion.WaitAsync(AwaitTimeout);
        _coalescer.Complete();
        return Pty.Process.ExitCode;
    }

    /// <summary>Waits until the output so far contains <paramref name="text"/>.</summary>
    public Task WaitForOutputAsync(string text) =>
        Eventually.WaitUntilAsync(() => Sink.AllText.Contains(text, StringComparison.Ordinal), $"the output contains '{text}'", AwaitTimeout);

    public async ValueTask DisposeAsync()
    {
        var pid = Pty.Process.Id;
        if (!Pty.Process.HasExited)
        {
            ProcessGroup.TrySignalGroup(pid, ProcessGroup.SigKill);
        }
        await Pty.Process.WaitForExitAsync().WaitAsync(AwaitTimeout);
        // A background child may outlive the shell in its group.
        ProcessGroup.TrySignalGroup(pid, ProcessGroup.SigKill);
        await _reader.Completion.WaitAsync(AwaitTimeout);
        _coalescer.Complete();
        Pty.Dispose();
        Pty.Process.Dispose();
    }

    private sealed class WarningLogger : ILogger
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public IReadOnlyCollection<string> Messages => _messages.ToArray();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                _messages.Enqueue($"{logLevel}: {formatter(state, exception)} {exception?.Message}");
            }
        }
    }
}
