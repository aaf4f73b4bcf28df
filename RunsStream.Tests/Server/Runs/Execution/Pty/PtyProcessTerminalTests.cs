using RunsStream.Server.Runs.Execution;
using RunsStream.Server.Runs.Execution.Pty;

namespace RunsStream.Tests.Server.Runs.Execution.Pty;

/// <summary>What the programs of a terminal run see, and what of their output reaches the server.</summary>
[TestFixture]
public sealed class PtyProcessTerminalTests
{
    private string _workingDirectory = null!;

    [SetUp]
    public void SetUp() => _workingDirectory = Directory.CreateTempSubdirectory("runsstream-pty-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_workingDirectory, recursive: true);

    private async Task<(int ExitCode, RecordingOutputSink Sink)> RunAsync(string command, PtySize? size = null)
    {
        await using var run = PtyRun.Start(command, _workingDirectory, size);
        var exitCode = await run.CompletionAsync();
        return (exitCode, run.Sink);
    }

    [Test]
    public async Task Stdin_stdout_and_stderr_are_a_terminal()
    {
        var (exitCode, sink) = await RunAsync("test -t 0 && test -t 1 && test -t 2 && echo tty");

        Assert.That(exitCode, Is.Zero);
        Assert.That(sink.AllText, Is.EqualTo("tty\r\n"));
    }

    [Test]
    public async Task The_terminal_is_the_controlling_terminal_of_the_runs_own_session()
    {
        // /dev/tty opens only for a process with a controlling terminal; ps shows its name.
        var (exitCode, sink) = await RunAsync("echo via-dev-tty > /dev/tty && tty && ps -o tty= -p $$ && ps -o sid= -o pgid= -p $$ && echo $$");

        Assert.That(exitCode, Is.Zero, sink.AllText);
        var lines = sink.AllText.Split("\r\n");
        Assert.That(lines[0], Is.EqualTo("via-dev-tty"));
        Assert.That(lines[1], Does.Match(@"^/dev/pts/\d+$"));
        Assert.That(lines[2].Trim(), Is.EqualTo(lines[1]["/dev/".Length..]));
        var shell = lines[4].Trim();
        Assert.That(lines[3].Split(' ', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { shell, shell }), "session and group leader");
    }

    [Test]
    public async Task Stdout_and_stderr_are_one_stream_reported_as_stdout()
    {
        var (_, sink) = await RunAsync("echo out; echo err >&2; echo out-again");

        Assert.That(sink.AllText, Is.EqualTo("out\r\nerr\r\nout-again\r\n"));
        Assert.That(sink.Events.Select(e => e.Stream), Is.All.EqualTo(OutputStream.Stdout));
    }

    [Test]
    public async Task Carriage_returns_and_colours_pass_unchanged_while_the_terminal_turns_newlines_into_crlf()
    {
        // ONLCR is the terminal's default output processing: a local terminal receives \r\n too.
        var (_, sink) = await RunAsync(@"printf 'a\rb\n\033[31mred\033[0m 50%%\r100%%\n'");

        Assert.That(sink.AllText, Is.EqualTo("a\rb\r\n\u001b[31mred\u001b[0m 50%\r100%\r\n"));
    }

    [Test]
    public async Task Programs_are_told_the_terminal_understands_xterm_256_colours()
    {
        var (_, sink) = await RunAsync("echo $TERM; tput colors");

        Assert.That(sink.AllText, Is.EqualTo("xterm-256color\r\n256\r\n"));
    }

    [Test]
    public async Task The_default_size_is_80_columns_by_24_rows()
    {
        var (_, sink) = await RunAsync("stty size");

        Assert.That(sink.AllText, Is.EqualTo("24 80\r\n"));
    }

    [Test]
    public async Task A_given_size_is_set_before_the_command_starts()
    {
        var (_, sink) = await RunAsync("stty size; echo ${COLUMNS-unset}", new PtySize(132, 50));

        Assert.That(sink.AllText, Is.EqualTo("50 132\r\nunset\r\n"));
    }

    [Test]
    public async Task A_resize_during_the_run_reaches_it_as_SIGWINCH_with_the_new_size()
    {
        await using var run = PtyRun.Start(
            "trap 'stty size; exit 0' WINCH; echo ready; while :; do sleep 0.1; done", _workingDirectory);
        await run.WaitForOutputAsync("ready");

        Assert.That(run.Pty.Resize(new PtySize(100, 40)), Is.True);
        var exitCode = await run.CompletionAsync();

        Assert.That(exitCode, Is.Zero);
        Assert.That(run.Sink.AllText, Is.EqualTo("ready\r\n40 100\r\n"));
        Assert.That(run.Pty.Size, Is.EqualTo(new PtySize(100, 40)));
        Assert.That(run.Pty.Resize(new PtySize(10, 10)), Is.False, "the terminal is closed once the run has ended");
    }

    [Test]
    public async Task The_exit_code_of_the_command_is_the_runs()
    {
        var (exitCode, _) = await RunAsync("exit 3");

        Assert.That(exitCode, Is.EqualTo(3));
    }

    [Test]
    public void A_missing_working_directory_is_a_clear_start_error()
    {
        var missing = Path.Combine(_workingDirectory, "missing");

        var error = Assert.Throws<RunStartException>(() => PtyProcess.Start(new ProcessStartRequest("true", missing), PtySize.Default));

        Assert.That(error!.Message, Does.Contain(missing));
    }
}
