using System.Text;
using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Auth;

/// <summary>
/// A Socket.IO client over a raw Engine.IO WebSocket for the authorization tests: it keeps
/// every frame the server sent, so a test can show that no byte of a run reached it.
/// </summary>
internal sealed class AuthSocket : IAsyncDisposable
{
    private readonly RawWebSocketClient _client;
    private readonly StringBuilder _received = new();
    private int _nextAck = 1;

    private AuthSocket(RawWebSocketClient client) => _client = client;

    /// <summary>Every text frame received so far, one per line.</summary>
    public string Received => _received.ToString();

    /// <summary>The CONNECT answer: "40{...}" when let in, "44{...}" when refused.</summary>
    public string ConnectAnswer { get; private set; } = "";

    public bool Connected => ConnectAnswer.StartsWith("40", StringComparison.Ordinal);

    /// <summary>The refusal's message, or null when connected.</summary>
    public string? Error => Connected ? null : JsonDocument.Parse(ConnectAnswer[2..]).RootElement.GetProperty("message").GetString();

    public static async Task<AuthSocket> ConnectAsync(RunsServerHost server, string? token, string? query = null)
    {
        var uri = new Uri(server.Url.Replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket" + (query is null ? "" : "&" + query));
        var socket = new AuthSocket(await RawWebSocketClient.ConnectAsync(uri));
        Assert.That(await socket.ReceiveAsync(), Does.StartWith("0{"));
        await socket._client.SendTextAsync("40" + (token is null ? "" : JsonSerializer.Serialize(new { token })));
        socket.ConnectAnswer = await socket.ReceiveAsync();
        return socket;
    }

    /// <summary>Emits <paramref name="eventName"/> with <paramref name="payload"/> and returns its ack's first argument.</summary>
    public async Task<JsonElement> EmitWithAckAsync(string eventName, object payload)
    {
        var id = _nextAck++;
        await _client.SendTextAsync($"42{id}" + JsonSerializer.Serialize(new object[] { eventName, payload }));
        var prefix = $"43{id}";
        while (true)
        {
            var frame = await ReceiveAsync();
            if (frame.StartsWith(prefix + "[", StringComparison.Ordinal))
            {
                return JsonDocument.Parse(frame[prefix.Length..]).RootElement[0].Clone();
            }
        }
    }

    /// <summary>Reads until a frame satisfies <paramref name="done"/>; that frame.</summary>
    public async Task<string> ReceiveUntilAsync(Func<string, bool> done)
    {
        while (true)
        {
            var frame = await ReceiveAsync();
            if (done(frame))
            {
                return frame;
            }
        }
    }

    /// <summary>Reads until the server closes the session or disconnects the socket; the frames read.</summary>
    public async Task<string?> ReceiveOrCloseAsync()
    {
        var message = await _client.ReceiveOrCloseAsync();
        if (message is { } m)
        {
            _received.AppendLine(m.Text);
            return m.Text;
        }
        return null;
    }

    private async Task<string> ReceiveAsync()
    {
        while (true)
        {
            var text = await _client.ReceiveTextAsync();
            _received.AppendLine(text);
            if (text == "2")
            {
                continue; // a ping: the client answers it by itself
            }
            return text;
        }
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
