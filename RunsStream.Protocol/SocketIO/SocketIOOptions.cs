using System.Text.Json;
using RunsStream.Protocol.EngineIO;

namespace RunsStream.Protocol.SocketIO;

/// <summary>Options of the Socket.IO layer, defaulted as in the reference server.</summary>
public sealed class SocketIOOptions
{
    public const string DefaultPath = "/socket.io";
    public const int DefaultConnectTimeoutMs = 45_000;
    public const int DefaultAckTimeoutMs = 10_000;

    /// <summary>Where the endpoint is mapped. Default "/socket.io".</summary>
    public string Path { get; set; } = DefaultPath;

    /// <summary>A connection that joins no namespace within this time is closed. Default 45 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromMilliseconds(DefaultConnectTimeoutMs);

    /// <summary>Used by EmitWithAckAsync when no timeout is given. Default 10 s.</summary>
    public TimeSpan DefaultAckTimeout { get; set; } = TimeSpan.FromMilliseconds(DefaultAckTimeoutMs);

    /// <summary>
    /// The most binary attachments one packet may announce (the reference parser's
    /// <c>maxAttachments</c>); a packet announcing more closes the connection. Default 10.
    /// Together the attachments of one packet may hold at most <see cref="EngineIOOptions.MaxPayload"/>
    /// bytes: a binary packet carries no more than one message may.
    /// </summary>
    public int MaxAttachments { get; set; } = SocketIO.Parser.SocketIOPacketReader.DefaultMaxAttachments;

    /// <summary>
    /// When the host stops, how long clients get to take what is queued for them and the close
    /// before their connections are cut. Default 5 s.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The Engine.IO layer underneath.</summary>
    public EngineIOOptions Engine { get; set; } = new();

    /// <summary>How emitted values are serialized; byte arrays become attachments.</summary>
    public JsonSerializerOptions JsonOptions { get; set; } = SocketIOJson.DefaultOptions;

    public void Validate()
    {
        if (string.IsNullOrEmpty(Path) || Path[0] != '/') throw new ArgumentException("Path must start with '/'.");
        if (ConnectTimeout <= TimeSpan.Zero) throw new ArgumentException("ConnectTimeout must be positive.");
        if (DefaultAckTimeout <= TimeSpan.Zero) throw new ArgumentException("DefaultAckTimeout must be positive.");
        if (MaxAttachments < 1) throw new ArgumentException("MaxAttachments must be at least 1.");
        if (ShutdownTimeout < TimeSpan.Zero) throw new ArgumentException("ShutdownTimeout must not be negative.");
        Engine.Validate();
    }
}
