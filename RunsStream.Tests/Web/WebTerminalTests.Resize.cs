using System.Net.Http.Json;
using System.Text.Json;
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
        var after = await TerminalSizeAsync();
        Assert.That(after, Is.Not.EqualTo((100, 30)), "the check below can fail: the new size is not the run's own");

        var log = await _server.WaitForLogAsync(runId, $"\r\n{after.Rows} {after.Cols}\r\n");
        Assert.That(log[log.IndexOf("ready", StringComparison.Ordinal)..], Does.Contain($"{after.Rows} {after.Cols}"), "reported after the trap was set");
        Assert.That(await TerminalSizeAsync(), Is.EqualTo(after), "the size the programs got is the one on screen");
        await Assertions.Expect(Page.Locator("#run-notice")).Not.ToContainTextAsync("not changed");

        var cancel = Page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" });
        await cancel.ClickAsync();
        await Assertions.Expect(Page.Locator("#run-badge")).ToHaveTextAsync("cancelled", new() { Timeout = 60_000 });
        Assert.That((await _server.WaitForTerminalAsync(runId)).GetProperty("status").GetString(), Is.EqualTo("cancelled"));
        Assert.That(_page.Errors, Is.Empty);
    }

    // ---- helpers ---------------------------------------------------------------------------

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
