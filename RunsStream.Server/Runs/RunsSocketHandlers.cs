using System.Text.Json;
using Microsoft.Extensions.Logging;
using RunsStream.Protocol.SocketIO;
using RunsStream.Server.Auth;
using RunsStream.Server.Runs.Execution;
using RunsStream.Server.Runs.Execution.Pty;

namespace RunsStream.Server.Runs;

/// <summary>
/// The runs stream on a Socket.IO namespace ("/" and "/runs"): token check on CONNECT,
/// subscription by handshake query or `subscribe`, `unsubscribe`, cleanup on disconnect. Each
/// event asks <see cref="RunAccess"/> with the socket's principal, made once at CONNECT.
/// </summary>
internal sealed class RunsSocketHandlers(RunsService runs, TokenValidator tokens, TimeProvider time, ILogger<RunsSocketHandlers> logger)
{

    public void Attach(SocketIONamespace ns)
    {
        ns.Use(Authenticate);
        ns.OnConnection(OnConnection);
    }

    /// <summary>
    /// docs/api.md section 2: the first non-empty of the auth payload's token, the handshake query
    /// token and the Authorization header is the one checked.
    /// </summary>
    private async ValueTask Authenticate(SocketIOSocket socket)
    {
        var handshake = socket.Handshake;
        var candidate = FirstNonEmpty(
            handshake.GetAuthString("token"),
            handshake.Query.GetValueOrDefault("token"),
            handshake.Headers.TryGetValue("Authorization", out var header) ? TokenValidator.FromBearer(header) : null);
        var result = await tokens.AuthenticateAsync(candidate);
        if (result.Principal is not { } principal)
        {
            // "Unauthorized" as before; an expired token says so, for the web terminal to ask for a new one.
            throw new ConnectionRefusedException(result.Error == TokenValidator.ExpiredMessage ? TokenValidator.ExpiredMessage : "Unauthorized");
        }
        if (TryGetQuerySubscription(socket, out var runId, out _, out var error))
        {
            if (!principal.Has(RunScopes.Read))
            {
                throw new ConnectionRefusedException(RunAccess.Refusal(RunScopes.Read));
            }
            if (!await RunAccess.MaySubscribeAsync(runs, principal, runId))
            {
                throw new ConnectionRefusedException(RunsException.NotFound(runId).Message);
            }
        }
        else if (error is not null)
        {
            throw new ConnectionRefusedException(error);
        }
        socket.Data[RunsPrincipal.ItemKey] = principal;
    }

    private static RunsPrincipal PrincipalOf(SocketIOSocket socket) =>
        socket.Data.TryGetValue(RunsPrincipal.ItemKey, out var principal) && principal is RunsPrincipal p ? p : throw new InvalidOperationException("A socket past CONNECT has a principal");

    /// <summary>The handshake query's runId and since, if present and valid.</summary>
    private static bool TryGetQuerySubscription(SocketIOSocket socket, out string runId, out long since, out string? error)
    {
        since = 0;
        error = null;
        var query = socket.Handshake.Query;
        if (!query.TryGetValue("runId", out runId!) || runId.Length == 0)
        {
            return false;
        }
        if (!RunIds.IsValid(runId))
        {
            error = "Invalid runId: it must match " + RunIds.Pattern;
            return false;
        }
        if (query.TryGetValue("since", out var sinceText) && sinceText.Length > 0 && (!long.TryParse(sinceText, out since) || since < 0))
        {
            error = "Invalid since: it must be a non-negative integer";
            return false;
        }
        return true;
    }

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrEmpty(v));

    private async ValueTask OnConnection(SocketIOSocket socket)
    {
        // This socket's subscriptions by run id, held by its handlers. The handlers are async
        // ones on purpose: a synchronous one is wrapped, a delegate and a closure more per socket.
        // They run one after another (a subscribe that reads a fleet's store may take a while).
        var subscriptions = new SocketSubscriptions();
        var sequence = new SocketEventSequence();
        var expiry = TokenExpiry.Start(socket, PrincipalOf(socket), tokens.Jwt?.ClockSkew ?? TimeSpan.Zero, time);

        socket.On("subscribe", e => sequence.Run(ev => OnSubscribeAsync(ev, subscriptions), e));
        socket.On("resize", e => sequence.Run(OnResizeAsync, e));
        socket.On("unsubscribe", e => sequence.Run(ev =>
        {
            ev.Ack(Unsubscribe(subscriptions, ev.Args.Count > 0 ? ev.Args[0] : default));
            return ValueTask.CompletedTask;
        }, e));
        socket.OnDisconnect(_ =>
        {
            expiry?.Dispose();
            foreach (var subscription in subscriptions.RemoveAll())
            {
                subscription.Stop();
                runs.ReleaseIfUnused(subscription.Run);
            }
        });

        // docs/api.md section 6: the handshake query runId (with since) subscribes on connect.
        // The socket's events wait until this is done (they are dispatched once it returns).
        if (TryGetQuerySubscription(socket, out var runId, out var since, out _))
        {
            (await SubscribeAsync(socket, subscriptions, runId, since))?.Start();
        }
    }

    private async ValueTask OnSubscribeAsync(SocketIOEvent e, SocketSubscriptions subscriptions)
    {
        var (answer, subscription) = await SubscribeAsync(e.Socket, subscriptions, e.Args.Count > 0 ? e.Args[0] : default);
        // The ack goes out before the replay starts, so the client has it before any event.
        e.Ack(answer);
        subscription?.Start();
    }

    private async ValueTask OnResizeAsync(SocketIOEvent e) =>
        e.Ack(await ResizeAsync(PrincipalOf(e.Socket), e.Args.Count > 0 ? e.Args[0] : default));

    /// <summary>
    /// The payload's valid run id. A string whose \u escapes leave a surrogate unpaired makes
    /// GetString throw; it can be no run id, so it is refused like any other bad id.
    /// </summary>
    private static bool TryReadRunId(JsonElement payload, out string runId)
    {
        runId = "";
        if (!payload.TryGetProperty("runId", out var idElement) || idElement.ValueKind != JsonValueKind.String)
        {
            return false;
        }
        try
        {
            runId = idElement.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        return RunIds.IsValid(runId);
    }

    private async ValueTask<(object Answer, RunSubscription? Subscription)> SubscribeAsync(SocketIOSocket socket, SocketSubscriptions subscriptions, JsonElement payload)
    {
        if (payload.ValueKind != JsonValueKind.Object)
        {
            return (Refusal("subscribe expects an object {\"runId\": string, \"since\"?: number}"), null);
        }
        if (!TryReadRunId(payload, out var runId))
        {
            return (Refusal("runId must match " + RunIds.Pattern), null);
        }
        long since = 0;
        if (payload.TryGetProperty("since", out var sinceElement) && sinceElement.ValueKind != JsonValueKind.Null
            && (sinceElement.ValueKind != JsonValueKind.Number || !sinceElement.TryGetInt64(out since) || since < 0))
        {
            return (Refusal("since must be a non-negative integer"), null);
        }
        var principal = PrincipalOf(socket);
        if (!principal.Has(RunScopes.Read))
        {
            return (Refusal(RunAccess.Refusal(RunScopes.Read)), null);
        }
        if (!await RunAccess.MaySubscribeAsync(runs, principal, runId))
        {
            // Word for word what an unknown id gets: nothing tells that the run exists elsewhere.
            return (Refusal(RunsException.NotFound(runId).Message), null);
        }
        if (await SubscribeAsync(socket, subscriptions, runId, since) is not { } subscription)
        {
            return (Refusal("The socket has disconnected"), null); // nobody to hear it
        }
        return (new Dictionary<string, object?> { ["ok"] = true, ["runId"] = runId, ["status"] = subscription.Run.Status?.ToWire() }, subscription);
    }

    /// <summary>
    /// Replaces any subscription of the socket to the run; the caller starts it. Null when the
    /// socket disconnected while the run was looked up.
    /// </summary>
    private async ValueTask<RunSubscription?> SubscribeAsync(SocketIOSocket socket, SocketSubscriptions subscriptions, string runId, long since)
    {
        var run = await runs.GetForSubscriptionAsync(runId);
        var subscription = new RunSubscription(socket, run, since, logger);
        if (!subscriptions.TryReplace(subscription, out var replaced))
        {
            runs.ReleaseIfUnused(run);
            return null;
        }
        replaced?.Stop(); // subscribing again replays again from the new since
        return subscription;
    }

    private object Unsubscribe(SocketSubscriptions subscriptions, JsonElement payload)
    {
        if (payload.ValueKind != JsonValueKind.Object || !TryReadRunId(payload, out var runId))
        {
            return Refusal("unsubscribe expects an object {\"runId\": string} with a valid run id");
        }
        if (subscriptions.Remove(runId) is { } subscription)
        {
            subscription.Stop();
            runs.ReleaseIfUnused(subscription.Run);
        }
        return new Dictionary<string, object?> { ["ok"] = true };
    }

    private async ValueTask<object> ResizeAsync(RunsPrincipal principal, JsonElement payload)
    {
        const string Shape = "resize expects an object {\"runId\": string, \"cols\": number, \"rows\": number}";
        if (payload.ValueKind != JsonValueKind.Object || !TryReadRunId(payload, out var runId))
        {
            return Refusal(Shape + " with a valid run id");
        }
        if (!payload.TryGetProperty("cols", out var colsElement) || !TryGetInt(colsElement, out var cols)
            || !payload.TryGetProperty("rows", out var rowsElement) || !TryGetInt(rowsElement, out var rows))
        {
            return Refusal(Shape);
        }
        if (!PtySize.TryCreate(cols, rows, out _, out var error))
        {
            return Refusal(error!);
        }
        if (!principal.Has(RunScopes.Write))
        {
            return Refusal(RunAccess.Refusal(RunScopes.Write));
        }
        if (await runs.FindAsync(runId) is not { } run || !principal.Sees(run.WorkspaceId))
        {
            return Refusal(RunsException.NotFound(runId).Message);
        }
        return runs.Resize(run, new TerminalSize(cols, rows)) is { } refused ? Refusal(refused) : new Dictionary<string, object?> { ["ok"] = true };
    }

    private static bool TryGetInt(JsonElement element, out int value)
    {
        value = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out value);
    }

    private static Dictionary<string, object?> Refusal(string error) => new() { ["ok"] = false, ["error"] = error };
}
