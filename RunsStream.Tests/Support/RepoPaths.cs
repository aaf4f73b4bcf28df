namespace RunsStream.Tests.Support;

/// <summary>Locates files of the checkout from the test binaries.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string NodeClient => Path.Combine(Root, "RunsStream.Tests", "Support", "NodeClient");

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "RunsStream.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("RunsStream.sln not found above the test directory");
    }
}
