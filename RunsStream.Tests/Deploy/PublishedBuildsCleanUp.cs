using RunsStream.Tests.Support;

namespace RunsStream.Tests.Deploy;

/// <summary>The release builds the tests of this folder made (about 130 MB) go when they are done.</summary>
[SetUpFixture]
public sealed class PublishedBuildsCleanUp
{
    [OneTimeTearDown]
    public void DeleteBuilds() => PublishedBuilds.Delete();
}
