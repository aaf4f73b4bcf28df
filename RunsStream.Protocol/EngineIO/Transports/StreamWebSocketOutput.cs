namespace RunsStream.Protocol.EngineIO.Transports;

/// <summary>
/// Frames written to a stream: an upgraded HTTP request's stream (Kestrel copies them into its
/// output pipe) or a connection's transport behind TLS.
/// </summary>
internal sealed class StreamWebSocketOutput(Stream stream) : WebSocketOutput
{
    private readonly List<ReadOnlyMemory<byte>> _batch = [];

    public override bool HasPending => _batch.Count > 0;

    public override void Add(ReadOnlyMemory<byte> frame) => _batch.Add(frame);

    public override async ValueTask SendAsync()
    {
        try
        {
            foreach (var frame in _batch)
            {
                await stream.WriteAsync(frame);
            }
        }
        finally
        {
            _batch.Clear();
        }
        await stream.FlushAsync();
    }
}
