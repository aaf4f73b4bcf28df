using System.Text;
using System.Text.Json;

namespace RunsStream.Server.Runs;

/// <summary>The body of POST /runs: what to run and where.</summary>
internal sealed record RunRequest(string Command, string? WorkspaceId);

/// <summary>
/// Validates the body of POST /runs, <c>{"command": string, "workspaceId"?: string}</c>
/// (docs/api.md sections 3.1 and 3.8). Pure: a parsed body in, a request or a 400 out.
/// </summary>
internal static class RunRequestParser
{
    /// <summary>
    /// Linux's MAX_ARG_STRLEN (32 pages of 4 KiB) less the terminating NUL: execve refuses a
    /// longer single argument with E2BIG, so such a command would be accepted and then fail.
    /// </summary>
    public const int MaxCommandUtf8Bytes = 32 * 4096 - 1;

    public static RunRequest Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw RunsException.BadRequest("The body must be a JSON object {\"command\": string, \"workspaceId\"?: string}");
        }
        if (!body.TryGetProperty("command", out var commandElement) || commandElement.ValueKind != JsonValueKind.String
            || commandElement.GetString() is not { } command || string.IsNullOrWhiteSpace(command))
        {
            throw RunsException.BadRequest("'command' must be a non-empty string");
        }
        // The command becomes an argument of execve, a C string: the kernel would end it at the
        // first NUL, so the shell would run less than the run shows. Refuse rather than cut.
        if (command.IndexOf('\0') is var nul and >= 0)
        {
            throw RunsException.BadRequest($"'command' contains a NUL character (\\u0000) at index {nul}; a command line cannot carry one, the shell would run only the text before it");
        }
        if (command.Length > MaxCommandUtf8Bytes / 3 && Encoding.UTF8.GetByteCount(command) is var bytes and > MaxCommandUtf8Bytes)
        {
            throw RunsException.BadRequest($"'command' is {bytes} bytes of UTF-8; one argument of a process may be at most {MaxCommandUtf8Bytes} bytes");
        }

        string? workspaceId = null;
        if (body.TryGetProperty("workspaceId", out var workspace) && workspace.ValueKind != JsonValueKind.Null)
        {
            if (workspace.ValueKind != JsonValueKind.String)
            {
                throw RunsException.BadRequest("'workspaceId' must be a string");
            }
            workspaceId = workspace.GetString();
            if (!RunIds.IsValid(workspaceId))
            {
                // The same check RunsService.StartRun makes; made here too so that a NUL or a
                // path separator is refused before it is anywhere near a path.
                throw RunsException.BadRequest(RunIds.InvalidWorkspaceIdMessage);
            }
        }
        return new RunRequest(command, workspaceId);
    }
}
