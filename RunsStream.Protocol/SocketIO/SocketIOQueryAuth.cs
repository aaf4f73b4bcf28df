using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace RunsStream.Protocol.SocketIO;

/// <summary>
/// A Socket.IO protocol v4 CONNECT names its namespace with the client's query appended
/// (<c>40/runs?token=abc,</c>: socket.io-client 2.x's Manager adds <c>?query</c> to the
/// namespace), where v5 carries an auth payload. As the reference server (<c>url.parse(nsp,
/// true)</c> for EIO=3), the query becomes the socket's auth object, so a handler reads the
/// same <see cref="SocketIOHandshake.GetAuthString"/> from either protocol.
/// </summary>
internal static class SocketIOQueryAuth
{
    /// <summary>The namespace without its query, and the query as a JSON object of strings ({} when none).</summary>
    public static (string Namespace, JsonElement Auth) Split(string namespaceWithQuery)
    {
        var question = namespaceWithQuery.IndexOf('?');
        if (question < 0)
        {
            return (namespaceWithQuery, Empty);
        }
        var query = QueryHelpers.ParseQuery(namespaceWithQuery[question..]);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            foreach (var (key, values) in query)
            {
                // A repeated key is an array in Node's querystring; the first value is enough here.
                json.WriteString(key, values.Count > 0 ? values[0] : "");
            }
            json.WriteEndObject();
        }
        return (namespaceWithQuery[..question], JsonDocument.Parse(stream.ToArray()).RootElement.Clone());
    }

    private static readonly JsonElement Empty = JsonDocument.Parse("{}").RootElement.Clone();
}
