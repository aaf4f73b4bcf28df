using Microsoft.Extensions.DependencyInjection;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.Hosting;
using RunsStream.Protocol.SocketIO;

namespace RunsStream.Tests.Protocol.EngineIO;

/// <summary>
/// The Engine.IO options are an immutable value: a bad value is refused where it is set, naming
/// the option, and the rule between two options is checked when a server is built or registered.
/// </summary>
[TestFixture]
public sealed class EngineIOOptionsTests
{
    private static readonly TestCaseData[] BadValues =
    [
        new TestCaseData(new Func<EngineIOOptions>(() => new EngineIOOptions { PingInterval = TimeSpan.Zero }), "PingInterval"),
        new TestCaseData(new Func<EngineIOOptions>(() => new EngineIOOptions { PingTimeout = TimeSpan.FromSeconds(-1) }), "PingTimeout"),
        new TestCaseData(new Func<EngineIOOptions>(() => new EngineIOOptions { UpgradeTimeout = TimeSpan.Zero }), "UpgradeTimeout"),
        new TestCaseData(new Func<EngineIOOptions>(() => new EngineIOOptions { MaxPayload = 0 }), "MaxPayload"),
        new TestCaseData(new Func<EngineIOOptions>(() => new EngineIOOptions { MaxBufferedBytes = -5 }), "MaxBufferedBytes"),
        new TestCaseData(new Func<EngineIOOptions>(() => new EngineIOOptions { MaxPollingResponseBytes = 0 }), "MaxPollingResponseBytes"),
        new TestCaseData(new Func<EngineIOOptions>(() => new EngineIOOptions { Transports = [] }), "Transports"),
        new TestCaseData(new Func<EngineIOOptions>(() => new EngineIOOptions { Transports = ["polling", "webtransport"] }), "Transports"),
        new TestCaseData(new Func<EngineIOOptions>(() => new EngineIOOptions() with { PingInterval = TimeSpan.Zero }), "PingInterval"),
        new TestCaseData(new Func<EngineIOOptions>(() => new EngineIOOptions { SidPrefix = "node/1." }), "SidPrefix"),
        new TestCaseData(new Func<EngineIOOptions>(() => new EngineIOOptions { SidPrefix = "a b." }), "SidPrefix"),
        new TestCaseData(new Func<EngineIOOptions>(() => new EngineIOOptions { SidPrefix = "n&sid=x." }), "SidPrefix"),
        new TestCaseData(new Func<EngineIOOptions>(() => new EngineIOOptions { SidPrefix = new string('a', 17) }), "SidPrefix"),
        new TestCaseData(new Func<EngineIOOptions>(() => new EngineIOOptions { SidPrefix = null! }), "SidPrefix"),
    ];

    [TestCaseSource(nameof(BadValues))]
    public void A_bad_value_is_refused_where_it_is_set_naming_the_option(Func<EngineIOOptions> create, string option)
    {
        var refused = Assert.Throws(Is.InstanceOf<ArgumentException>(), () => create());

        Assert.That(((ArgumentException)refused!).ParamName, Is.EqualTo(option));
        Assert.That(refused.Message, Does.Contain("EngineIOOptions." + option));
    }

    [TestCase("")]
    [TestCase("AbC-_09.")]
    [TestCase("0123456789abcde.")]
    public void A_sid_prefix_of_base64url_characters_and_dots_up_to_16_is_kept(string prefix)
    {
        Assert.That(new EngineIOOptions { SidPrefix = prefix }.SidPrefix, Is.EqualTo(prefix));
    }

    [Test]
    public void With_derives_a_new_value_and_leaves_the_original_as_it_was()
    {
        var original = new EngineIOOptions();

        var derived = original with { PingInterval = TimeSpan.FromSeconds(1), Transports = [TransportNames.WebSocket] };

        Assert.That(derived.PingInterval, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(derived.Transports, Is.EqualTo(new[] { TransportNames.WebSocket }));
        Assert.That(original.PingInterval, Is.EqualTo(TimeSpan.FromMilliseconds(EngineIOOptions.DefaultPingIntervalMs)));
        Assert.That(original.Transports, Is.EqualTo(new[] { TransportNames.Polling, TransportNames.WebSocket }));
    }

    [Test]
    public void The_transports_list_is_copied_so_the_caller_cannot_change_it_afterwards()
    {
        var mine = new List<string> { TransportNames.Polling };

        var options = new EngineIOOptions { Transports = mine };
        mine.Add("webtransport");

        Assert.That(options.Transports, Is.EqualTo(new[] { TransportNames.Polling }));
    }

    [Test]
    public void A_server_is_not_built_with_a_buffer_smaller_than_one_message()
    {
        var options = new EngineIOOptions { MaxPayload = 4096, MaxBufferedBytes = 1024 };

        var refused = Assert.Throws<ArgumentException>(() => _ = new EngineServer(options, _ => throw new InvalidOperationException()));

        Assert.That(refused!.ParamName, Is.EqualTo(nameof(EngineIOOptions.MaxBufferedBytes)));
        Assert.That(refused.Message, Does.Contain("MaxPayload"));
    }

    [Test]
    public void AddSocketIO_refuses_a_bad_combination_at_registration_not_at_the_first_request()
    {
        var options = new SocketIOOptions { Engine = new EngineIOOptions { MaxPayload = 4096, MaxBufferedBytes = 1024 } };

        var refused = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddSocketIO(options));

        Assert.That(refused!.ParamName, Is.EqualTo(nameof(EngineIOOptions.MaxBufferedBytes)));
    }
}
