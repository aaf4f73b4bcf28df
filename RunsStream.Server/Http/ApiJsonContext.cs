using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using RunsStream.Server.Runs;

namespace RunsStream.Server.Http;

/// <summary>
/// Every body the server writes with System.Text.Json, as source-generated metadata: no
/// reflection at run time, so the server also runs as a Native AOT build (scripts/publish).
/// The shapes are docs/api.md's; the property names come out camelCase (web defaults).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ErrorEnvelope))]
[JsonSerializable(typeof(RunView))]
[JsonSerializable(typeof(RunView[]))]
[JsonSerializable(typeof(RunAnswer))]
[JsonSerializable(typeof(EventsAccepted))]
[JsonSerializable(typeof(RunConflict))]
[JsonSerializable(typeof(HealthOk))]
[JsonSerializable(typeof(HealthDegraded))]
[JsonSerializable(typeof(SignedIn))]
// The socket's acknowledgements: {"ok": true, "runId": "...", "status": "..."} and the like.
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(string))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;

internal static class ApiJson
{
    /// <summary>
    /// The REST API's settings: web defaults, and non-ASCII text as is (a command's output is
    /// mostly not HTML, and "\u00e9" for "é" helps nobody reading a run's record).
    /// </summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = ApiJsonContext.Default,
    };

    /// <summary>The metadata of <see cref="ApiJsonContext"/> bound to <see cref="Options"/>.</summary>
    public static readonly ApiJsonContext Context = new(new JsonSerializerOptions(Options));

    /// <summary>
    /// The settings of the Socket.IO server (its acknowledgements): the protocol's own
    /// (attachments, relaxed escaping), with this context's metadata instead of reflection.
    /// </summary>
    public static JsonSerializerOptions SocketOptions()
    {
        var options = new JsonSerializerOptions(Protocol.SocketIO.SocketIOJson.DefaultOptions) { TypeInfoResolver = ApiJsonContext.Default };
        options.MakeReadOnly();
        return options;
    }
}

/// <summary><c>{"error": {"code": "...", "message": "..."}}</c> (docs/api.md section 4).</summary>
internal sealed record ErrorEnvelope(ErrorBody Error);

internal sealed record ErrorBody(string Code, string Message);

/// <summary>201 of POST /runs and 200 of POST /runs/{runId}/cancel: <c>{"runId", "status"}</c>.</summary>
internal sealed record RunAnswer(string RunId, string Status);

/// <summary>202 of POST /runs/{runId}/events.</summary>
internal sealed record EventsAccepted(string RunId, int Accepted);

/// <summary>409: the run's status beside the error (docs/api.md section 3).</summary>
internal sealed record RunConflict(string RunId, string Status, ErrorBody Error);

/// <summary>GET /healthz while the store writes.</summary>
internal sealed record HealthOk(string Status);

/// <summary>GET /healthz while the store cannot write (still 200: reads and streams work).</summary>
internal sealed record HealthDegraded(string Status, string Reason, string? Since, int FailedWrites);

/// <summary>GET /auth/me: who the token names and what it opens (docs/api.md section 2.1).</summary>
internal sealed record SignedIn(string User, string[] Workspaces, string[] Scopes, string? ExpiresAt);
