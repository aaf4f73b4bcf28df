using Microsoft.Extensions.Configuration;
using Npgsql;
using RunsStream.Server.Configuration;

namespace RunsStream.Tests.Server.Configuration;

/// <summary>Fleet mode's settings: on only with both URLs, each URL form converted, each bad value named.</summary>
public sealed class FleetOptionsTests
{
    private const string Redis = "redis://127.0.0.1:6390";
    private const string Database = "postgres://runs:s3cr%40t@db.internal:5433/runsstream?sslmode=require";

    private static RunsStreamOptions Load(params (string Key, string Value)[] values) =>
        OptionsLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build());

    private static string ErrorOf(params (string Key, string Value)[] values) =>
        Assert.Throws<OptionsException>(() => Load(values))!.Message;

    [Test]
    public void Without_either_url_there_is_no_fleet()
    {
        Assert.That(Load().Fleet, Is.Null);
        Assert.That(Load(("NODE_ID", "n1"), ("LEASE_SECONDS", "5")).Fleet, Is.Null, "the node settings alone do not make a fleet");
    }

    [Test]
    public void One_url_without_the_other_is_an_error_naming_the_missing_one()
    {
        Assert.That(ErrorOf(("REDIS_URL", Redis)), Does.Contain("DATABASE_URL is not"));
        Assert.That(ErrorOf(("DATABASE_URL", Database)), Does.Contain("REDIS_URL is not"));
    }

    [Test]
    public void Both_urls_make_a_fleet_with_defaults_from_host_and_port()
    {
        var fleet = Load(("REDIS_URL", Redis), ("DATABASE_URL", Database), ("PORT", "4100"), ("HOST", "10.0.0.5")).Fleet!;

        Assert.That(fleet.NodeId, Is.EqualTo(Environment.MachineName + "-4100"));
        Assert.That(fleet.NodeUrl, Is.EqualTo("http://10.0.0.5:4100"));
        Assert.That(fleet.Lease, Is.EqualTo(TimeSpan.FromSeconds(10)));
        Assert.That(fleet.RedisConfiguration, Is.EqualTo("127.0.0.1:6390,abortConnect=false"));
        var database = new NpgsqlConnectionStringBuilder(fleet.DatabaseConnectionString);
        Assert.That((database.Host, database.Port, database.Username, database.Password, database.Database, database.SslMode),
            Is.EqualTo(("db.internal", 5433, "runs", "s3cr@t", "runsstream", SslMode.Require)));
        Assert.That(fleet.ToString(), Does.Not.Contain("s3cr"), "no password in the options' text");
        Assert.That(fleet.SidTag, Does.Match("^[A-Za-z0-9_-]{8}\\.$"));
        Assert.That(FleetOptions.TagOf(fleet.NodeId), Is.EqualTo(fleet.SidTag));
        Assert.That(FleetOptions.TagOf("other"), Is.Not.EqualTo(fleet.SidTag));
    }

    [Test]
    public void Node_settings_and_other_url_forms_are_read()
    {
        var fleet = Load(("REDIS_URL", "rediss://app:pw@cache:7000/2"), ("DATABASE_URL", "Host=pg;Port=6000;Username=u;Password=p;Database=d"),
            ("NODE_ID", "node-a"), ("NODE_URL", "https://a.internal:8443/"), ("LEASE_SECONDS", "30"), ("HOST", "0.0.0.0")).Fleet!;

        Assert.That(fleet.NodeId, Is.EqualTo("node-a"));
        Assert.That(fleet.NodeUrl, Is.EqualTo("https://a.internal:8443"));
        Assert.That(fleet.Lease, Is.EqualTo(TimeSpan.FromSeconds(30)));
        Assert.That(fleet.RedisConfiguration, Is.EqualTo("cache:7000,user=app,password=pw,defaultDatabase=2,ssl=true,abortConnect=false"));
        Assert.That(new NpgsqlConnectionStringBuilder(fleet.DatabaseConnectionString).Host, Is.EqualTo("pg"));
        Assert.That(Load(("REDIS_URL", "cache:7000,password=x"), ("DATABASE_URL", Database), ("NODE_ID", "n")).Fleet!.RedisConfiguration,
            Is.EqualTo("cache:7000,password=x"), "a StackExchange.Redis configuration string is taken as it is");
        Assert.That(Load(("REDIS_URL", Redis), ("DATABASE_URL", Database), ("HOST", "0.0.0.0"), ("PORT", "4001")).Fleet!.NodeUrl,
            Is.EqualTo($"http://{Environment.MachineName}:4001"), "a wildcard address is not where others reach the node");
    }

    [Test]
    public void Bad_values_are_errors_naming_the_setting()
    {
        (string, string)[] both = [("REDIS_URL", Redis), ("DATABASE_URL", Database)];
        Assert.That(ErrorOf([.. both, ("LEASE_SECONDS", "1")]), Does.StartWith("LEASE_SECONDS must be a whole number from 3 to 3600"));
        Assert.That(ErrorOf([.. both, ("LEASE_SECONDS", "ten")]), Does.StartWith("LEASE_SECONDS"));
        Assert.That(ErrorOf([.. both, ("NODE_URL", "ftp://x")]), Does.StartWith("NODE_URL must be an http"));
        Assert.That(ErrorOf([.. both, ("NODE_ID", "has space")]), Does.StartWith("NODE_ID must be"));
        Assert.That(ErrorOf([.. both, ("PORT", "0")]), Does.StartWith("NODE_ID must be set"));
        Assert.That(ErrorOf(("REDIS_URL", Redis), ("DATABASE_URL", "postgres://u:p@h/d?sslmode=maybe")), Does.Contain("sslmode"));
        Assert.That(ErrorOf(("REDIS_URL", Redis), ("DATABASE_URL", "postgres://u:p@h/d?pool=1")), Does.Contain("\"pool\""));
        Assert.That(ErrorOf(("REDIS_URL", Redis), ("DATABASE_URL", "Bogus Key=1")), Does.StartWith("DATABASE_URL is neither"));
        Assert.That(ErrorOf(("REDIS_URL", Redis), ("DATABASE_URL", "Database=x")), Does.StartWith("DATABASE_URL names no host"));
        Assert.That(ErrorOf(("REDIS_URL", "redis://"), ("DATABASE_URL", Database)), Does.StartWith("REDIS_URL"));
        Assert.That(ErrorOf(("REDIS_URL", Redis), ("DATABASE_URL", "postgres://u:secretpw@h/d?sslmode=maybe")), Does.Not.Contain("secretpw"));
    }
}
