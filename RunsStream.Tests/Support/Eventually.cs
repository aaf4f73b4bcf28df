namespace RunsStream.Tests.Support;

/// <summary>
/// The one way a test waits for something nothing tells it about (a process that exits, a
/// session the server drops, a run's status over REST): look again and again until it holds
/// or a generous deadline passes, never a fixed sleep. On a loaded machine a condition may take
/// long to come true but is never skipped, so the deadline only decides how long a broken build
/// hangs; a timeout fails the test with what it waited for and the last thing it saw.
/// </summary>
public static class Eventually
{
    /// <summary>Deadline of a wait that names none.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    // Looks again at once while the answer is likely to come soon, then less often, so a
    // long wait over HTTP does not load the server it is watching.
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Reads a value until <paramref name="done"/> holds for it and returns that value; fails
    /// the test with <paramref name="describe"/> of the last value read if the deadline passes.
    /// </summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> done, Func<T, string> describe, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTime.UtcNow + limit;
        var pause = FirstPause;
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {limit.TotalSeconds:0.#} s: {describe(value)}");
            }
            await Task.Delay(pause);
            pause = pause * 2 < LongestPause ? pause * 2 : LongestPause;
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds; fails the test naming <paramref name="what"/> if it never does.</summary>
    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>Waits until <paramref name="condition"/> holds; fails the test naming <paramref name="what"/> if it never does.</summary>
    public static Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        ValueAsync(condition, held => held, _ => "waiting until " + what, timeout);
}

/// <summary>
/// The raw protocol tests' old name for <see cref="Eventually"/>, kept only while the heartbeat
/// and slow-consumer tests that still use it are rewritten elsewhere; new tests use
/// <see cref="Eventually"/>. Remove it once no test names it.
/// </summary>
public static class RawEventually
{
    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        Eventually.WaitUntilAsync(condition, what, timeout ?? TimeSpan.FromSeconds(20));

    public static Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        Eventually.WaitUntilAsync(condition, what, timeout ?? TimeSpan.FromSeconds(20));
}
