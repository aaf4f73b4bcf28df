using System.Security.Cryptography;
using System.Text;
using RunsStream.Protocol.EngineIO;
using RunsStream.Server.Fleet.Routing;

namespace RunsStream.Tests.Server.Fleet.Routing;

/// <summary>A node's tag is derived from its NODE_ID alone, fits a sid prefix, and is read back from a sid.</summary>
[TestFixture]
public sealed class NodeTagsTests
{
    [Test]
    public void A_tag_is_the_first_8_base64url_characters_of_the_sha256_of_the_node_id()
    {
        // An independent spelling of the rule: base64url of the whole hash, cut to 8.
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("worker-7.example:4000"));
        var expected = Convert.ToBase64String(hash).TrimEnd('=').Replace('+', '-').Replace('/', '_')[..8];

        Assert.That(NodeTags.For("worker-7.example:4000"), Is.EqualTo(expected));
    }

    [Test]
    public void The_same_node_id_always_gets_the_same_tag_and_different_ids_different_tags()
    {
        var tags = Enumerable.Range(0, 1000).Select(i => NodeTags.For($"node-{i}")).ToList();

        Assert.That(NodeTags.For("node-1"), Is.EqualTo(tags[1]));
        Assert.That(tags.Distinct().Count(), Is.EqualTo(1000));
    }

    [Test]
    public void A_tag_has_no_dot_and_its_sid_prefix_is_accepted_by_the_engine_options()
    {
        foreach (var id in new[] { "a", "node-1", "host.with.dots-4000", "ünïcode" })
        {
            var prefix = NodeTags.SidPrefixFor(id);

            Assert.That(NodeTags.For(id), Does.Match("^[A-Za-z0-9_-]{8}$"));
            Assert.That(new EngineIOOptions { SidPrefix = prefix }.SidPrefix, Is.EqualTo(prefix));
            Assert.That(new SessionRouting(id, new NodeDirectory()).SidPrefix, Is.EqualTo(prefix));
        }
    }

    [Test]
    public void The_tag_of_a_sid_is_the_text_before_its_first_dot()
    {
        var tag = NodeTags.For("node-1");

        Assert.That(NodeTags.Of(tag + ".AAAAAAAAAAAAAAAAAAAA"), Is.EqualTo(tag));
        Assert.That(NodeTags.Of("AAAAAAAAAAAAAAAAAAAA"), Is.Null, "a single node's sid carries no tag");
        Assert.That(NodeTags.Of(".AAAA"), Is.Null, "an empty tag is no tag");
    }

    [Test]
    public void An_empty_node_id_is_refused()
    {
        Assert.Throws<ArgumentException>(() => NodeTags.For(""));
    }
}
