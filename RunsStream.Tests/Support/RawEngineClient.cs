using System.Net;
using System.Text;
using System.Text.Json;

namespace RunsStream.Tests.Support;

/// <summary>
/// An Engine.IO v4 HTTP long-polling client driven packet by packet: the test decides every GET
/// and POST. With <see cref="AutoPong"/> a PING found in a poll is answered at once and left
/// out of the result, so tests against short heartbeats see only what they asked for.
/// </summary>
public sealed class RawEngineClient : IDisposable
{
    public const char Separator = '\x1e';
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly HttpClient _http;
    private readonly string _path;
    private readonly SemaphoreSlim _postLock = new(1, 1);
    private int _pingsAnswered;

    private RawEngineClient(Uri baseUri, string path)
    {
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = baseUri,
            Timeout = TimeSpan.FromSeconds(60),
        };
        _path = path;
    }

    /// <summary>The session id from the OPEN packet.</summary>
    public string Sid { get; private set; } = "";

    /// <summary>The OPEN packet's JSON as received.</summary>
    public string OpenJson { get; private set; } = "";

    public JsonElement Open => JsonDocument.Parse(OpenJson).RootElement;

    public bool AutoPong { get; set; } = true;

    public int PingsAnswered => Volatile.Read(ref _pingsAnswered);

    public HttpClient Http => _http;

    /// <summary>The query string of this session's polling requests.</summary>
    public string SessionUrl => $"{_path}?EIO=4&transport=polling&sid={Uri.EscapeDataString(Sid)}";

    /// <summary>Performs the polling handshake (GET without sid) and reads the OPEN packet.</summary>
    public static async Task<RawEngineClient> OpenAsync(Uri baseUri, string path = "/engine.io/", bool autoPong = true)
    {
        var client = new RawEngineClient(baseUri, path) { AutoPong = autoPong };
        try
        {
            using var response = await client._http.GetAsync($"{path}?EIO=4&transport=polling").WaitAsync(Timeout);
            var body = await response.Content.ReadAsStringAsync().WaitAsync(Timeout);
            if (response.StatusCode != HttpStatusCode.OK || !body.StartsWith('0'))
            {
                throw new InvalidOperationException($"Handshake failed: {(int)response.StatusCode} {body}");
            }
            client.OpenJson = body[1..];
            client.Sid = client.Open.GetProperty("sid").GetString()!;
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public static string[] SplitPayload(string body) => body.Split(Separator);

    /// <summary>One GET on the session, as is.</summary>
    public async Task<HttpResponseMessage> GetAsync(CancellationToken cancellationToken = default) =>
        await _http.GetAsync(SessionUrl, HttpCompletionOption.ResponseContentRead, cancellationToken).WaitAsync(Timeout);

    /// <summary>One GET that must succeed; returns the body.</summary>
    public async Task<string> GetBodyAsync()
    {
        using var response = await GetAsync();
        var body = await response.Content.ReadAsStringAsync().WaitAsync(Timeout);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"Poll failed: {(int)response.StatusCode} {body}");
        }
        return body;
    }

    /// <summary>One poll; its packets minus answered pings. May be empty when the poll carried only pings.</summary>
    public async Task<List<string>> PollAsync()
    {
        var packets = new List<string>();
        foreach (var packet in SplitPayload(await GetBodyAsync()))
        {
            if (AutoPong && packet == "2")
            {
                await PostAsync("3");
                Interlocked.Increment(ref _pingsAnswered);
                continue;
            }
            packets.Add(packet);
        }
        return packets;
    }

    /// <summary>Polls until at least <paramref name="count"/> packets (pings aside) have arrived.</summary>
    public async Task<List<string>> ReceiveAsync(int count)
    {
        var deadline = DateTime.UtcNow + Timeout;
        var packets = new List<string>();
        while (packets.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Received {packets.Count} of {count} packets: {string.Join(" | ", packets)}");
            }
            packets.AddRange(await PollAsync());
        }
        return packets;
    }

    public async Task<string> ReceiveOneAsync()
    {
        var packets = await ReceiveAsync(1);
        if (packets.Count != 1)
        {
            throw new InvalidOperationException("Expected one packet, got: " + string.Join(" | ", packets));
        }
        return packets[0];
    }

    /// <summary>One POST carrying <paramref name="payload"/>, as is. POSTs of this client never overlap.</summary>
    public async Task<HttpResponseMessage> PostRawAsync(HttpContent payload, CancellationToken cancellationToken = default)
    {
        await _postLock.WaitAsync(cancellationToken).WaitAsync(Timeout);
        try
        {
            return await _http.PostAsync(SessionUrl, payload, cancellationToken).WaitAsync(Timeout);
        }
        finally
        {
            _postLock.Release();
        }
    }

    public Task<HttpResponseMessage> PostRawAsync(string payload) =>
        PostRawAsync(new ByteArrayContent(Encoding.UTF8.GetBytes(payload)) { Headers = { { "Content-Type", "text/plain;charset=UTF-8" } } });

    /// <summary>A POST that must be answered 200 "ok".</summary>
    public async Task PostAsync(string payload)
    {
        using var response = await PostRawAsync(payload);
        var body = await response.Content.ReadAsStringAsync().WaitAsync(Timeout);
        if (response.StatusCode != HttpStatusCode.OK || body != "ok")
        {
            throw new InvalidOperationException($"POST {payload} failed: {(int)response.StatusCode} {body}");
        }
    }

    /// <summary>True when a GET on the session is refused as unknown (HTTP 400, code 1).</summary>
    public async Task<bool> IsSessionGoneAsync()
    {
        using var response = await _http.GetAsync(SessionUrl).WaitAsync(Timeout);
        var body = await response.Content.ReadAsStringAsync().WaitAsync(Timeout);
        return response.StatusCode == HttpStatusCode.BadRequest && body == "{\"code\":1,\"message\":\"Session ID unknown\"}";
    }

    /// <summary>Polls (answering pings) until the server ends the session: a CLOSE packet or an unknown-sid answer.</summary>
    public async Task WaitForSessionEndAsync()
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await GetAsync();
            var body = await response.Content.ReadAsStringAsync().WaitAsync(Timeout);
            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                return;
            }
            foreach (var packet in SplitPayload(body))
            {
                if (packet == "1")
                {
                    return;
                }
                if (packet == "2" && AutoPong)
                {
                    using var _ = await PostRawAsync("3");
                }
            }
        }
        throw new TimeoutException("The session did not end.");
    }

    public void Dispose()
    {
        _http.Dispose();
        _postLock.Dispose();
    }
}
