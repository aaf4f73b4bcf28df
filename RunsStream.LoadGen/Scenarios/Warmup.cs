using RunsStream.LoadGen.Client;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// Before any measurement, each fresh server streams a few runs over both transports so that
/// its JIT (tiered .NET, V8) has compiled the hot paths; the load generator warms up as well.
/// </summary>
internal static class Warmup
{
    public static async Task RunAsync(ScenarioContext context)
    {
        const long bytes = 2 * BenchConfig.MB;
        for (var round = 0; round < 2; round++)
        {
            var runId = await context.Rest.StartAsync(Commands.FastWriter(bytes));
            var connections = await context.ConnectAsync(4, i => new Subscriber(i));
            await ScenarioContext.SubscribeAllAsync(connections, runId);
            await context.WaitDoneAsync(connections.Select(c => c.Subscriber));
            Check(ScenarioContext.Verify(connections.Select(c => c.Subscriber).ToArray(), bytes));
        }
        var pollRun = await context.Rest.StartAsync(Commands.FastWriter(256 * 1024));
        var pollers = await PollingScenario.ConnectAsync(context, 2, pollRun);
        await context.WaitDoneAsync(pollers);
        Check(ScenarioContext.Verify(pollers, 256 * 1024));
    }

    private static void Check(string verdict)
    {
        if (verdict != "ok")
        {
            throw new InvalidOperationException("warm-up failed: " + verdict);
        }
    }
}
