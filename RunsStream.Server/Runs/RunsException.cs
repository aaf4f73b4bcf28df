namespace RunsStream.Server.Runs;

/// <summary>The error codes of docs/api.md section 4, one table with their HTTP status.</summary>
public enum RunsErrorCode
{
    /// <summary>400: the request or its input is malformed.</summary>
    BadRequest,

    /// <summary>401: no valid token.</summary>
    Unauthorized,

    /// <summary>403: the token lacks the scope, or the workspace, the request needs.</summary>
    Forbidden,

    /// <summary>404: no such run.</summary>
    NotFound,

    /// <summary>405.</summary>
    MethodNotAllowed,

    /// <summary>409: the run is in a state that refuses the request.</summary>
    Conflict,

    /// <summary>413: the body is over MAX_BODY_BYTES.</summary>
    PayloadTooLarge,

    /// <summary>410: the run was deleted by the retention policy.</summary>
    Gone,

    /// <summary>500: a failure inside the server.</summary>
    Internal,

    /// <summary>503: the run store cannot write now (a full disk); try again later.</summary>
    Unavailable,
}

internal static class RunsErrorCodes
{
    public static string ToWire(this RunsErrorCode code) => code switch
    {
        RunsErrorCode.BadRequest => "bad_request",
        RunsErrorCode.Unauthorized => "unauthorized",
        RunsErrorCode.Forbidden => "forbidden",
        RunsErrorCode.NotFound => "not_found",
        RunsErrorCode.MethodNotAllowed => "method_not_allowed",
        RunsErrorCode.Conflict => "conflict",
        RunsErrorCode.PayloadTooLarge => "payload_too_large",
        RunsErrorCode.Gone => "gone",
        RunsErrorCode.Unavailable => "unavailable",
        _ => "internal",
    };

    public static int HttpStatus(this RunsErrorCode code) => code switch
    {
        RunsErrorCode.BadRequest => 400,
        RunsErrorCode.Unauthorized => 401,
        RunsErrorCode.Forbidden => 403,
        RunsErrorCode.NotFound => 404,
        RunsErrorCode.MethodNotAllowed => 405,
        RunsErrorCode.Conflict => 409,
        RunsErrorCode.PayloadTooLarge => 413,
        RunsErrorCode.Gone => 410,
        RunsErrorCode.Unavailable => 503,
        _ => 500,
    };
}

/// <summary>A refused request of the runs domain; the message is shown to the client.</summary>
public sealed class RunsException(RunsErrorCode code, string message) : Exception(message)
{
    /// <summary>Which error (its wire code and HTTP status are in docs/api.md section 4).</summary>
    public RunsErrorCode Code { get; } = code;

    internal static RunsException BadRequest(string message) => new(RunsErrorCode.BadRequest, message);

    internal static RunsException NotFound(string runId) => new(RunsErrorCode.NotFound, $"Run '{runId}' not found");

    internal static RunsException Conflict(string message) => new(RunsErrorCode.Conflict, message);
}
