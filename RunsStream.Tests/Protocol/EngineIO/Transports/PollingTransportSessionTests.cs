using System.Text;
using Microsoft.AspNetCore.Http;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.EngineIO.Parser;
using RunsStream.Protocol.EngineIO.Transports;

namespace RunsStream.Tests.Protocol.EngineIO.Transports;

/// <summary>
/// The polling transport driven through its narrow view of the session
/// (<see cref="ITransportSession"/>), on <see cref="DefaultHttpContext"/> and without a server:
/// what it reports to the session and what it answers, request by request.
/// </summary>
[TestFixture]
public sealed class PollingTransportSessionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private RecordingTransportSession _session = null!;
    private PollingTransport _transport = null!;

    [SetUp]
    public void CreateTransport()
    {
        _session = new RecordingTransportSession();
        _transport = new PollingTransport(_session);
    }

    [Test]
    public async Task A_post_delivers_its_packets_to_the_session_in_order_and_is_answered_ok()
    {
        var post = Post("4first\u001e4second\u001e2\u001ebAQID");

        await _transport.HandlePostAsync(post).WaitAsync(Timeout);

        Assert.That(_session.Events, Is.EqualTo(new[] { "packet Message first", "packet Message second", "packet Ping ", "packet Message binary 1,2,3" }));
        Assert.That(post.Response.StatusCode, Is.EqualTo(StatusCodes.Status200OK));
        Assert.That(Body(post), Is.EqualTo("ok"));
    }

    [Test]
    public async Task A_post_that_does_not_parse_is_reported_as_malformed_and_refused()
    {
        var post = Post("4ok\u001e9nonsense");

        await _transport.HandlePostAsync(post).WaitAsync(Timeout);

        Assert.That(_session.Events, Has.Count.EqualTo(1));
        Assert.That(_session.Events[0], Does.StartWith("malformed "));
        Assert.That(post.Response.StatusCode, Is.EqualTo(StatusCodes.Status400BadRequest));
    }

    [Test]
    public async Task A_post_over_the_session_max_payload_aborts_the_session_with_413()
    {
        _session = new RecordingTransportSession(new EngineIOOptions { MaxPayload = 8 });
        _transport = new PollingTransport(_session);
        var post = Post("4" + new string('x', 20));

        await _transport.HandlePostAsync(post).WaitAsync(Timeout);

        Assert.That(_session.Events, Is.EqualTo(new[] { "abort payload too large" }));
        Assert.That(post.Response.StatusCode, Is.EqualTo(StatusCodes.Status413PayloadTooLarge));
    }

    [Test]
    public async Task A_held_poll_is_answered_with_what_the_session_queues_next_in_order()
    {
        var get = Get();
        var poll = _transport.HandleGetAsync(get);
        Assert.That(poll.IsCompleted, Is.False, "held while the queue is empty");

        _session.Queue.TryEnqueue([EngineFrame.Message("a"u8), EngineFrame.Message("b"u8)]);
        await poll.WaitAsync(Timeout);

        Assert.That(Body(get), Is.EqualTo("4a\u001e4b"));
        Assert.That(_session.Events, Is.Empty);
    }

    [Test]
    public async Task A_second_poll_while_one_is_held_aborts_the_session_as_an_overlap()
    {
        var held = Get();
        var first = _transport.HandleGetAsync(held);
        var second = Get();

        await _transport.HandleGetAsync(second).WaitAsync(Timeout);

        Assert.That(second.Response.StatusCode, Is.EqualTo(StatusCodes.Status400BadRequest));
        Assert.That(_session.Events, Is.EqualTo(new[] { "abort overlapping poll from client" }));
        _session.IsFinalized = true; // as the real session does when it aborts
        _session.Queue.Signal();
        await first.WaitAsync(Timeout);
        Assert.That(Body(held), Is.EqualTo("1"), "the held poll learns of the close");
    }

    [Test]
    public async Task A_poll_the_client_abandons_reports_the_transport_closed()
    {
        using var abandon = new CancellationTokenSource();
        var get = Get();
        get.RequestAborted = abandon.Token;
        var poll = _transport.HandleGetAsync(get);

        abandon.Cancel();
        await poll.WaitAsync(Timeout);

        Assert.That(_session.Events, Is.EqualTo(new[] { "transport closed transport error" }));
    }

    [Test]
    public async Task A_closing_session_gets_its_queue_then_close_and_is_finalized()
    {
        _session.Queue.TryEnqueue(EngineFrame.Message("last"u8));
        _session.IsClosing = true;
        var get = Get();

        await _transport.HandleGetAsync(get).WaitAsync(Timeout);

        Assert.That(Body(get), Is.EqualTo("4last\u001e1"));
        Assert.That(_session.Events, Is.EqualTo(new[] { "finalize" }));
    }

    [Test]
    public async Task A_poll_of_a_session_released_for_an_upgrade_is_answered_at_once_with_noop()
    {
        _session.IsPollingReleased = true;
        var get = Get();

        await _transport.HandleGetAsync(get).WaitAsync(Timeout);

        Assert.That(Body(get), Is.EqualTo("6"));
    }

    private static DefaultHttpContext Get()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        context.Response.Body = new MemoryStream();
        return context;
    }

    private static DefaultHttpContext Post(string payload)
    {
        var context = new DefaultHttpContext();
        var body = Encoding.UTF8.GetBytes(payload);
        context.Request.Method = HttpMethods.Post;
        context.Request.Body = new MemoryStream(body);
        context.Request.ContentLength = body.Length;
        context.Response.Body = new MemoryStream();
        return context;
    }

    private static string Body(HttpContext context) => Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());

    /// <summary>A session that records what its transport reports, with state the test sets.</summary>
    private sealed class RecordingTransportSession(EngineIOOptions? options = null) : ITransportSession
    {
        private readonly List<string> _events = new();

        public IReadOnlyList<string> Events
        {
            get { lock (_events) return _events.ToArray(); }
        }

        public EngineIOOptions Options { get; } = options ?? new EngineIOOptions();

        public TimeProvider Time => TimeProvider.System;

        public int ProtocolVersion { get; init; } = 4;

        public OutboundQueue Queue { get; } = new(EngineIOOptions.DefaultMaxBufferedBytes);

        public bool IsClosing { get; set; }

        public bool IsFinalized { get; set; }

        public EngineFrame FinalPollFrame => EngineFrame.Close;

        public bool IsPollingReleased { get; set; }

        public void OnPacket(object transport, EnginePacket packet) => Record(packet.IsBinary
            ? $"packet {packet.Type} binary {string.Join(',', packet.Data.ToArray())}"
            : $"packet {packet.Type} {Encoding.UTF8.GetString(packet.Data.Span)}");

        public void OnTransportClosed(object transport, string reason) => Record("transport closed " + reason);

        public void OnMalformedPayload(string reason) => Record("malformed " + reason);

        public void Abort(string reason) => Record("abort " + reason);

        public void FinalizeClose() => Record("finalize");

        private void Record(string entry)
        {
            lock (_events)
            {
                _events.Add(entry);
            }
        }
    }
}
