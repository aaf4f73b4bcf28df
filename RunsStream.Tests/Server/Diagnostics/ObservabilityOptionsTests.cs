using Microsoft.Extensions.Configuration;
using RunsStream.Server.Configuration;
using RunsStream.Server.Diagnostics;

namespace RunsStream.Tests.Server.Diagnostics;

/// <summary>METRICS_PUBLIC, OTEL_EXPORTER_OTLP_ENDPOINT and LOG_FORMAT, read with the other settings.</summary>
public sealed class ObservabilityOptionsTests
{
    private static ObservabilityOptions Load(params (string Key, string Value)[] values) =>
        OptionsLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build()).Observability;

    [Test]
    public void By_default_metrics_need_the_token_nothing_is_traced_and_logs_are_text()
    {
        Assert.That(Load(), Is.EqualTo(ObservabilityOptions.Default));
        Assert.That(Load(), Is.EqualTo(new ObservabilityOptions(false, null, false)));
    }

    [Test]
    public void The_settings_are_read_from_the_environment_names()
    {
        var options = Load(("METRICS_PUBLIC", "true"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"), ("LOG_FORMAT", "JSON"));
        Assert.That(options.MetricsPublic, Is.True);
        Assert.That(options.OtlpEndpoint, Is.EqualTo(new Uri("http://collector:4318")));
        Assert.That(options.JsonLogs, Is.True);
        Assert.That(Load(("METRICS_PUBLIC", "false"), ("LOG_FORMAT", "text")), Is.EqualTo(ObservabilityOptions.Default));
    }

    [TestCase("METRICS_PUBLIC", "maybe")]
    [TestCase("LOG_FORMAT", "xml")]
    [TestCase("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")]
    [TestCase("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://collector")]
    public void A_bad_value_stops_the_start_naming_the_setting(string key, string value)
    {
        var error = Assert.Throws<OptionsException>(() => Load((key, value)));
        Assert.That(error!.Message, Does.Contain(key).And.Contain(value));
    }
}
