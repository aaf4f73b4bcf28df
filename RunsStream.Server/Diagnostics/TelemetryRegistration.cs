using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using RunsStream.Protocol.Diagnostics;
using RunsStream.Server.Configuration;

namespace RunsStream.Server.Diagnostics;

/// <summary>
/// Wires operations into the host with OpenTelemetry: the protocol's and the runs' meters
/// exported at /metrics in Prometheus text, the runs' and REST requests' spans over OTLP when
/// an endpoint is set, and the console log as JSON lines when asked.
/// </summary>
/// <remarks>
/// One SDK for both signals: the instruments are System.Diagnostics.Metrics and
/// System.Diagnostics.Activity, what OpenTelemetry reads without adapters (README, "Metrics").
/// </remarks>
internal static class TelemetryRegistration
{
    /// <summary>Where Prometheus scrapes.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>The ASP.NET Core meters exported beside ours (requests, Kestrel connections).</summary>
    private static readonly string[] FrameworkMeters = ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel"];

    public static void AddTelemetry(this WebApplicationBuilder builder, RunsStreamOptions options)
    {
        var observability = options.Observability;
        if (observability.JsonLogs)
        {
            builder.Logging.AddJsonConsole(json =>
            {
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        builder.Services.AddSingleton(sp => new RunsMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("runsstream"))
            .WithMetrics(metrics => metrics
                .AddMeter(ProtocolMetrics.MeterName, RunsMetrics.MeterName)
                .AddMeter(FrameworkMeters)
                .AddPrometheusExporter());
        if (observability.OtlpEndpoint is { } endpoint)
        {
            // Only then: a span per request costs something, and nobody would read them.
            telemetry.WithTracing(tracing => tracing
                .AddSource(RunsTelemetry.SourceName)
                .AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = IsTraced)
                .AddOtlpExporter(otlp =>
                {
                    // OTLP over HTTP (port 4318) answers at /v1/traces; a bare endpoint gets it appended.
                    otlp.Protocol = OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf;
                    otlp.Endpoint = endpoint.AbsolutePath is "/" or "" ? new Uri(endpoint, "v1/traces") : endpoint;
                }));
        }
    }

    /// <summary>/metrics in Prometheus text (behind the token unless METRICS_PUBLIC=true: RestAuthMiddleware).</summary>
    public static void MapMetrics(this WebApplication app) => app.MapPrometheusScrapingEndpoint(MetricsPath);

    /// <summary>REST requests are traced; Engine.IO's polls (one per message) and the web page are not.</summary>
    private static bool IsTraced(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/runs") || context.Request.Path.StartsWithSegments("/api");
}
