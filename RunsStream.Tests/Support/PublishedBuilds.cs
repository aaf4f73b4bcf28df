namespace RunsStream.Tests.Support;

/// <summary>
/// The release builds of scripts/publish, made once per test run in a temp folder and shared
/// by the tests that use them (each build takes a minute or more on 2 cores).
/// </summary>
public static class PublishedBuilds
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(15);
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "runsstream-tests-publish-" + Environment.ProcessId);
    private static readonly SemaphoreSlim Lock = new(1, 1);
    private static readonly Dictionary<string, string> Made = new();

    /// <summary>Removes the builds (after the tests that use them).</summary>
    public static void Delete()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
        Made.Clear();
    }

    /// <summary>"jit" (self-contained single file) or "aot" (Native AOT): the folder it is in.</summary>
    public static async Task<string> FolderOfAsync(string kind)
    {
        await Lock.WaitAsync();
        try
        {
            if (Made.TryGetValue(kind, out var made))
            {
                return made;
            }
            var result = await ScriptRunner.RunAsync(Path.Combine(RepoPaths.Root, "scripts", "publish"), [$"--{kind}", "--out", Folder], Timeout);
            Assert.That(result.ExitCode, Is.Zero, $"scripts/publish --{kind}: {result}");
            var folder = Path.Combine(Folder, kind);
            Made[kind] = folder;
            return folder;
        }
        finally
        {
            Lock.Release();
        }
    }
}
