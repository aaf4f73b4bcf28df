namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// The executors of this server by name, and the check POST /runs makes on its
/// <c>executor</c> field: an unknown or unavailable one is a 400 that names the available ones.
/// </summary>
internal sealed class RunExecutors
{
    /// <summary>The executor of a run that names none.</summary>
    public const string DefaultName = ProcessExecutor.ExecutorName;

    // The executors of issue 13 that a server may lack (not configured, not installed): asking
    // for one is "not available" rather than "unknown", so a client learns it exists.
    private static readonly string[] KnownNames = [ProcessExecutor.ExecutorName, "sandbox", "docker"];

    private readonly Dictionary<string, IRunExecutor> _byName = new(StringComparer.Ordinal);
    private readonly List<IRunExecutor> _all = [];

    public RunExecutors(IEnumerable<IRunExecutor> executors)
    {
        foreach (var executor in executors)
        {
            if (!_byName.TryAdd(executor.Name, executor))
            {
                throw new ArgumentException($"Two executors are named \"{executor.Name}\".", nameof(executors));
            }
            _all.Add(executor);
        }
    }

    /// <summary>The names of the executors that can start runs now, in registration order.</summary>
    public IReadOnlyList<string> AvailableNames() => _all.Where(e => e.UnavailableReason is null).Select(e => e.Name).ToList();

    /// <summary>The executor of a run already accepted (its name was checked then); null if this server no longer has it.</summary>
    public IRunExecutor? Find(string? name) => _byName.GetValueOrDefault(name ?? DefaultName);

    /// <summary>The executor for a new run asking for <paramref name="name"/> (null: the default).</summary>
    /// <exception cref="RunsException">bad_request: unknown, or not available now.</exception>
    public IRunExecutor Resolve(string? name)
    {
        name ??= DefaultName;
        if (_byName.TryGetValue(name, out var executor))
        {
            if (executor.UnavailableReason is { } reason)
            {
                throw RunsException.BadRequest($"executor \"{name}\" is not available: {reason}; available: {Available()}");
            }
            return executor;
        }
        if (KnownNames.Contains(name, StringComparer.Ordinal))
        {
            throw RunsException.BadRequest($"executor \"{name}\" is not available on this server (not configured); available: {Available()}");
        }
        throw RunsException.BadRequest($"unknown executor \"{name}\"; available: {Available()}");
    }

    /// <summary>Every executor's crash recovery, one after the other (docs/executors.md).</summary>
    public async Task RecoverAsync()
    {
        foreach (var executor in _all)
        {
            await executor.RecoverAsync().ConfigureAwait(false);
        }
    }

    private string Available() => AvailableNames() is { Count: > 0 } names ? string.Join(", ", names) : "none";
}
