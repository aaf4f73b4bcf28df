using RunsStream.Protocol.SocketIO;

namespace RunsStream.Tests.Protocol.SocketIO;

/// <summary>The Socket.IO options refuse a bad value where it is set, naming the option.</summary>
[TestFixture]
public sealed class SocketIOOptionsTests
{
    private static readonly TestCaseData[] BadValues =
    [
        new TestCaseData(new Func<SocketIOOptions>(() => new SocketIOOptions { Path = "socket.io" }), "Path"),
        new TestCaseData(new Func<SocketIOOptions>(() => new SocketIOOptions { Path = "" }), "Path"),
        new TestCaseData(new Func<SocketIOOptions>(() => new SocketIOOptions { ConnectTimeout = TimeSpan.Zero }), "ConnectTimeout"),
        new TestCaseData(new Func<SocketIOOptions>(() => new SocketIOOptions { DefaultAckTimeout = TimeSpan.FromSeconds(-1) }), "DefaultAckTimeout"),
        new TestCaseData(new Func<SocketIOOptions>(() => new SocketIOOptions { MaxAttachments = 0 }), "MaxAttachments"),
        new TestCaseData(new Func<SocketIOOptions>(() => new SocketIOOptions { ShutdownTimeout = TimeSpan.FromSeconds(-1) }), "ShutdownTimeout"),
        new TestCaseData(new Func<SocketIOOptions>(() => new SocketIOOptions { Engine = null! }), "Engine"),
        new TestCaseData(new Func<SocketIOOptions>(() => new SocketIOOptions { JsonOptions = null! }), "JsonOptions"),
    ];

    [TestCaseSource(nameof(BadValues))]
    public void A_bad_value_is_refused_where_it_is_set_naming_the_option(Func<SocketIOOptions> create, string option)
    {
        var refused = Assert.Throws(Is.InstanceOf<ArgumentException>(), () => create());

        Assert.That(((ArgumentException)refused!).ParamName, Is.EqualTo(option));
    }

    [Test]
    public void A_shutdown_timeout_of_zero_is_allowed_it_cuts_connections_at_once()
    {
        Assert.That(new SocketIOOptions { ShutdownTimeout = TimeSpan.Zero }.ShutdownTimeout, Is.EqualTo(TimeSpan.Zero));
    }

    [Test]
    public void With_on_the_engine_layer_leaves_the_original_options_as_they_were()
    {
        var original = new SocketIOOptions();

        var derived = original with { Engine = original.Engine with { MaxPayload = 4096 } };

        Assert.That(derived.Engine.MaxPayload, Is.EqualTo(4096));
        Assert.That(original.Engine.MaxPayload, Is.EqualTo(1_000_000));
        Assert.That(derived.Path, Is.EqualTo(SocketIOOptions.DefaultPath));
    }
}
