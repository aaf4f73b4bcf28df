using Microsoft.Extensions.Configuration;
using RunsStream.Server.Configuration;

namespace RunsStream.Server.Diagnostics;

/// <summary>How the server shows what it does: /metrics, traces, the log's format.</summary>
/// <param name="MetricsPublic">METRICS_PUBLIC=true: /metrics answers without the token (a scraper inside a private network). Default false.</param>
/// <param name="OtlpEndpoint">OTEL_EXPORTER_OTLP_ENDPOINT: traces are exported there over OTLP; none are made when unset.</param>
/// <param name="JsonLogs">LOG_FORMAT=json: one JSON object per log line (the console's JSON formatter); "text" (the default) for people.</param>
internal sealed record ObservabilityOptions(bool MetricsPublic, Uri? OtlpEndpoint, bool JsonLogs)
{
    public static ObservabilityOptions Default { get; } = new(false, null, false);

    /// <summary>The settings, read like the others (<see cref="OptionsLoader"/>).</summary>
    /// <exception cref="OptionsException">A setting has a bad value; the message names it.</exception>
    public static ObservabilityOptions Load(IConfiguration configuration)
    {
        string? Get(string name) => OptionsLoader.Setting(configuration, name);
        var metricsPublic = Get("METRICS_PUBLIC")?.ToLowerInvariant() switch
        {
            null or "false" or "0" or "no" => false,
            "true" or "1" or "yes" => true,
            var other => throw new OptionsException($"METRICS_PUBLIC must be true or false; got \"{other}\"."),
        };
        Uri? endpoint = null;
        if (Get("OTEL_EXPORTER_OTLP_ENDPOINT") is { } text
            && (!Uri.TryCreate(text, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            throw new OptionsException($"OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL such as http://collector:4318; got \"{text}\".");
        }
        var json = Get("LOG_FORMAT")?.ToLowerInvariant() switch
        {
            null or "text" => false,
            "json" => true,
            var other => throw new OptionsException($"LOG_FORMAT must be text or json; got \"{other}\"."),
        };
        return new ObservabilityOptions(metricsPublic, endpoint, json);
    }
}
