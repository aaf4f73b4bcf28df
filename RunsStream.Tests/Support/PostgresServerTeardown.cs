using RunsStream.Tests.Support;

namespace RunsStream.Tests;

/// <summary>
/// Stops the test run's shared PostgreSQL (<see cref="PostgresServer.SharedAsync"/>) by its pid
/// once every test has run. It lives in the root namespace so that it wraps all the tests; it
/// starts nothing itself, so a run without PostgreSQL tests costs nothing.
/// </summary>
[SetUpFixture]
public sealed class PostgresServerTeardown
{
    [OneTimeTearDown]
    public Task StopSharedPostgres() => PostgresServer.StopSharedAsync();
}
