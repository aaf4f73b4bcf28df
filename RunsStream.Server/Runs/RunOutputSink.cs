using RunsStream.Server.Runs.Execution;

namespace RunsStream.Server.Runs;

/// <summary>
/// Turns a process's decoded output into run events. Output that arrives before the run's
/// `running` status is appended is held back, so `running` always precedes the output.
/// </summary>
internal sealed class RunOutputSink(RunState run, TimeProvider time) : IRunOutputSink
{
    private readonly object _lock = new();
    private List<(OutputStream Stream, byte[] Text)>? _held = new();

    public void OnOutput(OutputStream stream, string text) => OnOutput(stream, System.Text.Encoding.UTF8.GetBytes(text));

    public void OnOutput(OutputStream stream, byte[] text)
    {
        lock (_lock)
        {
            if (_held is not null)
            {
                _held.Add((stream, text));
                return;
            }
            Append(stream, text);
        }
    }

    public ValueTask WaitForCapacityAsync() => run.WaitForStoreAsync();

    /// <summary>Called once `running` is appended: releases what was held.</summary>
    public void Open()
    {
        lock (_lock)
        {
            foreach (var (stream, text) in _held!)
            {
                Append(stream, text);
            }
            _held = null;
        }
    }

    private void Append(OutputStream stream, byte[] text)
    {
        var type = stream == OutputStream.Stdout ? RunEventType.Stdout : RunEventType.Stderr;
        run.Append(seq => new RunEvent(run.RunId, seq, type, text, time.GetUtcNow()));
    }
}
