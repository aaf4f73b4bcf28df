using RunsStream.Protocol.SocketIO;

namespace RunsStream.Server.Auth;

/// <summary>
/// Ends a socket when its token expires (issue 15): at exp (plus AUTH_CLOCK_SKEW) the socket
/// gets a <c>token-expired</c> event <c>{"message": "Token expired", "expiredAt": "..."}</c> and
/// is then disconnected by the server (client reason "io server disconnect"): a token checked
/// only at CONNECT would otherwise keep streaming for as long as the socket lives.
/// </summary>
internal static class TokenExpiry
{
    /// <summary>The event a socket gets just before the server disconnects it (docs/api.md section 2).</summary>
    public const string EventName = "token-expired";

    /// <summary>A timer that ends <paramref name="socket"/> at its token's expiry; null for a token that does not expire.</summary>
    public static ITimer? Start(SocketIOSocket socket, RunsPrincipal principal, TimeSpan skew, TimeProvider time)
    {
        if (principal.ExpiresAt is not { } expires)
        {
            return null;
        }
        var due = expires + skew - time.GetUtcNow();
        return time.CreateTimer(_ => End(socket, expires), null, due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private static void End(SocketIOSocket socket, DateTimeOffset expires)
    {
        if (!socket.Connected)
        {
            return;
        }
        // Sent before the DISCONNECT packet on the same session, so the client has the reason first.
        socket.Emit(EventName, new Dictionary<string, object?>
        {
            ["message"] = TokenValidator.ExpiredMessage,
            ["expiredAt"] = Runs.Timestamps.ToIso(expires),
        });
        socket.Disconnect();
    }
}
