using System.Text.Json;

namespace RunsStream.Server.Runs;

/// <summary>Validates the body of POST /runs/{runId}/events: an array of {type, data, status?, reason?, exitCode?}.</summary>
internal static class PublishedEventParser
{
    public const int MaxEvents = 10_000;

    public static IReadOnlyList<PublishedEvent> Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Array)
        {
            throw RunsException.BadRequest("The body must be a JSON array of events [{\"type\", \"data\", ...}]");
        }
        if (body.GetArrayLength() == 0)
        {
            // An empty batch would create nothing and append nothing: say so rather than 202.
            throw RunsException.BadRequest("The batch is empty: send at least one event");
        }
        if (body.GetArrayLength() > MaxEvents)
        {
            throw RunsException.BadRequest($"At most {MaxEvents} events per request");
        }
        var events = new List<PublishedEvent>();
        var index = 0;
        foreach (var item in body.EnumerateArray())
        {
            events.Add(ParseOne(item, index++));
        }
        return events;
    }

    private static PublishedEvent ParseOne(JsonElement item, int index)
    {
        string Where() => $"events[{index}]";
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw RunsException.BadRequest($"{Where()} must be an object");
        }
        if (!item.TryGetProperty("type", out var typeElement) || !RunEventTypes.TryParse(typeElement.ValueKind == JsonValueKind.String ? typeElement.GetString() : null, out var type))
        {
            throw RunsException.BadRequest($"{Where()}.type must be stdout, stderr or status");
        }
        string? data = null;
        if (item.TryGetProperty("data", out var dataElement) && dataElement.ValueKind != JsonValueKind.Null)
        {
            if (dataElement.ValueKind != JsonValueKind.String)
            {
                throw RunsException.BadRequest($"{Where()}.data must be a string");
            }
            data = dataElement.GetString();
        }
        string? reason = null;
        if (item.TryGetProperty("reason", out var reasonElement) && reasonElement.ValueKind != JsonValueKind.Null)
        {
            if (reasonElement.ValueKind != JsonValueKind.String)
            {
                throw RunsException.BadRequest($"{Where()}.reason must be a string");
            }
            reason = reasonElement.GetString();
        }
        int? exitCode = null;
        if (item.TryGetProperty("exitCode", out var exitElement) && exitElement.ValueKind != JsonValueKind.Null)
        {
            if (exitElement.ValueKind != JsonValueKind.Number || !exitElement.TryGetInt32(out var code))
            {
                throw RunsException.BadRequest($"{Where()}.exitCode must be an integer");
            }
            exitCode = code;
        }

        if (type != RunEventType.Status)
        {
            if (data is null)
            {
                throw RunsException.BadRequest($"{Where()}.data must be a string");
            }
            return new PublishedEvent(type, data);
        }

        string? statusText = null;
        if (item.TryGetProperty("status", out var statusElement) && statusElement.ValueKind != JsonValueKind.Null)
        {
            if (statusElement.ValueKind != JsonValueKind.String)
            {
                throw RunsException.BadRequest($"{Where()}.status must be a string");
            }
            statusText = statusElement.GetString();
        }
        statusText ??= data;
        if (!RunStatuses.TryParse(statusText, out var status))
        {
            throw RunsException.BadRequest($"{Where()}: a status event needs status (or data) queued, running, succeeded, failed or cancelled");
        }
        if (data is not null && data != statusText)
        {
            throw RunsException.BadRequest($"{Where()}: data and status disagree");
        }
        return new PublishedEvent(type, statusText!, status, reason, exitCode);
    }
}
