namespace RunsStream.Server.Security;

/// <summary>
/// DATA_DIR holds every run's output and the server's records; runs execute in workspaces
/// inside it by default. So: the folder can be passed through but not listed by others (0711),
/// and the database files are the server's alone (0600).
/// </summary>
internal static class DataDirectoryPermissions
{
    private const UnixFileMode TraverseOnly =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    // SQLite gives its -wal, -shm and -journal files the mode of the database file itself.
    private static readonly string[] DatabaseSuffixes = ["", "-wal", "-shm", "-journal"];

    /// <summary>Creates DATA_DIR if needed and closes it and the database <paramref name="databaseFile"/> (when given) to others.</summary>
    public static void Apply(string dataDirectory, string? databaseFile)
    {
        Directory.CreateDirectory(dataDirectory);
        File.SetUnixFileMode(dataDirectory, TraverseOnly);
        if (databaseFile is null)
        {
            return;
        }
        var database = Path.Combine(dataDirectory, databaseFile);
        if (!File.Exists(database))
        {
            // Created empty with the right mode before SQLite opens it, so it never exists
            // readable by others, not even for a moment (an empty file is a new database).
            using var created = new FileStream(database, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = OwnerOnly,
            });
        }
        foreach (var suffix in DatabaseSuffixes)
        {
            if (File.Exists(database + suffix))
            {
                File.SetUnixFileMode(database + suffix, OwnerOnly);
            }
        }
    }
}
