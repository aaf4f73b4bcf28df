using RunsStream.Server.Fleet.Routing;

namespace RunsStream.Tests.Server.Fleet.Routing;

/// <summary>The in-memory directory resolves the tags of its last update, and nothing else.</summary>
[TestFixture]
public sealed class NodeDirectoryTests
{
    [Test]
    public void An_empty_directory_resolves_no_tag()
    {
        Assert.That(new NodeDirectory().Resolve("abcdefgh"), Is.Null);
    }

    [Test]
    public void An_update_replaces_the_nodes_whole()
    {
        var directory = new NodeDirectory(new Dictionary<string, Uri> { ["aaaaaaaa"] = new("http://10.0.0.1:4000"), ["bbbbbbbb"] = new("http://10.0.0.2:4000") });

        directory.Update(new Dictionary<string, Uri> { ["bbbbbbbb"] = new("http://10.0.0.3:4000") });

        Assert.That(directory.Resolve("aaaaaaaa"), Is.Null, "a node missing from the update is gone");
        Assert.That(directory.Resolve("bbbbbbbb"), Is.EqualTo(new Uri("http://10.0.0.3:4000")));
    }

    [Test]
    public void Tags_are_matched_exactly()
    {
        var directory = new NodeDirectory(new Dictionary<string, Uri> { ["AbCdEfGh"] = new("http://10.0.0.1:4000") });

        Assert.That(directory.Resolve("abcdefgh"), Is.Null);
        Assert.That(directory.Resolve("AbCdEfGh"), Is.Not.Null);
    }

    [TestCase("/relative")]
    [TestCase("ftp://10.0.0.1/")]
    public void A_node_url_that_is_not_absolute_http_is_refused_and_the_directory_kept(string url)
    {
        var directory = new NodeDirectory(new Dictionary<string, Uri> { ["aaaaaaaa"] = new("http://10.0.0.1:4000") });

        Assert.Throws<ArgumentException>(() => directory.Update(new Dictionary<string, Uri> { ["bbbbbbbb"] = new(url, UriKind.RelativeOrAbsolute) }));
        Assert.That(directory.Resolve("aaaaaaaa"), Is.EqualTo(new Uri("http://10.0.0.1:4000")));
    }
}
