namespace RunsStream.Protocol.Redis;

/// <summary>Options of <see cref="RedisSocketIOAdapter"/>. An immutable value.</summary>
public sealed record RedisAdapterOptions
{
    /// <summary>Default of <see cref="ChannelPrefix"/>.</summary>
    public const string DefaultChannelPrefix = "runsstream:socket.io";

    /// <summary>
    /// Channels are <c>{prefix}#{namespace}#</c>: one per namespace, so a server hears only the
    /// namespaces it has. Servers that must reach each other share the prefix. Default
    /// "runsstream:socket.io".
    /// </summary>
    public string ChannelPrefix
    {
        get;
        init => field = !string.IsNullOrEmpty(value) ? value : throw new ArgumentException("RedisAdapterOptions.ChannelPrefix must not be empty.", nameof(ChannelPrefix));
    } = DefaultChannelPrefix;

    /// <summary>
    /// This server's id in its broadcasts, so that it skips its own echo (it delivered locally
    /// already). Unique per server process; default a new GUID.
    /// </summary>
    public string ServerId
    {
        get;
        init => field = !string.IsNullOrEmpty(value) ? value : throw new ArgumentException("RedisAdapterOptions.ServerId must not be empty.", nameof(ServerId));
    } = Guid.NewGuid().ToString("N");
}
