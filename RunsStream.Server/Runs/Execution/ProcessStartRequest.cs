namespace RunsStream.Server.Runs.Execution;

/// <summary>What to run: <c>/bin/sh -c <paramref name="Command"/></c> in its own process group.</summary>
/// <param name="Command">The shell command line, passed verbatim to <c>/bin/sh -c</c>.</param>
/// <param name="WorkingDirectory">Must already exist; the caller creates it.</param>
/// <param name="ExtraEnvironment">
/// Applied on top of the server's environment (minus its credentials); a null value removes
/// the variable.
/// </param>
/// <param name="User">The account to run as (HOME is then the working directory); null for the server's own.</param>
/// <param name="Cgroup">An empty cgroup the process joins before the command starts; null for none.</param>
internal sealed record ProcessStartRequest(
    string Command,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string?>? ExtraEnvironment = null,
    RunUser? User = null,
    RunCgroup? Cgroup = null);
