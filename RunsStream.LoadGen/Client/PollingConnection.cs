using System.Net.Http.Headers;
using System.Text;

namespace RunsStream.LoadGen.Client;

/// <summary>
/// A minimal Engine.IO v4 long-polling client (no upgrade): one GET outstanding at a time, its
/// body read into a reused buffer and split on the record separator 0x1E; pings answered with a
/// POST. Packets go through the same <see cref="PacketScanner"/> as over WebSocket.
/// </summary>
internal sealed class PollingConnection
{
    private readonly HttpClient _http;
    private readonly string _url;
    private readonly Subscriber _subscriber;
    private byte[] _buffer = new byte[64 * 1024];
    private bool _closed;

    private PollingConnection(HttpClient http, string url, Subscriber subscriber)
    {
        _http = http;
        _url = url;
        _subscriber = subscriber;
    }

    public Subscriber Subscriber => _subscriber;

    public static async Task<PollingConnection> ConnectAsync(HttpClient http, Uri server, string token, Subscriber subscriber, CancellationToken cancellationToken)
    {
        var open = await http.GetStringAsync(new Uri(server, "/socket.io/?EIO=4&transport=polling"), cancellationToken);
        var at = open.IndexOf("\"sid\":\"", StringComparison.Ordinal);
        if (!open.StartsWith('0') || at < 0)
        {
            throw new InvalidOperationException("no Engine.IO open packet: " + open);
        }
        var sid = open[(at + 7)..open.IndexOf('"', at + 7)];
        var connection = new PollingConnection(http, new Uri(server, "/socket.io/?EIO=4&transport=polling&sid=" + Uri.EscapeDataString(sid)).ToString(), subscriber);
        await connection.PostAsync("40{\"token\":\"" + token + "\"}", cancellationToken);
        var connected = false;
        while (!connected)
        {
            var length = await connection.PollAsync(cancellationToken);
            foreach (var packet in Split(connection._buffer.AsMemory(0, length)))
            {
                var text = Encoding.UTF8.GetString(packet.Span);
                if (text == "2")
                {
                    await connection.PostAsync("3", cancellationToken);
                }
                else if (text.StartsWith("40", StringComparison.Ordinal))
                {
                    connected = true;
                }
                else if (text.StartsWith("44", StringComparison.Ordinal) || text == "1")
                {
                    throw new InvalidOperationException("connect refused: " + text);
                }
            }
        }
        return connection;
    }

    public Task SubscribeAsync(string runId, long since, CancellationToken cancellationToken) =>
        PostAsync("421[\"subscribe\",{\"runId\":\"" + runId + "\",\"since\":" + since + "}]", cancellationToken);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!_closed && (!_subscriber.Done.IsCompleted || !_subscriber.Subscribed.IsCompleted))
            {
                var length = await PollAsync(cancellationToken);
                var ping = HandlePayload(length);
                if (ping)
                {
                    await PostAsync("3", cancellationToken);
                }
            }
            if (!_subscriber.Done.IsCompleted)
            {
                _subscriber.Fail("the session closed before the terminal status");
            }
            else if (!_closed)
            {
                // Close the session (Engine.IO close packet): left open with no GET pending, it would
                // hold the server's graceful shutdown until its timeout.
                await PostAsync("1", cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            _subscriber.Fail("timed out");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException)
        {
            _subscriber.Fail("polling failed: " + ex.Message);
        }
    }

    private bool HandlePayload(int length)
    {
        var ping = false;
        var payload = _buffer.AsSpan(0, length);
        while (!payload.IsEmpty)
        {
            var end = payload.IndexOf((byte)0x1E);
            var packet = end < 0 ? payload : payload[..end];
            switch (PacketScanner.Handle(packet, _subscriber, null, 0))
            {
                case PacketKind.Ping:
                    ping = true;
                    break;
                case PacketKind.Close:
                    _closed = true;
                    break;
            }
            payload = end < 0 ? default : payload[(end + 1)..];
        }
        return ping;
    }

    private static IEnumerable<ReadOnlyMemory<byte>> Split(ReadOnlyMemory<byte> payload)
    {
        while (!payload.IsEmpty)
        {
            var end = payload.Span.IndexOf((byte)0x1E);
            yield return end < 0 ? payload : payload[..end];
            payload = end < 0 ? default : payload[(end + 1)..];
        }
    }

    /// <summary>One GET; the body lands in <see cref="_buffer"/>; returns its length.</summary>
    private async Task<int> PollAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(_url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"poll answered {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var length = 0;
        while (true)
        {
            if (length == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
            var read = await body.ReadAsync(_buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                return length;
            }
            length += read;
        }
    }

    private async Task PostAsync(string text, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "UTF-8" };
        using var response = await _http.PostAsync(_url, content, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST answered {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }
}
