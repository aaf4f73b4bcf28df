namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// How a run's output is batched into events, so a process writing in tiny pieces does not
/// become one socket message per write(2). Text is flushed as soon as either bound is reached,
/// and also whenever the other stream produces output (to keep stdout/stderr interleaving).
/// </summary>
internal sealed record OutputCoalescingOptions
{
    /// <summary>Default for <see cref="MaxChunkBytes"/>: 64 KiB, one Linux pipe buffer.</summary>
    public const int DefaultMaxChunkBytes = 64 * 1024;

    /// <summary>Default for <see cref="MaxDelay"/> in milliseconds: short enough to look live.</summary>
    public const int DefaultMaxDelayMilliseconds = 2;

    /// <summary>Flush when pending text reaches this many UTF-8 bytes; also the largest event.</summary>
    public int MaxChunkBytes { get; init; } = DefaultMaxChunkBytes;

    /// <summary>Flush pending text at most this long after it arrived; zero disables coalescing.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(DefaultMaxDelayMilliseconds);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxChunkBytes, 1, nameof(MaxChunkBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, TimeSpan.Zero, nameof(MaxDelay));
    }
}
