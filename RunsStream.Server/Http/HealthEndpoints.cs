using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Fleet;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Http;

/// <summary>
/// The probes an orchestrator polls (docs/api.md section 3.7), neither needing a token:
/// <c>/healthz</c> for liveness and <c>/readyz</c> for readiness. They answer different
/// questions on purpose. Liveness is "should this process be restarted": 200 as long as it
/// serves, also with a full disk (a restart would kill the runs and free no disk). Readiness is
/// "should new work be sent here": 503 while the store cannot write (a new run would only
/// pause) and from the moment the server begins to shut down (its runs are being stopped).
/// </summary>
internal static class HealthEndpoints
{
    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/healthz", ["GET", "HEAD"], (IRunStore store, IServiceProvider services) => Health(store.Health, services.GetService<FleetNode>()));
        app.MapMethods("/readyz", ["GET", "HEAD"], (IRunStore store, IHostApplicationLifetime lifetime) => Readiness(store.Health, lifetime.ApplicationStopping.IsCancellationRequested));
    }

    /// <summary>
    /// 200 either way: "degraded" (the store cannot write, runs are paused) still serves every
    /// read and stream, and a probe that restarted the server on it would kill the runs and
    /// free no disk. Monitors alert on the status field.
    /// </summary>
    private static IResult Health(StoreHealth store, FleetNode? fleet)
    {
        var health = new Dictionary<string, object?>
        {
            ["status"] = store.IsWritable ? "ok" : "degraded",
        };
        if (!store.IsWritable)
        {
            health["reason"] = StoreReason(store);
            health["since"] = store.Since is { } since ? Timestamps.ToIso(since) : null;
            health["failedWrites"] = store.FailedAttempts;
        }
        // The node's role (docs/fleet.md), and whether it reaches what the fleet shares.
        health["role"] = fleet is null ? "single" : "fleet-node";
        if (fleet is not null)
        {
            health["nodeId"] = fleet.NodeId;
            health["redis"] = fleet.RedisConnected ? "reachable" : "unreachable";
            health["postgres"] = store.IsWritable && fleet.DatabaseReachable ? "reachable" : "unreachable";
        }
        return Results.Json(health, ApiJson.Options);
    }

    /// <summary>Shutting down wins over a store that cannot write: it is the one that will not pass.</summary>
    internal static IResult Readiness(StoreHealth store, bool shuttingDown)
    {
        if (shuttingDown)
        {
            return Results.Json(new Dictionary<string, object?> { ["status"] = "unavailable", ["reason"] = "The server is shutting down" }, ApiJson.Options, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        if (!store.IsWritable)
        {
            return Results.Json(new Dictionary<string, object?> { ["status"] = "unavailable", ["reason"] = StoreReason(store), ["since"] = store.Since is { } since ? Timestamps.ToIso(since) : null }, ApiJson.Options, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        return Results.Json(new Dictionary<string, object?> { ["status"] = "ready" }, ApiJson.Options);
    }

    private static string StoreReason(StoreHealth store) => "The run store cannot write: " + store.Reason;
}
