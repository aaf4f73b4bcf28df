namespace RunsStream.Server.Runs.Execution;

/// <summary>What to run: <c>/bin/sh -c <paramref name="Command"/></c> in its own process group.</summary>
/// <param name="Command">The shell command line, passed verbatim to <c>/bin/sh -c</c>.</param>
/// <param name="WorkingDirectory">Must already exist; the caller creates it.</param>
/// <param name="ExtraEnvironment">
/// Applied on top of the server's environment (minus <c>WS_AUTH_TOKEN</c>); a null value removes
/// the variable.
/// </param>
public sealed record ProcessStartRequest(
    string Command,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string?>? ExtraEnvironment = null);
