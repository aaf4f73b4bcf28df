using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Runs.Execution;

namespace RunsStream.Tests.Server.Runs.Execution;

[TestFixture]
[NonParallelizable] // changes this process's environment
public sealed class RunProcessStartTests
{
    private RunProcessHarness _harness = null!;

    [SetUp]
    public void SetUp() => _harness = new RunProcessHarness();

    [TearDown]
    public async Task TearDown() => await _harness.DisposeAsync();

    [Test]
    public async Task The_auth_token_is_hidden_from_the_command_while_other_variables_are_passed()
    {
        const string inherited = "RUNSSTREAM_TEST_INHERITED";
        string? previousToken = Environment.GetEnvironmentVariable("WS_AUTH_TOKEN");
        Environment.SetEnvironmentVariable("WS_AUTH_TOKEN", "secret-token");
        Environment.SetEnvironmentVariable(inherited, "from-server");
        try
        {
            var sink = new RecordingOutputSink();
            RunProcess process = _harness.Start(
                $"echo \"token=${{WS_AUTH_TOKEN-unset}} inherited=${inherited} extra=$RUN_EXTRA\"",
                sink,
                environment: new Dictionary<string, string?> { ["RUN_EXTRA"] = "given" });

            await RunProcessHarness.CompletionOf(process);

            Assert.That(sink.AllText, Is.EqualTo("token=unset inherited=from-server extra=given\n"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("WS_AUTH_TOKEN", previousToken);
            Environment.SetEnvironmentVariable(inherited, null);
        }
    }

    [Test]
    public async Task A_null_extra_variable_removes_an_inherited_one()
    {
        const string name = "RUNSSTREAM_TEST_REMOVED";
        Environment.SetEnvironmentVariable(name, "present");
        try
        {
            var sink = new RecordingOutputSink();
            RunProcess process = _harness.Start(
                $"echo ${{{name}-unset}}", sink, environment: new Dictionary<string, string?> { [name] = null });

            await RunProcessHarness.CompletionOf(process);

            Assert.That(sink.AllText, Is.EqualTo("unset\n"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Test]
    public async Task The_command_runs_in_the_given_working_directory()
    {
        var sink = new RecordingOutputSink();
        RunProcess process = _harness.Start("echo here > marker.txt", sink);

        ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);

        Assert.That(outcome.ExitCode, Is.Zero);
        Assert.That(File.ReadAllText(Path.Combine(_harness.WorkingDirectory, "marker.txt")), Is.EqualTo("here\n"));
    }

    [Test]
    public async Task The_shell_leads_its_own_process_group_and_session()
    {
        var sink = new RecordingOutputSink();
        // Fields 5 and 6 of /proc/<pid>/stat are the process group and the session.
        RunProcess process = _harness.Start("echo $$ $(cut -d' ' -f5,6 /proc/$$/stat)", sink);

        await RunProcessHarness.CompletionOf(process);

        int pid = process.ProcessId;
        Assert.That(sink.AllText, Is.EqualTo($"{pid} {pid} {pid}\n"));
    }

    [Test]
    public async Task Standard_input_is_closed_so_a_reader_gets_end_of_file()
    {
        var sink = new RecordingOutputSink();
        RunProcess process = _harness.Start("cat; echo done", sink);

        ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);

        Assert.That(outcome.ExitCode, Is.Zero);
        Assert.That(sink.AllText, Is.EqualTo("done\n"));
    }

    [Test]
    public void A_missing_working_directory_fails_to_start()
    {
        string missing = Path.Combine(_harness.WorkingDirectory, "does-not-exist");

        Assert.Throws<RunStartException>(() => RunProcess.Start(
            new ProcessStartRequest("echo never", missing),
            new RecordingOutputSink(),
            new OutputCoalescingOptions(),
            NullLogger.Instance));
    }
}
