using System.Diagnostics.Metrics;
using RunsStream.Protocol.Diagnostics;
using RunsStream.Protocol.SocketIO;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.Diagnostics;

/// <summary>
/// The protocol's instruments (ProtocolMetrics), read with a MeterListener on one server's
/// meter: connects per namespace, connections by transport, packets and bytes sent, and
/// disconnects with their reason, the slow consumer's included.
/// </summary>
[NonParallelizable]
public sealed class ProtocolMetricsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private const int Limit = 64 * 1024;

    private RawHost _host = null!;
    private readonly List<IAsyncDisposable> _clients = new();

    [SetUp]
    public async Task StartServer() => _host = await RawHost.StartRelaxedAsync(options => options with
    {
        Engine = options.Engine with { MaxBufferedBytes = Limit, MaxPayload = Limit },
    });

    [TearDown]
    public async Task StopServer()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
        _clients.Clear();
        await _host.DisposeAsync();
    }

    [Test]
    public async Task Connects_packets_and_bytes_sent_are_counted_per_recipient()
    {
        using var metrics = new Readings(_host.IO);
        var (first, firstId) = await RawSocketIOClient.OpenAndConnectAsync(_host.Server);
        _clients.Add(first);
        var (second, _) = await RawSocketIOClient.OpenAndConnectAsync(_host.Server);
        _clients.Add(second);
        Assert.That(metrics.Sum("runsstream_socketio_connects_total", "namespace", "/"), Is.EqualTo(2));

        var before = (Events: metrics.Sum("runsstream_socketio_events_sent_total"), Bytes: metrics.Sum("runsstream_socketio_sent_bytes_total"));
        var packet = SocketIOEncodedPacket.Event("/", "data", ["0123456789"]);
        var size = packet.Frames.Sum(f => (long)f.Size);
        Assert.That(_host.IO.Root.Emit("data", "0123456789"), Is.EqualTo(2));
        Assert.That(_host.IO.Root.TryGetSocket(firstId, out var socket), Is.True);
        Assert.That(socket.Send(packet), Is.True);

        Assert.That(metrics.Sum("runsstream_socketio_events_sent_total") - before.Events, Is.EqualTo(3), "two for the broadcast, one for the send");
        Assert.That(metrics.Sum("runsstream_socketio_sent_bytes_total") - before.Bytes, Is.EqualTo(3 * size));
    }

    [Test]
    public async Task Connections_are_reported_by_namespace_and_transport()
    {
        using var metrics = new Readings(_host.IO);
        var (ws, _) = await RawSocketIOClient.OpenAndConnectAsync(_host.Server);
        _clients.Add(ws);
        using var polling = await RawEngineClient.OpenAsync(_host.BaseUri, "/socket.io/");
        Assert.That((await polling.PostRawAsync("40")).IsSuccessStatusCode, Is.True);
        await RawEventually.WaitUntilAsync(() => _host.IO.Root.Sockets.Count == 2, "both clients joined /", Timeout);

        Assert.That(metrics.Last("runsstream_socketio_connections", ("namespace", "/"), ("transport", "websocket")), Is.EqualTo(1));
        Assert.That(metrics.Last("runsstream_socketio_connections", ("namespace", "/"), ("transport", "polling")), Is.EqualTo(1));
    }

    [Test]
    public async Task A_slow_consumer_is_counted_as_a_disconnect_with_its_reason()
    {
        using var metrics = new Readings(_host.IO);
        var slow = await RawTcpWebSocket.ConnectAsync(_host.BaseUri, "/socket.io/?EIO=4&transport=websocket", receiveBufferSize: 4096);
        _clients.Add(slow);
        Assert.That(await slow.ReadTextAsync(), Does.StartWith("0{"));
        await slow.SendTextAsync("40");
        var answer = await slow.ReadTextAsync();
        Assert.That(_host.IO.Root.TryGetSocket(answer[10..^2], out var socket), Is.True);
        var dropped = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.OnDisconnect(reason => dropped.TrySetResult(reason));

        var payload = new string('x', 8 * 1024);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!dropped.Task.IsCompleted && DateTime.UtcNow < deadline)
        {
            _host.IO.Root.Emit("data", payload);
            await Task.Yield();
        }
        Assert.That(await dropped.Task.WaitAsync(Timeout), Does.Contain("slow consumer"));

        await RawEventually.WaitUntilAsync(
            () => metrics.Sum("runsstream_engineio_disconnects_total", "reason", "slow consumer: outbound buffer full") == 1,
            "one disconnect counted with the slow consumer's reason", Timeout);
        Assert.That(metrics.Sum("runsstream_engineio_disconnects_total"), Is.EqualTo(1), "no other disconnect");
    }

    /// <summary>What the instruments of one server's meter reported (observable ones on demand).</summary>
    private sealed class Readings : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Name, long Value, KeyValuePair<string, object?>[] Tags)> _seen = new();

        public Readings(SocketIOServer server)
        {
            var meter = server.Metrics.Meter;
            Assert.That(meter.Name, Is.EqualTo(ProtocolMetrics.MeterName));
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                lock (_seen)
                {
                    _seen.Add((instrument.Name, value, tags.ToArray()));
                }
            });
            _listener.Start();
        }

        /// <summary>Counters: the sum of what was added (observable ones: their current value).</summary>
        public long Sum(string name, string? tag = null, string? value = null)
        {
            var observed = Observe(name);
            return observed.Where(m => tag is null || m.Tags.Any(t => t.Key == tag && Equals(t.Value, value))).Sum(m => m.Value);
        }

        /// <summary>An observable gauge's value for exactly these tags.</summary>
        public long Last(string name, params (string Key, string Value)[] tags) =>
            Observe(name).Where(m => tags.All(t => m.Tags.Any(x => x.Key == t.Key && Equals(x.Value, t.Value)))).Select(m => m.Value).LastOrDefault();

        private List<(string Name, long Value, KeyValuePair<string, object?>[] Tags)> Observe(string name)
        {
            lock (_seen)
            {
                _seen.RemoveAll(m => m.Name == name && IsObservable(name));
            }
            _listener.RecordObservableInstruments();
            lock (_seen)
            {
                return _seen.Where(m => m.Name == name).ToList();
            }
        }

        // Every instrument of the protocol is observed when read.
        private static bool IsObservable(string name) => name.StartsWith("runsstream_", StringComparison.Ordinal);

        public void Dispose() => _listener.Dispose();
    }
}
