using System.Buffers;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RunsStream.Server.Configuration;
using RunsStream.Server.Http;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs;

/// <summary>The REST API of docs/api.md section 3.</summary>
internal static class RunsEndpoints
{
    public const int DefaultListLimit = 50;
    public const int MaxListLimit = 500;

    public static void MapRunsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/runs", StartAsync);
        app.MapGet("/runs", ListAsync);
        app.MapGet("/runs/{runId}", Get);
        app.MapGet("/runs/{runId}/log", LogAsync);
        app.MapPost("/runs/{runId}/cancel", Cancel);
        app.MapPost("/runs/{runId}/events", PublishAsync);
        app.MapMethods("/healthz", ["GET", "HEAD"], (IRunStore store) => Health(store.Health));
    }

    /// <summary>
    /// 200 either way: "degraded" (the store cannot write, runs are paused) still serves every
    /// read and stream, and a probe that restarted the server on it would kill the runs and
    /// free no disk. Monitors alert on the status field.
    /// </summary>
    private static IResult Health(StoreHealth store) => store.IsWritable
        ? Results.Json(new HealthOk("ok"), ApiJsonContext.Default.HealthOk)
        : Results.Json(new HealthDegraded("degraded", "The run store cannot write: " + store.Reason, store.Since is { } since ? Timestamps.ToIso(since) : null, store.FailedAttempts), ApiJsonContext.Default.HealthDegraded);

    private static async Task<IResult> StartAsync(HttpContext context, RunsService runs, RunsStreamOptions options)
    {
        var request = RunRequestParser.Parse(await JsonBody.ReadAsync(context, options.MaxBodyBytes));
        var run = runs.StartRun(request);
        return Results.Json(new RunAnswer(run.RunId, RunStatus.Queued.ToWire()), ApiJson.Context.RunAnswer, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, RunsService runs)
    {
        var limit = DefaultListLimit;
        if (request.Query.TryGetValue("limit", out var limitText) && !TryParseLimit(limitText.ToString(), out limit))
        {
            return ApiErrors.Result(RunsErrorCode.BadRequest, $"'limit' must be a whole number from 1 to {MaxListLimit}");
        }
        RunStatus? status = null;
        if (request.Query.TryGetValue("status", out var statusText))
        {
            if (!RunStatuses.TryParse(statusText, out var parsed))
            {
                return ApiErrors.Result(RunsErrorCode.BadRequest, "'status' must be one of queued, running, succeeded, failed, cancelled");
            }
            status = parsed;
        }
        string? before = null;
        if (request.Query.TryGetValue("before", out var beforeText))
        {
            before = beforeText.ToString();
            if (!RunIds.IsValid(before))
            {
                return ApiErrors.Result(RunsErrorCode.BadRequest, "'before' must be a run id");
            }
        }
        var page = await runs.ListAsync(limit, before, status, request.HttpContext.RequestAborted);
        return Results.Json(page.Select(RunView.From).ToArray(), ApiJson.Context.RunViewArray);
    }

    private static IResult Get(string runId, RunsService runs)
    {
        if (!RunIds.IsValid(runId))
        {
            return BadRunId();
        }
        return Results.Json(RunView.From(runs.Get(runId)), ApiJson.Context.RunView);
    }

    private static IResult Cancel(string runId, RunsService runs)
    {
        if (!RunIds.IsValid(runId))
        {
            return BadRunId();
        }
        try
        {
            var status = runs.Cancel(runId);
            return Results.Json(new RunAnswer(runId, status.ToWire()), ApiJson.Context.RunAnswer);
        }
        catch (RunConflictException conflict)
        {
            return Finished(conflict);
        }
    }

    private static async Task<IResult> PublishAsync(string runId, HttpContext context, RunsService runs, RunsStreamOptions options)
    {
        if (!RunIds.IsValid(runId))
        {
            return BadRunId();
        }
        var body = await JsonBody.ReadAsync(context, options.MaxBodyBytes);
        var events = PublishedEventParser.Parse(body);
        try
        {
            runs.Publish(runId, events);
        }
        catch (RunConflictException conflict)
        {
            return Finished(conflict);
        }
        return Results.Json(new EventsAccepted(runId, events.Count), ApiJson.Context.EventsAccepted, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// The output as text/plain, stdout and stderr interleaved in seq order (or one of them with
    /// ?stream=); with ?follow=true the response stays open until the run ends.
    /// </summary>
    private static async Task LogAsync(string runId, HttpContext context, RunsService runs)
    {
        if (!RunIds.IsValid(runId))
        {
            throw RunsException.BadRequest(RunIds.InvalidRunIdMessage);
        }
        var query = context.Request.Query;
        RunEventType? only = null;
        if (query.TryGetValue("stream", out var streamText))
        {
            only = streamText.ToString() switch
            {
                "stdout" => RunEventType.Stdout,
                "stderr" => RunEventType.Stderr,
                _ => throw RunsException.BadRequest("'stream' must be stdout or stderr"),
            };
        }
        var follow = false;
        if (query.TryGetValue("follow", out var followText) && !bool.TryParse(followText, out follow) && followText != "1" && followText != "0")
        {
            throw RunsException.BadRequest("'follow' must be true or false");
        }
        follow |= followText == "1";

        var run = runs.Get(runId);
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        context.Response.Headers.AcceptRanges = "bytes";
        if (query.TryGetValue("download", out var download) && download.ToString() is "true" or "1")
        {
            var suffix = only is { } s ? "." + s.ToWire() : "";
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"{runId}{suffix}.log\"";
        }
        if (context.Request.Headers.Range.Count > 0 && !follow)
        {
            await LogRange.WriteAsync(context, runs, run, only);
            return;
        }
        await WriteLogAsync(context, run, only, follow);
    }

    /// <summary>
    /// Copies the log's UTF-8 as it is held (memory, then the store) to the response, one batch
    /// of at most 256 KiB at a time, each flushed before the next is read: memory stays bounded
    /// whatever the log's size, and no text is decoded or built.
    /// </summary>
    private static async Task WriteLogAsync(HttpContext context, RunState run, RunEventType? only, bool follow)
    {
        var abort = context.RequestAborted;
        var body = context.Response.BodyWriter;
        long after = 0;
        try
        {
            while (true)
            {
                var batch = await run.ReadEventsAsync(after);
                if (batch.Count == 0)
                {
                    if (!follow || run.IsFinished)
                    {
                        return;
                    }
                    await body.FlushAsync(abort);
                    await run.WaitForEventAsync(after, abort);
                    continue;
                }
                var wrote = false;
                foreach (var e in batch)
                {
                    after = e.Seq;
                    if (e.Type != RunEventType.Status && (only is null || e.Type == only || e.IsMarker) && e.DataBytes > 0)
                    {
                        body.Write(e.DataUtf8);
                        wrote = true;
                    }
                }
                if (wrote && (await body.FlushAsync(abort)).IsCompleted)
                {
                    return; // the client is gone
                }
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
        }
    }

    /// <summary>1 to <see cref="MaxListLimit"/> in ASCII digits; int.TryParse alone takes "5\0" as 5.</summary>
    private static bool TryParseLimit(string text, out int limit)
    {
        limit = 0;
        return text.Length > 0 && text.All(char.IsAsciiDigit)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit)
            && limit is >= 1 and <= MaxListLimit;
    }

    /// <summary>409 for a run that has already finished: the error, and the run's status beside it (docs/api.md section 3).</summary>
    private static IResult Finished(RunConflictException conflict) =>
        Results.Json(new RunConflict(conflict.RunId, conflict.Status.ToWire(), new ErrorBody(RunsErrorCode.Conflict.ToWire(), conflict.Message)), ApiJson.Context.RunConflict, statusCode: StatusCodes.Status409Conflict);

    private static IResult BadRunId() =>
        ApiErrors.Result(RunsErrorCode.BadRequest, RunIds.InvalidRunIdMessage);
}
