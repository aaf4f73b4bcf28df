using System.Text.Json;
using System.Text.RegularExpressions;

namespace RunsStream.Tests.Support;

/// <summary>
/// Socket.IO v5 over a raw Engine.IO WebSocket: sends CONNECT by hand and reads the answers as
/// text, so tests can compare packets character for character.
/// </summary>
public static partial class RawSocketIOClient
{
    /// <summary>Opens an Engine.IO WebSocket session on /socket.io/ without joining a namespace.</summary>
    public static Task<RawWebSocketClient> OpenAsync(TestServer server, bool autoPong = true) =>
        RawWebSocketClient.OpenEngineAsync(server, "/socket.io/", autoPong);

    /// <summary>
    /// Sends CONNECT for <paramref name="ns"/> (with <paramref name="authJson"/>), checks the
    /// CONNECT answer and returns the socket id. The hosts' "auth" event that follows is left unread.
    /// </summary>
    public static async Task<string> ConnectAsync(RawWebSocketClient client, string ns = "/", string? authJson = null)
    {
        var prefix = ns == "/" ? "40" : $"40{ns},";
        await client.SendTextAsync(prefix + authJson);
        var answer = await client.ReceiveTextAsync();
        var match = ConnectAnswer().Match(answer);
        if (!answer.StartsWith(prefix + "{", StringComparison.Ordinal) || !match.Success)
        {
            throw new InvalidOperationException($"Expected the CONNECT answer for {ns}, got {answer}");
        }
        return JsonDocument.Parse(answer[prefix.Length..]).RootElement.GetProperty("sid").GetString()!;
    }

    /// <summary>Opens a session, joins <paramref name="ns"/> and reads the hosts' "auth" event.</summary>
    public static async Task<(RawWebSocketClient Client, string SocketId)> OpenAndConnectAsync(TestServer server, string ns = "/")
    {
        var client = await OpenAsync(server);
        try
        {
            var id = await ConnectAsync(client, ns);
            var auth = await client.ReceiveTextAsync();
            var expected = ns == "/" ? "42[\"auth\",{}]" : $"42{ns},[\"auth\",{{}}]";
            if (auth != expected)
            {
                throw new InvalidOperationException($"Expected {expected}, got {auth}");
            }
            return (client, id);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    [GeneratedRegex("\\{\"sid\":\"[A-Za-z0-9_-]{20}\"\\}$")]
    private static partial Regex ConnectAnswer();
}
