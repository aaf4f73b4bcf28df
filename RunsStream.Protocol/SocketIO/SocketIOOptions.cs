using System.Runtime.CompilerServices;
using System.Text.Json;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.SocketIO.Rooms;

namespace RunsStream.Protocol.SocketIO;

/// <summary>
/// Options of the Socket.IO layer, defaulted as in the reference server. An immutable value: set
/// with an object initializer or derived with <c>with</c>
/// (<c>options with { Engine = options.Engine with { MaxPayload = 4096 } }</c>). Each property
/// refuses a bad value when it is set, with an <see cref="ArgumentException"/> naming it.
/// </summary>
public sealed record SocketIOOptions
{
    /// <summary>Default of <see cref="Path"/>.</summary>
    public const string DefaultPath = "/socket.io";

    /// <summary>Default of <see cref="ConnectTimeout"/> in milliseconds (the reference's 45 s).</summary>
    public const int DefaultConnectTimeoutMs = 45_000;

    /// <summary>Default of <see cref="DefaultAckTimeout"/> in milliseconds.</summary>
    public const int DefaultAckTimeoutMs = 10_000;

    /// <summary>Default of <see cref="ShutdownTimeout"/> in milliseconds.</summary>
    public const int DefaultShutdownTimeoutMs = 5_000;

    /// <summary>Where the endpoint is mapped; starts with '/'. Default "/socket.io".</summary>
    public string Path
    {
        get;
        init => field = !string.IsNullOrEmpty(value) && value[0] == '/'
            ? value
            : throw new ArgumentException($"SocketIOOptions.Path must start with '/' (was \"{value}\").", nameof(Path));
    } = DefaultPath;

    /// <summary>A connection that joins no namespace within this time is closed. Positive; default 45 s.</summary>
    public TimeSpan ConnectTimeout { get; init => field = Positive(value); } = TimeSpan.FromMilliseconds(DefaultConnectTimeoutMs);

    /// <summary>Default of <see cref="ConnectionHandlerDelay"/> in milliseconds.</summary>
    public const int DefaultConnectionHandlerDelayMs = 1;

    /// <summary>
    /// Over WebSocket, how long after the write carrying a namespace's CONNECT answer has
    /// completed its connection handlers run (on the session's <see cref="TimeProvider"/>).
    /// Not negative; default 1 ms; zero runs them at once.
    /// </summary>
    /// <remarks>
    /// Clients that attach their next listener only after handling the CONNECT answer (the
    /// official Socket.IO compliance suite, over the <c>ws</c> package, does) miss a message
    /// that reaches them in the same read; the reference server's next write follows its
    /// first by microseconds and loses that race now and then too. A millisecond lets the
    /// client read the answer first; events the client sends meanwhile wait for the handlers.
    /// </remarks>
    public TimeSpan ConnectionHandlerDelay
    {
        get;
        init => field = value >= TimeSpan.Zero
            ? value
            : throw new ArgumentOutOfRangeException(nameof(ConnectionHandlerDelay), value, "SocketIOOptions.ConnectionHandlerDelay must not be negative.");
    } = TimeSpan.FromMilliseconds(DefaultConnectionHandlerDelayMs);

    /// <summary>Used by EmitWithAckAsync when no timeout is given. Positive; default 10 s.</summary>
    public TimeSpan DefaultAckTimeout { get; init => field = Positive(value); } = TimeSpan.FromMilliseconds(DefaultAckTimeoutMs);

    /// <summary>
    /// The most binary attachments one packet may announce (the reference parser's
    /// <c>maxAttachments</c>); a packet announcing more closes the connection. At least 1; default 10.
    /// Together the attachments of one packet may hold at most <see cref="EngineIOOptions.MaxPayload"/>
    /// bytes: a binary packet carries no more than one message may.
    /// </summary>
    public int MaxAttachments
    {
        get;
        init => field = value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxAttachments), value, "SocketIOOptions.MaxAttachments must be at least 1.");
    } = Parser.SocketIOPacketReader.DefaultMaxAttachments;

    /// <summary>
    /// When the host stops, how long clients get to take what is queued for them and the close
    /// before their connections are cut. Not negative; default 5 s.
    /// </summary>
    public TimeSpan ShutdownTimeout
    {
        get;
        init => field = value >= TimeSpan.Zero
            ? value
            : throw new ArgumentOutOfRangeException(nameof(ShutdownTimeout), value, "SocketIOOptions.ShutdownTimeout must not be negative.");
    } = TimeSpan.FromMilliseconds(DefaultShutdownTimeoutMs);

    /// <summary>The Engine.IO layer underneath. Default: <see cref="EngineIOOptions"/>' defaults.</summary>
    public EngineIOOptions Engine { get; init => field = value ?? throw new ArgumentNullException(nameof(Engine)); } = new();

    /// <summary>How emitted values are serialized; byte arrays become attachments. Default <see cref="SocketIOJson.DefaultOptions"/>.</summary>
    public JsonSerializerOptions JsonOptions { get; init => field = value ?? throw new ArgumentNullException(nameof(JsonOptions)); } = SocketIOJson.DefaultOptions;

    /// <summary>
    /// Makes each namespace's <see cref="SocketIOAdapter"/> when the namespace is created.
    /// Default: an <see cref="InMemoryAdapter"/> (rooms of this server only); an adapter over a
    /// bus (RunsStream.Protocol.Redis) makes broadcasts reach every server sharing it.
    /// </summary>
    public Func<SocketIONamespace, SocketIOAdapter> AdapterFactory
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(AdapterFactory));
    } = static ns => new InMemoryAdapter(ns);

    /// <summary>The rules between properties, here those of the Engine.IO layer.</summary>
    internal void Validate() => Engine.Validate();

    private static TimeSpan Positive(TimeSpan value, [CallerMemberName] string option = "") =>
        value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(option, value, $"SocketIOOptions.{option} must be positive.");
}
