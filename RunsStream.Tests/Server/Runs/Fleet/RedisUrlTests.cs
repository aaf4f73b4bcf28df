using RunsStream.Server.Runs.Fleet;

namespace RunsStream.Tests.Server.Runs.Fleet;

public sealed class RedisUrlTests
{
    [Test]
    public void A_redis_URL_gives_host_port_credentials_and_database_and_never_aborts_on_a_failed_connect()
    {
        var options = RedisUrl.Parse("redis://user:p%40ss@cache.local:6380/2");

        Assert.That(options.EndPoints.Single().ToString(), Does.Contain("cache.local:6380"));
        Assert.That(options.User, Is.EqualTo("user"));
        Assert.That(options.Password, Is.EqualTo("p@ss"));
        Assert.That(options.DefaultDatabase, Is.EqualTo(2));
        Assert.That(options.AbortOnConnectFail, Is.False);
        Assert.That(RedisUrl.Parse("redis://127.0.0.1").EndPoints.Single().ToString(), Does.Contain("6379"));
        Assert.That(RedisUrl.Parse("rediss://h:1").Ssl, Is.True);
    }

    [Test]
    public void A_StackExchange_configuration_string_is_taken_as_it_is_but_never_aborts()
    {
        var options = RedisUrl.Parse("127.0.0.1:7000,abortConnect=true,connectTimeout=2000");

        Assert.That(options.EndPoints.Single().ToString(), Does.Contain("7000"));
        Assert.That(options.ConnectTimeout, Is.EqualTo(2000));
        Assert.That(options.AbortOnConnectFail, Is.False);
    }

    [TestCase("")]
    [TestCase("redis://")]
    [TestCase("redis://h:1/notanumber")]
    [TestCase("abortConnect=false")]
    public void A_bad_value_is_refused_naming_REDIS_URL(string value)
    {
        var error = Assert.Throws<FormatException>(() => RedisUrl.Parse(value))!;
        Assert.That(error.Message, Does.Contain("REDIS_URL"));
    }
}
