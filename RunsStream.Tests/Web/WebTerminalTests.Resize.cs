using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Web;

/// <summary>
/// Terminal runs in the page (docs/api.md 3.1, 3.3 and 7.2): the header shows the size GET
/// reports, and when the terminal on screen changes size the page emits <c>resize</c>, so the
/// run's programs (here a shell that prints <c>stty size</c> on SIGWINCH) see the new size.
/// </summary>
public sealed partial class WebTerminalTests
{
    /// <summary>Prints "rows cols" on every SIGWINCH, for up to a minute.</summary>
    private const string PrintSizeOnWinch =
        "trap 'stty size' WINCH; echo ready; i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done";

    [Test]
    public async Task A_tty_run_opened_from_the_list_shows_its_size_and_its_programs_follow_the_window_size()
    {
        await OpenAsync();
        var runId = await StartTtyRunAsync(PrintSizeOnWinch, cols: 100, rows: 30);
        await Page.Locator($"button[data-run-id='{runId}']").ClickAsync();
        await Assertions.Expect(Page.Locator("#run-details")).ToContainTextAsync("tty 100x30");
        await WaitForTextAsync("ready");
        await Assertions.Expect(Page.Locator("#run-badge")).ToHaveTextAsync("running");

        // The page's terminal is fitted to its pane: after "ready" (the trap is set), a smaller
        // window gives it fewer columns and rows, and the page reports them.
        var before = await TerminalSizeAsync();
        await Page.SetViewportSizeAsync(900, 560);
        await Page.WaitForFunctionAsync(
            "s => { const t = window.runsStream.term; return t.cols !== s[0] && t.rows !== s[1]; }",
            new[] { before.Cols, before.Rows });
        Assert.That(await TerminalSizeAsync(), Is.Not.EqualTo((100, 30)), "the check below can fail: the new size is not the run's own");

        // The pane may settle a moment later (the header can change height): what counts is that
        // the programs end up with the size the terminal on screen has.
        var seen = await Eventually.ValueAsync(
            async () => (Log: await _server.Http.GetStringAsync($"/runs/{runId}/log"), Page: await TerminalSizeAsync()),
            x => LastSttySize(x.Log) == x.Page,
            x => $"the programs' last size {LastSttySize(x.Log)} never matched the page's {x.Page}; the log: {x.Log}",
            TimeSpan.FromSeconds(60));
        Assert.That(seen.Page, Is.Not.EqualTo(before), "the size after the window change");
        Assert.That(seen.Log[seen.Log.IndexOf("ready", StringComparison.Ordinal)..], Does.Contain($"{seen.Page.Rows} {seen.Page.Cols}"), "reported after the trap was set");
        await Assertions.Expect(Page.Locator("#run-notice")).Not.ToContainTextAsync("not changed");

        var cancel = Page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" });
        await cancel.ClickAsync();
        await Assertions.Expect(Page.Locator("#run-badge")).ToHaveTextAsync("cancelled", new() { Timeout = 60_000 });
        Assert.That((await _server.WaitForTerminalAsync(runId)).GetProperty("status").GetString(), Is.EqualTo("cancelled"));
        Assert.That(_page.Errors, Is.Empty);
    }

    [Test]
    public async Task A_tty_run_started_from_the_form_with_no_terminal_on_screen_gets_the_size_of_the_one_it_opens_in()
    {
        await OpenAsync();
        await Page.GetByLabel("Terminal (tty)").CheckAsync();
        await Page.EvaluateAsync(RecordResizes);
        // No run on screen: the form has no terminal to measure, so the server's default 80x24
        // is posted; the run is queued when the page opens it and gets the size once running.
        // The program waits for a size other than the default itself: no signal can be missed.
        var runId = await StartFromFormAsync("""while [ "$(stty size)" = "24 80" ]; do sleep 0.1; done; echo "now $(stty size)" """);
        await Assertions.Expect(Page.Locator("#run-badge")).ToHaveTextAsync("succeeded", new() { Timeout = 60_000 });

        var log = await _server.Http.GetStringAsync($"/runs/{runId}/log");
        var printed = LastSttySize(log);
        Assert.That(log, Does.Match(@"^now \d+ \d+\r\n$"));
        await WaitForTextAsync($"now {printed!.Value.Rows} {printed.Value.Cols}");
        var emitted = await Page.EvaluateAsync<int[][]>("id => window.__resizes.filter(r => r.runId === id).map(r => [r.cols, r.rows])", runId);
        Assert.That(emitted.Select(s => (s[0], s[1])), Does.Contain(printed.Value), "the size the program got is one the page sent for its terminal");
        await Assertions.Expect(Page.Locator("#run-details")).ToContainTextAsync("tty 80x24"); // GET: the size at the start
        await Assertions.Expect(Page.Locator("#run-notice")).Not.ToContainTextAsync("not changed");
        Assert.That(_page.Errors, Is.Empty);
    }

    // ---- helpers ---------------------------------------------------------------------------

    /// <summary>Keeps every <c>resize</c> the page emits in <c>window.__resizes</c>.</summary>
    private const string RecordResizes =
        "() => { window.__resizes = []; window.runsStream.socket.onAnyOutgoing((ev, arg) => { if (ev === 'resize') window.__resizes.push(arg); }); }";

    /// <summary>The last "rows cols" line that <c>stty size</c> printed into a terminal run's log, as (cols, rows).</summary>
    private static (int Cols, int Rows)? LastSttySize(string log)
    {
        var last = Regex.Matches(log, @"(?:^|\s)(\d+) (\d+)\r\n").LastOrDefault();
        return last is null ? null : (int.Parse(last.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(last.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>POST /runs with <c>"tty": true</c> and a size; the new run's id.</summary>
    private async Task<string> StartTtyRunAsync(string command, int cols, int rows)
    {
        using var response = await _server.Http.PostAsJsonAsync("/runs", new { command, tty = true, cols, rows });
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(201), body);
        return JsonDocument.Parse(body).RootElement.GetProperty("runId").GetString()!;
    }

    /// <summary>The columns and rows of the xterm instance on screen.</summary>
    private async Task<(int Cols, int Rows)> TerminalSizeAsync()
    {
        var size = await Page.EvaluateAsync<int[]>("() => [window.runsStream.term.cols, window.runsStream.term.rows]");
        return (size[0], size[1]);
    }
}
