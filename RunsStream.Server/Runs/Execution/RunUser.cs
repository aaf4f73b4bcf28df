using RunsStream.Server.Runs.Execution.Interop;

namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// The unprivileged account runs execute as when the server runs as root (RUN_AS_USER, default
/// <c>nobody</c>): a run then cannot read the server's memory, environment or database.
/// </summary>
/// <param name="Name">The account's name.</param>
/// <param name="Uid">Its user id.</param>
/// <param name="Gid">Its primary group id.</param>
internal sealed record RunUser(string Name, uint Uid, uint Gid)
{
    /// <summary>The account runs use when RUN_AS_USER is unset and the server is root.</summary>
    public const string DefaultName = "nobody";

    /// <summary>
    /// Who runs execute as: null to run them as the server's own user (a server that is not
    /// root, or RUN_AS_USER=root); otherwise the account to switch to.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown account, or one that a non-root server cannot switch to.</exception>
    public static RunUser? Resolve(string? configured)
    {
        var isRoot = Posix.EffectiveUserId == 0;
        if (string.IsNullOrEmpty(configured))
        {
            return isRoot ? LookUp(DefaultName) : null;
        }
        var user = LookUp(configured);
        if (user.Uid == Posix.EffectiveUserId)
        {
            return null; // already that user: nothing to switch
        }
        if (!isRoot)
        {
            throw new ArgumentException($"RUN_AS_USER={configured} needs the server to run as root (it runs as uid {Posix.EffectiveUserId}).");
        }
        return user;
    }

    private static RunUser LookUp(string name) =>
        Posix.LookUpUser(name) is { } ids
            ? new RunUser(name, ids.Uid, ids.Gid)
            : throw new ArgumentException($"RUN_AS_USER: there is no user \"{name}\" on this machine.");

    /// <summary>Gives <paramref name="directory"/> (the run's workspace) to this account.</summary>
    public void Own(string directory) => Posix.ChangeOwner(directory, Uid, Gid);
}
