using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Configuration;
using RunsStream.Server.Runs.Execution;
using RunsStream.Server.Runs.Execution.Sandbox;

namespace RunsStream.Tests.Server.Runs.Execution.Sandbox;

/// <summary>Whether the sandbox can be used here, said plainly; and its SANDBOX_* settings.</summary>
[TestFixture]
public sealed class SandboxAvailabilityTests
{
    [Test]
    public void Without_bwrap_the_sandbox_says_it_is_unavailable_and_refuses_to_run()
    {
        var data = Directory.CreateTempSubdirectory("runsstream-sbx-nobwrap-").FullName;
        var emptyPath = Directory.CreateTempSubdirectory("runsstream-sbx-path-").FullName;
        try
        {
            var sandbox = BubblewrapSandbox.Open(
                SandboxLimits.Default, RunUser.Resolve(null), null, data, TimeProvider.System, NullLogger.Instance, searchPath: emptyPath);

            Assert.That(sandbox.IsAvailable(out var reason), Is.False);
            Assert.That(reason, Does.Contain("bubblewrap (bwrap) is not installed"));
            var refused = Assert.Throws<RunStartException>(() => sandbox.Prepare("r1", new ProcessStartRequest("true", data)));
            Assert.That(refused!.Message, Does.Contain("bubblewrap"));
            sandbox.Shutdown();
        }
        finally
        {
            Directory.Delete(data, recursive: true);
            Directory.Delete(emptyPath, recursive: true);
        }
    }

    [Test]
    public void With_bwrap_installed_the_sandbox_is_available()
    {
        var data = Directory.CreateTempSubdirectory("runsstream-sbx-bwrap-").FullName;
        try
        {
            var cgroups = RunCgroups.Open(data, NullLogger.Instance);
            var sandbox = BubblewrapSandbox.Open(
                SandboxLimits.Default, RunUser.Resolve(null), cgroups.Root, data, TimeProvider.System, NullLogger.Instance);

            Assert.That(sandbox.IsAvailable(out var reason), Is.True, reason);
            sandbox.Shutdown();
            cgroups.RemoveRootIfEmpty();
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Test]
    public void Sandbox_limits_come_from_the_SANDBOX_settings_with_documented_defaults()
    {
        var configured = SandboxLimits.Load(Settings(("SANDBOX_MEMORY_BYTES", "268435456"), ("SANDBOX_PIDS", "32"), ("SANDBOX_CPU_SECONDS", "5"), ("SANDBOX_FILE_BYTES", "1000")));

        Assert.That(configured, Is.EqualTo(new SandboxLimits(268435456, 32, 5, 1000)));
        Assert.That(SandboxLimits.Load(Settings()), Is.EqualTo(SandboxLimits.Default));
    }

    [TestCase("SANDBOX_PIDS", "0")]
    [TestCase("SANDBOX_MEMORY_BYTES", "lots")]
    [TestCase("SANDBOX_CPU_SECONDS", "-1")]
    public void A_bad_sandbox_setting_stops_the_start_with_its_name(string name, string value)
    {
        var error = Assert.Throws<OptionsException>(() => SandboxLimits.Load(Settings((name, value))));
        Assert.That(error!.Message, Does.StartWith(name));
    }

    private static IConfiguration Settings(params (string Name, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Name, v.Value))).Build();
}
