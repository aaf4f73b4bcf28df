using Microsoft.Extensions.Configuration;
using RunsStream.Server.Configuration;

namespace RunsStream.Tests.Server.Configuration;

public sealed class OptionsLoaderTests
{
    private static RunsStreamOptions Load(params (string Key, string Value)[] values) =>
        OptionsLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build());

    [Test]
    public void Defaults_apply_and_a_token_is_generated_when_none_is_set()
    {
        var options = Load();
        Assert.That(options.Host, Is.EqualTo("127.0.0.1"));
        Assert.That(options.Port, Is.EqualTo(4000));
        Assert.That(options.AuthTokenGenerated, Is.True);
        Assert.That(options.AuthToken, Has.Length.GreaterThanOrEqualTo(32));
        Assert.That(options.MaxConcurrentRuns, Is.EqualTo(Environment.ProcessorCount));
        Assert.That(options.RunTimeout, Is.Null);
        Assert.That(options.CancelGrace, Is.EqualTo(TimeSpan.FromSeconds(5)));
        Assert.That(Load().AuthToken, Is.Not.EqualTo(options.AuthToken));
    }

    [Test]
    public void Environment_names_are_read_and_durations_take_units()
    {
        var options = Load(("HOST", "0.0.0.0"), ("PORT", "4555"), ("WS_AUTH_TOKEN", "a-long-token"), ("CORS_ORIGINS", "http://a.example, http://b.example"),
            ("MAX_CONCURRENT_RUNS", "3"), ("RUN_TIMEOUT", "2m"), ("CANCEL_GRACE", "250ms"));
        Assert.That(options.Host, Is.EqualTo("0.0.0.0"));
        Assert.That(options.Port, Is.EqualTo(4555));
        Assert.That(options.AuthToken, Is.EqualTo("a-long-token"));
        Assert.That(options.AuthTokenGenerated, Is.False);
        Assert.That(options.CorsOrigins, Is.EqualTo(new[] { "http://a.example", "http://b.example" }));
        Assert.That(options.MaxConcurrentRuns, Is.EqualTo(3));
        Assert.That(options.RunTimeout, Is.EqualTo(TimeSpan.FromMinutes(2)));
        Assert.That(options.CancelGrace, Is.EqualTo(TimeSpan.FromMilliseconds(250)));
    }

    [Test]
    public void The_appsettings_section_is_read_and_the_environment_wins()
    {
        var options = Load(("RunsStream:PORT", "4111"), ("RunsStream:MAX_CONCURRENT_RUNS", "7"), ("MAX_CONCURRENT_RUNS", "2"));
        Assert.That(options.Port, Is.EqualTo(4111));
        Assert.That(options.MaxConcurrentRuns, Is.EqualTo(2));
    }

    [Test]
    public void ALLOW_EIO3_is_off_by_default_and_takes_true_or_false()
    {
        Assert.That(Load().AllowEIO3, Is.False);
        Assert.That(Load(("ALLOW_EIO3", "true")).AllowEIO3, Is.True);
        Assert.That(Load(("ALLOW_EIO3", "1")).AllowEIO3, Is.True);
        Assert.That(Load(("ALLOW_EIO3", "False")).AllowEIO3, Is.False);
        var error = Assert.Throws<OptionsException>(() => Load(("ALLOW_EIO3", "sometimes")));
        Assert.That(error!.Message, Does.Contain("ALLOW_EIO3"));
    }

    [Test]
    public void Retention_defaults_to_30_days_and_0_keeps_runs_forever()
    {
        Assert.That(Load().RunRetention, Is.EqualTo(TimeSpan.FromDays(30)));
        Assert.That(Load(("RUN_RETENTION", "0")).RunRetention, Is.Null);
        Assert.That(Load(("RUN_RETENTION", "7d")).RunRetention, Is.EqualTo(TimeSpan.FromDays(7)));
    }

    [TestCase("PORT", "http")]
    [TestCase("PORT", "70000")]
    [TestCase("MAX_CONCURRENT_RUNS", "0")]
    [TestCase("RUN_TIMEOUT", "soon")]
    [TestCase("CANCEL_GRACE", "-5s")]
    [TestCase("WS_AUTH_TOKEN", "short")]
    [TestCase("STORE", "postgres")]
    [TestCase("MAX_BODY_BYTES", "12")]
    [TestCase("SANDBOX_PIDS", "2")]
    [TestCase("DOCKER_HOST", "docker.example:2375")]
    [TestCase("DOCKER_CPUS", "lots")]
    [TestCase("DOCKER_MEMORY_BYTES", "1024")]
    [TestCase("DOCKER_NETWORK", "host")]
    public void A_bad_value_stops_the_start_with_a_message_naming_the_setting(string key, string value)
    {
        var error = Assert.Throws<OptionsException>(() => Load((key, value)));
        Assert.That(error!.Message, Does.Contain(key));
    }

    [Test]
    public void The_executors_settings_are_read_from_the_environment_or_appsettings()
    {
        var options = Load(("DOCKER_HOST", "unix:///run/podman/podman.sock"), ("DOCKER_IMAGE", "busybox:latest"),
            ("RunsStream:DOCKER_CPUS", "1.5"), ("DOCKER_NETWORK", "bridge"), ("SANDBOX_MEMORY_BYTES", "67108864"));
        Assert.That(options.Docker!.Host, Is.EqualTo(new Uri("unix:///run/podman/podman.sock")));
        Assert.That(options.Docker.DefaultImage, Is.EqualTo("busybox:latest"));
        Assert.That(options.DockerRuns.Limits.NanoCpus, Is.EqualTo(1_500_000_000));
        Assert.That(options.DockerRuns.NetworkAllowed, Is.True);
        Assert.That(options.Sandbox.MemoryBytes, Is.EqualTo(64L * 1024 * 1024));
        Assert.That(Load().DockerRuns.NetworkAllowed, Is.False, "no network unless asked for");
    }
}
