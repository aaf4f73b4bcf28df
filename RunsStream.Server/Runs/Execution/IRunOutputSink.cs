namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// Receives a run's decoded output, in order. Never called concurrently for one run, and never
/// after <see cref="RunProcess.Completion"/> has completed.
/// </summary>
/// <remarks>
/// Called while the run's output lock is held, from a pipe-reading thread or a timer: keep it
/// short (append to the event log) and do not throw. An exception is logged and swallowed so a
/// faulty sink cannot stop the pipes from being drained (a full pipe would block the process).
/// </remarks>
internal interface IRunOutputSink
{
    /// <param name="stream">The pipe the text was read from.</param>
    /// <param name="text">
    /// Never empty; never splits a multi-byte character; invalid UTF-8 appears as U+FFFD.
    /// </param>
    void OnOutput(OutputStream stream, string text);

    /// <summary>The same text as UTF-8 (what the pumps deliver; the default decodes it for <see cref="OnOutput(OutputStream, string)"/>).</summary>
    /// <param name="utf8">Valid UTF-8, never empty; the sink may keep the array.</param>
    void OnOutput(OutputStream stream, byte[] utf8) => OnOutput(stream, System.Text.Encoding.UTF8.GetString(utf8));

    /// <summary>
    /// Awaited by each pipe reader before it reads more: flow control for a sink whose
    /// consumer (the store) has fallen far behind. While it is pending the process blocks on
    /// its full pipe instead of the server buffering without bound.
    /// </summary>
    ValueTask WaitForCapacityAsync() => ValueTask.CompletedTask;
}
