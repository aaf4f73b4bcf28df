using System.Text.Json;
using Microsoft.Playwright;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Web;

/// <summary>
/// The web terminal's side of issue 13: pipelines and GitLab section markers as foldable
/// sections, the executor and tty choices of the start form, and progress lines.
/// </summary>
public sealed partial class WebTerminalTests
{
    [Test]
    public async Task A_pipeline_shows_its_stages_as_sections_with_their_status_and_folds_them()
    {
        await OpenAsync();
        await Page.GetByLabel("Pipeline").CheckAsync();
        await Page.GetByLabel("Stages", new() { Exact = true }).FillAsync(
            "build: echo building-output\ntest: echo testing-output; exit 3\ndeploy: echo never-deployed");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Start run" }).ClickAsync();
        await Page.WaitForFunctionAsync("() => window.runsStream.runId !== null");

        await Assertions.Expect(Page.Locator("#run-badge")).ToHaveTextAsync("failed", new() { Timeout = 60_000 });
        await Assertions.Expect(SectionStatus("build")).ToHaveTextAsync("succeeded");
        await Assertions.Expect(SectionStatus("test")).ToHaveTextAsync("failed");
        await Assertions.Expect(SectionStatus("deploy")).ToHaveTextAsync("skipped");
        await Assertions.Expect(Page.Locator("#run-command")).ToHaveTextAsync("pipeline: build → test → deploy");
        await WaitForTextAsync("testing-output");
        var text = await TerminalTextAsync();
        Assert.That(text, Does.Contain("▾ build").And.Contain("building-output").And.Contain("▾ test").And.Contain("▾ deploy (skipped)"));
        Assert.That(text, Does.Not.Contain("never-deployed"));
        Assert.That(text.IndexOf("building-output", StringComparison.Ordinal), Is.LessThan(text.IndexOf("▾ test", StringComparison.Ordinal)), "each stage's output under its header");

        // Folding a finished stage takes its output out of the terminal; unfolding brings it back.
        var build = SectionRow("build");
        await build.ClickAsync();
        await Assertions.Expect(build).ToHaveAttributeAsync("aria-expanded", "false");
        await Page.WaitForFunctionAsync("() => !window.runsStream.text().includes('building-output')");
        text = await TerminalTextAsync();
        Assert.That(text, Does.Contain("▸ build (succeeded").And.Contain("testing-output"));
        await build.ClickAsync();
        await Assertions.Expect(build).ToHaveAttributeAsync("aria-expanded", "true");
        await WaitForTextAsync("building-output");

        // Reopened (a finished run replays at its tail): the same sections from the stored events.
        await Page.ReloadAsync();
        await Assertions.Expect(SectionStatus("test")).ToHaveTextAsync("failed");
        await Assertions.Expect(SectionStatus("deploy")).ToHaveTextAsync("skipped");
        await WaitForTextAsync("testing-output");
        Assert.That(_page.Errors, Is.Empty);
    }

    [Test]
    public async Task Gitlab_section_markers_become_a_folded_section_and_are_not_shown_as_text()
    {
        await OpenAsync();
        // The start marker is split across two writes a quiet spell apart, so across two events.
        var runId = await StartFromFormAsync(
            @"echo before-section; printf '\033[0Ksect'; sleep 0.5; " +
            @"printf 'ion_start:%s:deps[collapsed=true]\r\033[0KInstalling deps\n' ""$(date +%s)""; " +
            @"echo dep-line-1; sleep 1.2; printf '\033[0Ksection_end:%s:deps\r\033[0K\n' ""$(date +%s)""; echo after-section");
        await Assertions.Expect(Page.Locator("#run-badge")).ToHaveTextAsync("succeeded", new() { Timeout = 60_000 });
        await WaitForTextAsync("after-section");

        var deps = SectionRow("Installing deps");
        await Assertions.Expect(deps).ToHaveAttributeAsync("aria-expanded", "false");
        await Assertions.Expect(deps.Locator(".section-duration")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d"));
        var text = await TerminalTextAsync();
        Assert.That(text.Split('\n'), Is.EqualTo(new[] { "before-section", "▸ Installing deps", "after-section" }), "collapsed=true: only the header; no marker text");

        await deps.ClickAsync();
        await WaitForTextAsync("dep-line-1");
        text = await TerminalTextAsync();
        Assert.That(text, Does.Not.Contain("section_").And.Not.Contain("sect\n"));
        Assert.That(text.Split('\n')[1], Does.StartWith("▾ Installing deps ("), "the header with its duration");

        var log = await _server.Http.GetStringAsync($"/runs/{runId}/log");
        Assert.That(log, Does.Contain("section_start:").And.Contain("section_end:").And.Contain("dep-line-1"), "the raw log keeps every byte");
    }

    [Test]
    public async Task A_progress_line_rewritten_with_carriage_returns_is_one_line_and_the_log_keeps_every_step()
    {
        await OpenAsync();
        var runId = await StartFromFormAsync(@"printf 'progress 10%%\r'; sleep 0.3; printf 'progress 50%%\r'; sleep 0.3; printf 'progress 100%%\r\n'; echo done");
        await WaitForTextAsync("done");
        Assert.That(await TerminalTextAsync(), Is.EqualTo("progress 100%\ndone"));
        var log = await _server.Http.GetStringAsync($"/runs/{runId}/log");
        Assert.That(log, Is.EqualTo("progress 10%\rprogress 50%\rprogress 100%\r\ndone\n"));
    }

    [Test]
    public async Task An_executor_this_server_lacks_is_refused_with_the_servers_message()
    {
        await OpenAsync();
        await Page.GetByLabel("Command").FillAsync("echo hi");
        await Page.GetByLabel("Executor").SelectOptionAsync("docker");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Start run" }).ClickAsync();

        var error = Page.Locator("#start-error");
        await Assertions.Expect(error).ToBeVisibleAsync();
        await Assertions.Expect(error).ToContainTextAsync("executor \"docker\" is not available");
        await Assertions.Expect(error).ToContainTextAsync("available: process");
        Assert.That(await Page.EvaluateAsync<string?>("() => window.runsStream.runId"), Is.Null, "no run was started");
    }

    [Test]
    public async Task The_tty_choice_sends_tty_with_the_typed_size_or_the_size_of_the_terminal_on_screen()
    {
        await OpenAsync();
        await StartFromFormAsync("echo first");
        await WaitForTextAsync("first");
        var onScreen = await Page.EvaluateAsync<int[]>("() => [window.runsStream.term.cols, window.runsStream.term.rows]");

        await Page.GetByLabel("Terminal (tty)").CheckAsync();
        var blank = await PostedRunAsync("echo second");
        Assert.That((blank.GetProperty("tty").GetBoolean(), blank.GetProperty("cols").GetInt32(), blank.GetProperty("rows").GetInt32()),
            Is.EqualTo((true, onScreen[0], onScreen[1])));

        await Page.GetByLabel("Columns").FillAsync("100");
        await Page.GetByLabel("Rows").FillAsync("30");
        var typed = await PostedRunAsync("echo third");
        Assert.That((typed.GetProperty("cols").GetInt32(), typed.GetProperty("rows").GetInt32(), typed.GetProperty("executor").GetString()), Is.EqualTo((100, 30, "process")));

        await Page.GetByLabel("Columns").FillAsync("0");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Start run" }).ClickAsync();
        await Assertions.Expect(Page.Locator("#start-error")).ToContainTextAsync("Columns must be a whole number");
    }

    // ---- helpers ---------------------------------------------------------------------------

    private ILocator SectionRow(string title) =>
        Page.Locator("#sections .section-row").Filter(new() { Has = Page.Locator(".section-name", new() { HasTextString = title }) });

    private ILocator SectionStatus(string title) => SectionRow(title).Locator(".section-status");

    private Task<string> TerminalTextAsync() => Page.EvaluateAsync<string>("() => window.runsStream.text()");

    /// <summary>Starts <paramref name="command"/> from the form; the JSON body the page posted.</summary>
    private async Task<JsonElement> PostedRunAsync(string command)
    {
        await Page.GetByLabel("Command").FillAsync(command);
        var request = await Page.RunAndWaitForRequestAsync(
            () => Page.GetByRole(AriaRole.Button, new() { Name = "Start run" }).ClickAsync(),
            r => r.Method == "POST" && r.Url.EndsWith("/runs", StringComparison.Ordinal));
        return JsonDocument.Parse(request.PostData!).RootElement.Clone();
    }
}
