using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RunsStream.Server.Runs;

/// <summary>The body of POST /runs: what to run (one command, or the stages of a pipeline), where and how.</summary>
/// <param name="Command">The command; null when <paramref name="Stages"/> is given.</param>
/// <param name="Executor">The executor's name; null for the default ("process").</param>
/// <param name="Stages">A pipeline's stages in order; null when <paramref name="Command"/> is given.</param>
/// <param name="Tty">A terminal of this size instead of pipes (<c>"tty": true</c>, optional <c>cols</c>, <c>rows</c>); null for pipes.</param>
internal sealed record RunRequest(string? Command, string? WorkspaceId, string? Executor = null, IReadOnlyList<StageRequest>? Stages = null, Execution.TerminalSize? Tty = null);

/// <summary>One stage of a pipeline as POST /runs gives it.</summary>
internal sealed record StageRequest(string Name, string Command);

/// <summary>
/// Validates the body of POST /runs, <c>{"command": string, "workspaceId"?: string,
/// "executor"?: string}</c> or the same with <c>"stages": [{"name", "command"}]</c> instead of
/// <c>command</c> (docs/api.md sections 3.1 and 3.8). Pure: a parsed body in, a request or a 400 out.
/// </summary>
internal static partial class RunRequestParser
{
    /// <summary>
    /// Linux's MAX_ARG_STRLEN (32 pages of 4 KiB) less the terminating NUL: execve refuses a
    /// longer single argument with E2BIG, so such a command would be accepted and then fail.
    /// </summary>
    public const int MaxCommandUtf8Bytes = 32 * 4096 - 1;

    /// <summary>How many stages a pipeline may have.</summary>
    public const int MaxStages = 50;

    /// <summary>How long a stage's name may be, in characters.</summary>
    public const int MaxStageNameLength = 100;

    public static RunRequest Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw RunsException.BadRequest("The body must be a JSON object {\"command\": string, \"workspaceId\"?: string}");
        }
        var hasCommand = body.TryGetProperty("command", out var commandElement) && commandElement.ValueKind != JsonValueKind.Null;
        var hasStages = body.TryGetProperty("stages", out var stagesElement) && stagesElement.ValueKind != JsonValueKind.Null;
        if (hasCommand && hasStages)
        {
            throw RunsException.BadRequest("Give either 'command' or 'stages', not both");
        }
        string? command = null;
        IReadOnlyList<StageRequest>? stages = null;
        if (hasStages)
        {
            stages = ParseStages(stagesElement);
        }
        else
        {
            command = ParseCommand(commandElement, "command");
        }
        return new RunRequest(command, ParseWorkspaceId(body), ParseExecutor(body), stages, ParseTty(body));
    }

    private static string ParseCommand(JsonElement element, string field)
    {
        if (element.ValueKind != JsonValueKind.String || element.GetString() is not { } command || string.IsNullOrWhiteSpace(command))
        {
            throw RunsException.BadRequest($"'{field}' must be a non-empty string");
        }
        // The command becomes an argument of execve, a C string: the kernel would end it at the
        // first NUL, so the shell would run less than the run shows. Refuse rather than cut.
        if (command.IndexOf('\0') is var nul and >= 0)
        {
            throw RunsException.BadRequest($"'{field}' contains a NUL character (\\u0000) at index {nul}; a command line cannot carry one, the shell would run only the text before it");
        }
        if (command.Length > MaxCommandUtf8Bytes / 3 && Encoding.UTF8.GetByteCount(command) is var bytes and > MaxCommandUtf8Bytes)
        {
            throw RunsException.BadRequest($"'{field}' is {bytes} bytes of UTF-8; one argument of a process may be at most {MaxCommandUtf8Bytes} bytes");
        }
        return command;
    }

    private static List<StageRequest> ParseStages(JsonElement element)
    {
        const string Shape = "'stages' must be an array of {\"name\": string, \"command\": string}";
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw RunsException.BadRequest(Shape);
        }
        var count = element.GetArrayLength();
        if (count is 0 or > MaxStages)
        {
            throw RunsException.BadRequest($"'stages' must have from 1 to {MaxStages} stages; it has {count}");
        }
        var stages = new List<StageRequest>(count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in element.EnumerateArray())
        {
            var at = $"stages[{stages.Count}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw RunsException.BadRequest($"{at} must be an object {{\"name\": string, \"command\": string}}");
            }
            if (!item.TryGetProperty("name", out var nameElement) || nameElement.ValueKind != JsonValueKind.String
                || nameElement.GetString() is not { } name || string.IsNullOrWhiteSpace(name))
            {
                throw RunsException.BadRequest($"'{at}.name' must be a non-empty string");
            }
            if (name.Length > MaxStageNameLength)
            {
                throw RunsException.BadRequest($"'{at}.name' is longer than {MaxStageNameLength} characters");
            }
            if (name.Any(char.IsControl))
            {
                throw RunsException.BadRequest($"'{at}.name' must not contain control characters");
            }
            if (!names.Add(name))
            {
                throw RunsException.BadRequest($"'{at}.name' repeats the stage name \"{name}\"; stage names must be unique");
            }
            item.TryGetProperty("command", out var commandElement);
            stages.Add(new StageRequest(name, ParseCommand(commandElement, at + ".command")));
        }
        return stages;
    }

    private static string? ParseWorkspaceId(JsonElement body)
    {
        if (!body.TryGetProperty("workspaceId", out var workspace) || workspace.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (workspace.ValueKind != JsonValueKind.String)
        {
            throw RunsException.BadRequest("'workspaceId' must be a string");
        }
        var workspaceId = workspace.GetString();
        if (!RunIds.IsValid(workspaceId))
        {
            // The same check RunsService.StartRun makes; made here too so that a NUL or a
            // path separator is refused before it is anywhere near a path.
            throw RunsException.BadRequest(RunIds.InvalidWorkspaceIdMessage);
        }
        return workspaceId;
    }

    private static string? ParseExecutor(JsonElement body)
    {
        if (!body.TryGetProperty("executor", out var executor) || executor.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        // Checked for shape here so that the "unknown executor" message only ever echoes a
        // short plain name, never arbitrary client text.
        if (executor.ValueKind != JsonValueKind.String || executor.GetString() is not { } name || !ExecutorName().IsMatch(name))
        {
            throw RunsException.BadRequest("'executor' must be an executor's name such as \"process\" (lowercase letters, digits and '-', at most 32)");
        }
        return name;
    }

    private static Execution.TerminalSize? ParseTty(JsonElement body)
    {
        var tty = body.TryGetProperty("tty", out var ttyElement) ? ttyElement : default;
        if (tty.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.True or JsonValueKind.False))
        {
            throw RunsException.BadRequest("'tty' must be true or false");
        }
        var cols = ParseSize(body, "cols");
        var rows = ParseSize(body, "rows");
        if (tty.ValueKind != JsonValueKind.True)
        {
            if (cols is not null || rows is not null)
            {
                throw RunsException.BadRequest("'cols' and 'rows' size a terminal: give them with \"tty\": true");
            }
            return null;
        }
        if (!Execution.Pty.PtySize.TryCreate(cols, rows, out var size, out var error))
        {
            throw RunsException.BadRequest(error!);
        }
        return new Execution.TerminalSize(size.Columns, size.Rows);
    }

    private static int? ParseSize(JsonElement body, string field)
    {
        if (!body.TryGetProperty(field, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out var value))
        {
            throw RunsException.BadRequest($"'{field}' must be an integer from {Execution.Pty.PtySize.Min} to {Execution.Pty.PtySize.Max}");
        }
        return value;
    }

    [GeneratedRegex(@"^[a-z][a-z0-9-]{0,31}\z")]
    private static partial Regex ExecutorName();
}
