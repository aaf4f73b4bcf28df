using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Web;

/// <summary>
/// The built-in web terminal (RunsStream.Web, served from wwwroot) in Debian's headless
/// chromium against the real server: what a user who opens the printed URL sees and does.
/// Every wait is for a condition; every test leaves a screenshot attached to its result.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class WebTerminalTests
{
    private const int TerminalPaletteRed = 1;
    private const int TerminalPaletteGreen = 2;
    private const int TerminalPaletteMagenta = 5;

    private BrowserSession _browser = null!;
    private RunsServerHost _server = null!;
    private BrowserPage _page = null!;

    private IPage Page => _page.Page;

    /// <summary>The esbuild output; scripts/test builds it (scripts/lib/web.sh: build_web).</summary>
    private static string WebRoot => Path.Combine(RepoPaths.Root, "RunsStream.Server", "wwwroot");

    [OneTimeSetUp]
    public async Task LaunchBrowser()
    {
        if (!File.Exists(Path.Combine(WebRoot, "index.html")) || !File.Exists(Path.Combine(WebRoot, "app.js")))
        {
            Assert.Fail($"{WebRoot} is not built: run scripts/test, or `source scripts/lib/setup.sh; source scripts/lib/web.sh; build_web`");
        }
        _browser = await BrowserSession.LaunchAsync();
        Assertions.SetDefaultExpectTimeout(30_000); // a noisy 2-core machine
    }

    [OneTimeTearDown]
    public async Task CloseBrowser()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
    }

    [SetUp]
    public async Task StartServerAndPage()
    {
        _server = await RunsServerHost.StartAsync(o => o with { WebRoot = WebRoot });
        _page = await _browser.NewPageAsync();
    }

    [TearDown]
    public async Task ScreenshotAndStop()
    {
        try
        {
            if (_page is not null)
            {
                await _page.ScreenshotAsync(TestContext.CurrentContext.Result.Outcome.Status.ToString().ToLowerInvariant());
                await _page.DisposeAsync();
            }
        }
        finally
        {
            await _server.DisposeAsync();
        }
    }

    [Test]
    public async Task The_printed_url_opens_the_page_and_a_printf_shows_its_text_in_its_colours()
    {
        await OpenAsync();
        Assert.That(Page.Url, Does.Not.Contain("token="), "the token is removed from the address bar");
        Assert.That(await Page.EvaluateAsync<string>("() => sessionStorage.getItem('runsstream.token')"), Is.EqualTo(RunsServerHost.Token));
        // The stock socket.io-client starts with polling and upgrades.
        await Assertions.Expect(Page.Locator("#connection")).ToHaveTextAsync("Connected (WebSocket)");

        var runId = await StartFromFormAsync(@"printf '\033[32mgreen\033[0m plain \033[1;35mbold magenta\033[0m\n'");
        await WaitForTextAsync("green plain bold magenta");
        await Assertions.Expect(Badge(runId)).ToHaveTextAsync("succeeded");
        await Assertions.Expect(Page.Locator("#run-badge")).ToHaveTextAsync("succeeded");
        await Assertions.Expect(Page.Locator("#run-details")).ToContainTextAsync("exit 0");

        var green = await CellAsync("green");
        Assert.That((green.Palette, green.Colour), Is.EqualTo((true, TerminalPaletteGreen)), "as the process wrote it");
        var plain = await CellAsync("plain");
        Assert.That(plain.Default, Is.True, "uncoloured stdout stays in the default colour");
        var magenta = await CellAsync("bold magenta");
        Assert.That((magenta.Palette, magenta.Colour, magenta.Bold), Is.EqualTo((true, TerminalPaletteMagenta, true)));
        Assert.That(_page.Errors, Is.Empty);
    }

    [Test]
    public async Task Stderr_without_colour_of_its_own_is_shown_in_red_and_coloured_stderr_as_written()
    {
        await OpenAsync();
        // The two stderr writes usually arrive as one event: plain and coloured lines together.
        await StartFromFormAsync(@"echo out-line; echo err-line >&2; printf '\033[35mcoloured-err\033[0m\n' >&2; echo done");
        await WaitForTextAsync("done");

        Assert.That((await CellAsync("out-line")).Default, Is.True);
        var err = await CellAsync("err-line");
        Assert.That((err.Palette, err.Colour), Is.EqualTo((true, TerminalPaletteRed)), "plain stderr is distinguished");
        var coloured = await CellAsync("coloured-err");
        Assert.That((coloured.Palette, coloured.Colour), Is.EqualTo((true, TerminalPaletteMagenta)), "stderr with its own colour is not repainted");
        Assert.That((await CellAsync("done")).Default, Is.True, "the colour ends with the stderr chunk");
    }

    [Test]
    public async Task Cancelling_a_sleep_turns_its_badge_cancelled()
    {
        await OpenAsync();
        var runId = await StartFromFormAsync("sleep 60");
        await Assertions.Expect(Page.Locator("#run-badge")).ToHaveTextAsync("running");
        var cancel = Page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" });
        await Assertions.Expect(cancel).ToBeEnabledAsync();

        await cancel.ClickAsync();

        await Assertions.Expect(Page.Locator("#run-badge")).ToHaveTextAsync("cancelled", new() { Timeout = 60_000 });
        await Assertions.Expect(Badge(runId)).ToHaveTextAsync("cancelled", new() { Timeout = 60_000 });
        await Assertions.Expect(cancel).ToBeDisabledAsync();
        var run = await _server.GetRunAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
    }

    [Test]
    public async Task Reloading_mid_run_and_a_dropped_connection_show_the_whole_output_exactly_once()
    {
        await OpenAsync();
        var runId = await StartFromFormAsync("for i in $(seq 1 60); do echo line-$i; sleep 0.1; done");
        await WaitForTextAsync("line-10\n");

        await Page.ReloadAsync();
        await Assertions.Expect(Page.Locator("#connection")).ToHaveTextAsync(new Regex("^Connected"));
        Assert.That(await Page.EvaluateAsync<string>("() => window.runsStream.runId"), Is.EqualTo(runId), "the selected run survives the reload");
        await WaitForTextAsync("line-25\n");

        // The connection drops (as on a server restart): the client reconnects and resubscribes
        // with since = the last seq it received.
        await Page.EvaluateAsync("() => window.runsStream.socket.io.engine.close()");
        await Assertions.Expect(Page.Locator("#run-badge")).ToHaveTextAsync("succeeded", new() { Timeout = 60_000 });
        await WaitForTextAsync("line-60");
        await Assertions.Expect(Page.Locator("#connection")).ToHaveTextAsync(new Regex("^Connected"));

        var text = await Page.EvaluateAsync<string>("() => window.runsStream.text()");
        Assert.That(text.Split('\n'), Is.EqualTo(Enumerable.Range(1, 60).Select(i => $"line-{i}").ToArray()), "no line lost, none doubled");
    }

    [Test]
    public async Task A_wrong_token_shows_a_clear_error_and_the_right_one_typed_in_connects()
    {
        await Page.GotoAsync($"{_server.Url}/?token=wrong-token");

        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = "Access token" });
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Assertions.Expect(dialog.GetByRole(AriaRole.Alert)).ToContainTextAsync("refused this token");
        Assert.That(Page.Url, Does.Not.Contain("wrong-token"));
        await _page.ScreenshotAsync("refused");

        await dialog.GetByLabel("Token").FillAsync(RunsServerHost.Token);
        await dialog.GetByLabel("Token").PressAsync("Enter");

        await Assertions.Expect(dialog).ToBeHiddenAsync();
        await Assertions.Expect(Page.Locator("#connection")).ToHaveTextAsync(new Regex("^Connected"));
        var runId = await _server.StartRunAsync("echo from-rest");
        await Assertions.Expect(Badge(runId)).ToBeVisibleAsync();
    }

    [Test]
    public async Task A_run_printing_20_MB_leaves_the_page_responsive_and_reopens_at_its_tail()
    {
        const long outputBytes = 20_000_000;
        await OpenAsync();
        // A heartbeat inside the page: the longest the main thread went without running a timer.
        await Page.EvaluateAsync(@"() => { window.__maxLag = 0; let last = performance.now();
            setInterval(() => { const now = performance.now(); window.__maxLag = Math.max(window.__maxLag, now - last - 50); last = now; }, 50); }");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var runId = await StartFromFormAsync($"yes 'The quick brown fox jumps over the lazy dog 0123456789' | head -c {outputBytes}; echo; echo END-OF-OUTPUT");
        long maxRoundTrip = 0;
        var samples = 0;
        while (!await Page.EvaluateAsync<bool>(LastRowsContain, "END-OF-OUTPUT"))
        {
            maxRoundTrip = Math.Max(maxRoundTrip, await _page.RoundTripMsAsync());
            samples++;
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(180)), "the output never finished in the terminal");
            await Page.WaitForTimeoutAsync(50); // sampling interval of the probe, not a wait for a condition
        }
        var streamed = clock.Elapsed;
        var maxLag = await Page.EvaluateAsync<double>("() => window.__maxLag");
        var stats = await StatsAsync();
        TestContext.Out.WriteLine($"20 MB streamed in {streamed.TotalSeconds:F1} s; round trip max {maxRoundTrip} ms over {samples} samples; heartbeat lag max {maxLag:F0} ms; {stats}");
        Assert.That(maxRoundTrip, Is.LessThan(1000), "page.evaluate round trips while streaming");
        Assert.That(maxLag, Is.LessThan(1000), "the page's own timers while streaming");
        Assert.That(stats.GetProperty("written").GetInt64(), Is.GreaterThanOrEqualTo(outputBytes), "xterm parsed all of it");
        await _page.ScreenshotAsync("streamed");

        // Finished now (its terminal status follows its last output once no process of it is
        // left): opening it again shows its tail without parsing 20 MB.
        await _server.WaitForTerminalAsync(runId);
        clock.Restart();
        await Page.ReloadAsync();
        await Page.WaitForFunctionAsync(LastRowsContain, "END-OF-OUTPUT", new() { PollingInterval = 50, Timeout = 120_000 });
        var reopened = clock.Elapsed;
        stats = await StatsAsync();
        TestContext.Out.WriteLine($"reopened at the tail in {reopened.TotalSeconds:F1} s; {stats}");
        Assert.That(stats.GetProperty("omitted").GetInt64(), Is.GreaterThan(outputBytes / 2), "only the tail is written to xterm");
        Assert.That(stats.GetProperty("written").GetInt64(), Is.LessThan(outputBytes / 4));
        Assert.That(reopened, Is.LessThan(TimeSpan.FromSeconds(30)));
        await WaitForTextAsync("of earlier output not shown");
        await Assertions.Expect(Page.Locator("#run-notice")).ToContainTextAsync("Download log");
    }

    [Test]
    public async Task Keyboard_alone_starts_a_run_follows_it_and_downloads_its_raw_log()
    {
        await OpenAsync();
        await Page.Keyboard.PressAsync("Tab"); // the skip link comes first
        await Assertions.Expect(Page.GetByRole(AriaRole.Link, new() { Name = "Skip to the output" })).ToBeFocusedAsync();
        await Page.GetByLabel("Command").FocusAsync();
        // The pause keeps the order across the two pipes deterministic (stdout and stderr are read separately).
        await Page.Keyboard.TypeAsync("printf 'a\\033[31mred\\033[0m\\n'; echo second; sleep 0.3; echo third >&2");
        await Page.Keyboard.PressAsync("Control+Enter");
        await WaitForTextAsync("third");

        var runId = await Page.EvaluateAsync<string>("() => window.runsStream.runId");
        await Assertions.Expect(Page.Locator($"button[data-run-id='{runId}']")).ToHaveAttributeAsync("aria-current", "true");
        Assert.That(await Page.GetByLabel("Workspace (optional)").CountAsync(), Is.EqualTo(1), "every field has a label");

        var follow = Page.GetByRole(AriaRole.Button, new() { Name = "Follow" });
        await Assertions.Expect(follow).ToHaveAttributeAsync("aria-pressed", "true");
        await follow.FocusAsync();
        await Page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(follow).ToHaveAttributeAsync("aria-pressed", "false");

        var download = await Page.RunAndWaitForDownloadAsync(async () =>
        {
            await Page.GetByRole(AriaRole.Button, new() { Name = "Download log" }).FocusAsync();
            await Page.Keyboard.PressAsync("Enter");
        });
        Assert.That(download.SuggestedFilename, Is.EqualTo($"{runId}.log"));
        var path = await download.PathAsync();
        Assert.That(await File.ReadAllTextAsync(path!), Is.EqualTo("a\u001b[31mred\u001b[0m\nsecond\nthird\n"), "the raw log, colour codes included");
        await Assertions.Expect(Page.Locator("#run-notice")).ToContainTextAsync($"Downloaded {runId}.log");

        // The terminal keeps no keyboard trap: Tab leaves it.
        await Page.Locator(".xterm-helper-textarea").FocusAsync();
        await Page.Keyboard.PressAsync("Shift+Tab");
        Assert.That(await Page.EvaluateAsync<bool>("() => document.activeElement.classList.contains('xterm-helper-textarea')"), Is.False);
    }

    // ---- helpers ---------------------------------------------------------------------------

    private const string LastRowsContain = @"needle => {
        const t = window.runsStream?.term; if (!t) return false;
        const b = t.buffer.active; let s = '';
        for (let y = Math.max(0, b.length - 8); y < b.length; y++) s += b.getLine(y).translateToString(true) + '\n';
        return s.includes(needle); }";

    private async Task OpenAsync()
    {
        await Page.GotoAsync($"{_server.Url}/?token={Uri.EscapeDataString(RunsServerHost.Token)}");
        await Assertions.Expect(Page.Locator("#connection")).ToHaveTextAsync(new Regex("^Connected"));
    }

    /// <summary>Types the command into the form, starts it, and returns the id of the run now on screen.</summary>
    private async Task<string> StartFromFormAsync(string command)
    {
        await Page.GetByLabel("Command").FillAsync(command);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Start run" }).ClickAsync();
        await Page.WaitForFunctionAsync("() => window.runsStream.runId !== null");
        var runId = await Page.EvaluateAsync<string>("() => window.runsStream.runId");
        await Assertions.Expect(Badge(runId)).ToBeVisibleAsync();
        return runId;
    }

    private ILocator Badge(string runId) => Page.Locator($"button[data-run-id='{runId}'] .badge");

    private async Task WaitForTextAsync(string text) =>
        await Page.WaitForFunctionAsync("s => window.runsStream?.text().includes(s)", text, new() { PollingInterval = 100, Timeout = 60_000 });

    private async Task<JsonElement> StatsAsync() =>
        (await Page.EvaluateAsync<JsonElement?>("() => window.runsStream.stats()"))!.Value;

    private sealed record Cell(bool Palette, int Colour, bool Default, bool Bold);

    /// <summary>The attributes of the first cell of <paramref name="text"/> in the terminal's buffer.</summary>
    private async Task<Cell> CellAsync(string text)
    {
        var cell = await Page.EvaluateAsync<JsonElement?>(@"needle => {
            const b = window.runsStream.term.buffer.active;
            for (let y = 0; y < b.length; y++) {
                const line = b.getLine(y); const x = line.translateToString(false).indexOf(needle);
                if (x < 0) continue;
                const c = line.getCell(x);
                return { palette: !!c.isFgPalette(), colour: c.getFgColor(), isDefault: !!c.isFgDefault(), bold: !!c.isBold() };
            }
            return null; }", text);
        Assert.That(cell, Is.Not.Null, $"'{text}' is not in the terminal");
        var c = cell!.Value;
        return new Cell(c.GetProperty("palette").GetBoolean(), c.GetProperty("colour").GetInt32(), c.GetProperty("isDefault").GetBoolean(), c.GetProperty("bold").GetBoolean());
    }
}
