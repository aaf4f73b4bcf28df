using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using RunsStream.Server.Http;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs;

/// <summary>
/// GET /runs/{runId}/log with <c>Range: bytes=</c> (RFC 9110 section 14): 206 with exactly the
/// requested bytes of the raw output (or of one stream with ?stream=), 416 when the range is
/// outside the output or inside what the retention cap dropped. One range per request.
/// </summary>
internal static class LogRange
{
    public static async Task WriteAsync(HttpContext context, RunsService runs, RunState run, RunEventType? stream)
    {
        try
        {
            await runs.FlushStoreAsync(context.RequestAborted);
        }
        catch (StoreUnavailableException ex)
        {
            // Ranges are read from the store, which does not hold the whole log while it cannot write.
            context.Response.Headers.RetryAfter = "2";
            await ApiErrors.WriteAsync(context, RunsErrorCode.Unavailable, ex.Message);
            return;
        }
        var record = run.Snapshot()!;
        var total = stream switch
        {
            RunEventType.Stdout => record.StdoutBytes,
            RunEventType.Stderr => record.StderrBytes,
            _ => record.OutputBytes,
        };
        if (!TryParse(context.Request.Headers.Range.ToString(), total, out var first, out var last))
        {
            await RefuseAsync(context, total, "The range is not a single satisfiable byte range of this log");
            return;
        }
        var gap = record.Gap;
        if (gap.Exists && gap.Bytes > 0)
        {
            var overlaps = stream is null ? first < gap.ToOffset && last >= gap.FromOffset : true;
            if (overlaps)
            {
                await RefuseAsync(context, total, stream is null
                    ? $"Bytes {gap.FromOffset}-{gap.ToOffset - 1} were dropped by the retention cap (RUN_LOG_MAX_BYTES)"
                    : "Byte ranges of one stream are not available for a run whose middle was dropped by the retention cap");
                return;
            }
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status206PartialContent;
        response.Headers.ContentRange = $"bytes {first}-{last}/{total}";
        response.ContentLength = last - first + 1;
        await foreach (var chunk in runs.ReadOutputAsync(run.RunId, stream, first, last + 1, context.RequestAborted))
        {
            var bytes = Encoding.UTF8.GetBytes(chunk.Data);
            var start = (int)Math.Max(0, first - chunk.Offset);
            var end = (int)Math.Min(bytes.Length, last + 1 - chunk.Offset);
            if (end > start)
            {
                await response.Body.WriteAsync(bytes.AsMemory(start, end - start), context.RequestAborted);
            }
        }
    }

    /// <summary>Parses "bytes=a-b", "bytes=a-" or "bytes=-n" against a length of <paramref name="total"/>.</summary>
    public static bool TryParse(string header, long total, out long first, out long last)
    {
        first = last = 0;
        const string unit = "bytes=";
        if (!header.StartsWith(unit, StringComparison.OrdinalIgnoreCase) || header.Contains(','))
        {
            return false;
        }
        var spec = header[unit.Length..].Trim();
        var dash = spec.IndexOf('-');
        if (dash < 0)
        {
            return false;
        }
        var left = spec[..dash].Trim();
        var right = spec[(dash + 1)..].Trim();
        if (left.Length == 0)
        {
            if (!long.TryParse(right, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix) || suffix == 0 || total == 0)
            {
                return false;
            }
            first = Math.Max(0, total - suffix);
            last = total - 1;
            return true;
        }
        if (!long.TryParse(left, NumberStyles.None, CultureInfo.InvariantCulture, out first) || first >= total)
        {
            return false;
        }
        if (right.Length == 0)
        {
            last = total - 1;
            return true;
        }
        if (!long.TryParse(right, NumberStyles.None, CultureInfo.InvariantCulture, out last) || last < first)
        {
            return false;
        }
        last = Math.Min(last, total - 1);
        return true;
    }

    private static async Task RefuseAsync(HttpContext context, long total, string message)
    {
        context.Response.Headers.ContentRange = $"bytes */{total}";
        context.Response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(System.Text.Json.JsonSerializer.Serialize(new ErrorEnvelope(new ErrorBody("range_not_satisfiable", message)), ApiJson.Context.ErrorEnvelope));
    }
}
