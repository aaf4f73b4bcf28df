using System.Buffers;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using RunsStream.Server.Auth;
using RunsStream.Server.Configuration;
using RunsStream.Server.Http;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs;

/// <summary>
/// The REST API of docs/api.md section 3. Every route asks <see cref="RunAccess"/> first (scope,
/// then workspace), with the principal RestAuthMiddleware made.
/// </summary>
internal static class RunsEndpoints
{
    public const int DefaultListLimit = 50;
    public const int MaxListLimit = 500;

    public static void MapRunsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/runs", StartAsync);
        app.MapGet("/runs", ListAsync);
        app.MapGet("/runs/{runId}", GetAsync);
        app.MapGet("/runs/{runId}/log", LogAsync);
        app.MapPost("/runs/{runId}/cancel", CancelAsync);
        app.MapPost("/runs/{runId}/events", PublishAsync);
        app.MapHealthEndpoints();
        app.MapGet("/auth/me", Me);
    }

    /// <summary>Who the token names and what it opens: the web terminal shows it (docs/api.md section 2).</summary>
    private static IResult Me(HttpContext context)
    {
        var principal = RunAccess.Of(context);
        return Results.Json(
            new SignedIn(
                principal.User,
                principal.Workspaces?.Order(StringComparer.Ordinal).ToArray() ?? ["*"],
                RunScopeNames.Names(principal.Scopes).ToArray(),
                principal.ExpiresAt is { } expires ? Timestamps.ToIso(expires) : null),
            ApiJson.Context.SignedIn);
    }

    private static async Task<IResult> StartAsync(HttpContext context, RunsService runs, RunsStreamOptions options)
    {
        var principal = RunAccess.Of(context);
        RunAccess.Require(principal, RunScopes.Write);
        var request = RunRequestParser.Parse(await JsonBody.ReadAsync(context, options.MaxBodyBytes));
        RunAccess.RequireWorkspace(principal, request.WorkspaceId);
        var run = await runs.StartRunAsync(request, principal.User, context.RequestAborted);
        return Results.Json(new RunAnswer(run.RunId, RunStatus.Queued.ToWire()), ApiJson.Context.RunAnswer, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, RunsService runs)
    {
        var principal = RunAccess.Of(request.HttpContext);
        RunAccess.Require(principal, RunScopes.Read);
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
        var page = await runs.ListAsync(limit, before, status, request.HttpContext.RequestAborted, RunAccess.Listable(principal));
        return Results.Json(page.Select(RunView.From).ToArray(), ApiJson.Context.RunViewArray);
    }

    private static async Task<IResult> GetAsync(string runId, HttpContext context, RunsService runs)
    {
        if (!RunIds.IsValid(runId))
        {
            return BadRunId();
        }
        var run = await RunAccess.GetAsync(runs, RunAccess.Of(context), runId, RunScopes.Read, context.RequestAborted);
        return Results.Json(RunView.From(run), ApiJson.Context.RunView);
    }

    private static async Task<IResult> CancelAsync(string runId, HttpContext context, RunsService runs)
    {
        if (!RunIds.IsValid(runId))
        {
            return BadRunId();
        }
        var principal = RunAccess.Of(context);
        var run = await RunAccess.GetAsync(runs, principal, runId, RunScopes.Write, context.RequestAborted);
        try
        {
            var status = await runs.CancelAsync(run, "Cancelled by user", principal.User, context.RequestAborted);
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
        var principal = RunAccess.Of(context);
        await RunAccess.RequirePublishAsync(runs, principal, runId, context.RequestAborted);
        var body = await JsonBody.ReadAsync(context, options.MaxBodyBytes);
        var events = PublishedEventParser.Parse(body);
        try
        {
            await runs.PublishAsync(runId, events, principal.User, context.RequestAborted);
        }
        catch (RunsException gone) when (gone.Code == RunsErrorCode.Gone && !principal.AllWorkspaces)
        {
            throw RunsException.NotFound(runId); // a deleted run may have been another workspace's
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

        var run = await RunAccess.GetAsync(runs, RunAccess.Of(context), runId, RunScopes.Read, context.RequestAborted);
        if (follow && runs.InFleet && !run.IsFinished)
        {
            // A run executed elsewhere: follow the mirror the fleet keeps current, held for as long as this response.
            run = await runs.GetForSubscriptionAsync(runId, context.RequestAborted);
            var hold = new LogFollower();
            run.AddSubscriber(hold);
            try
            {
                await WriteLogHeadersAndBodyAsync(context, runId, run, only, follow: true);
            }
            finally
            {
                run.RemoveSubscriber(hold);
                runs.ReleaseIfUnused(run);
            }
            return;
        }
        await WriteLogHeadersAndBodyAsync(context, runId, run, only, follow);
    }

    private static async Task WriteLogHeadersAndBodyAsync(HttpContext context, string runId, RunState run, RunEventType? only, bool follow)
    {
        var query = context.Request.Query;
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
            await LogRange.WriteAsync(context, context.RequestServices.GetRequiredService<RunsService>(), run, only);
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

    /// <summary>Holds a mirror for a following /log response: counted as a subscriber, handed nothing live.</summary>
    private sealed class LogFollower : IRunSubscriber
    {
        public long NextSeq => long.MaxValue;

        public bool TryDeliverLive(RunEvent e) => false;
    }
}
