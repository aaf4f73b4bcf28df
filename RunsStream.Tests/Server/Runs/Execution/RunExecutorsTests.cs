using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Execution;

namespace RunsStream.Tests.Server.Runs.Execution;

/// <summary>The executor registry: which name gets which executor, and the 400s that name the available ones.</summary>
public sealed class RunExecutorsTests
{
    /// <summary>An executor that only has a name and an availability: the registry asks nothing else.</summary>
    private sealed class NamedExecutor(string name, string? unavailableReason = null) : IRunExecutor
    {
        public string? Reason { get; set; } = unavailableReason;

        public string Name => name;

        public string? UnavailableReason => Reason;

        public IRunExecution Start(ExecutorRequest request, IRunOutputSink sink) => throw new RunStartException("not started in these tests");

        public Task RecoverAsync() => Task.CompletedTask;
    }

    [Test]
    public void No_name_is_the_process_executor()
    {
        var process = new NamedExecutor("process");
        var executors = new RunExecutors([process, new NamedExecutor("docker")]);
        Assert.That(executors.Resolve(null), Is.SameAs(process));
        Assert.That(executors.Find(null), Is.SameAs(process));
    }

    [Test]
    public void An_unavailable_executor_is_refused_with_its_reason_and_left_out_of_the_available_ones()
    {
        var docker = new NamedExecutor("docker", "no engine answers at unix:///run/podman.sock");
        var executors = new RunExecutors([new NamedExecutor("process"), new NamedExecutor("sandbox"), docker]);
        var refused = Assert.Throws<RunsException>(() => executors.Resolve("docker"))!;
        Assert.That(refused.Message, Is.EqualTo("executor \"docker\" is not available: no engine answers at unix:///run/podman.sock; available: process, sandbox"));
        Assert.That(Assert.Throws<RunsException>(() => executors.Resolve("nope"))!.Message, Is.EqualTo("unknown executor \"nope\"; available: process, sandbox"));

        docker.Reason = null; // the engine came back: asked again on each request
        Assert.That(executors.Resolve("docker"), Is.SameAs(docker));
        Assert.That(executors.AvailableNames(), Is.EqualTo(new[] { "process", "sandbox", "docker" }));
    }

    [Test]
    public void Two_executors_may_not_share_a_name() =>
        Assert.Throws<ArgumentException>(() => new RunExecutors([new NamedExecutor("process"), new NamedExecutor("process")]));
}
