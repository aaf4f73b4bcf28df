namespace RunsStream.Server.Runs;

/// <summary>The error codes of docs/api.md section 4, one table with their HTTP status.</summary>
public enum RunsErrorCode
{
    BadRequest,
    Unauthorized,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    Gone,
    Internal,

    /// <summary>The run store cannot write now (a full disk); try again later.</summary>
    Unavailable,
}

public static class RunsErrorCodes
{
    public static string ToWire(this RunsErrorCode code) => code switch
    {
        RunsErrorCode.BadRequest => "bad_request",
        RunsErrorCode.Unauthorized => "unauthorized",
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
    public RunsErrorCode Code { get; } = code;

    public static RunsException BadRequest(string message) => new(RunsErrorCode.BadRequest, message);

    public static RunsException NotFound(string runId) => new(RunsErrorCode.NotFound, $"Run '{runId}' not found");

    public static RunsException Conflict(string message) => new(RunsErrorCode.Conflict, message);
}
