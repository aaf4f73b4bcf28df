using System.Diagnostics;
using Microsoft.Playwright;

namespace RunsStream.Tests.Support;

/// <summary>
/// Debian's headless chromium (<c>/usr/bin/chromium</c>; scripts/test installs it) driven by
/// Microsoft.Playwright: no browser download, a fresh profile per context. One browser per
/// fixture, one context and page per test; screenshots are saved as test attachments.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>The flags that work on this machine (no sandbox in the container, no GPU, no network but loopback).</summary>
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    ];

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private BrowserSession(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public static async Task<BrowserSession> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            Assert.Fail($"{ChromiumPath} is missing: scripts/test installs it (apt-get install chromium)");
        }
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ChromiumArgs,
                Timeout = 120_000,
            });
            return new BrowserSession(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A page in a fresh context (its own sessionStorage), 1280x800, generous timeouts.</summary>
    public async Task<BrowserPage> NewPageAsync()
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            AcceptDownloads = true,
        });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        return new BrowserPage(context, page);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _browser.CloseAsync();
        }
        finally
        {
            _playwright.Dispose();
        }
    }
}

/// <summary>One test's page: its console errors are collected, and it is screenshotted before it closes.</summary>
public sealed class BrowserPage(IBrowserContext context, IPage page) : IAsyncDisposable
{
    private readonly List<string> _errors = Collect(page);

    public IPage Page { get; } = page;

    /// <summary>Uncaught exceptions and console errors of the page so far.</summary>
    public IReadOnlyList<string> Errors => _errors;

    private static List<string> Collect(IPage page)
    {
        var errors = new List<string>();
        page.PageError += (_, message) => { lock (errors) { errors.Add("pageerror: " + message); } };
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (errors) { errors.Add("console: " + message.Text); }
            }
        };
        return errors;
    }

    /// <summary>Saves a PNG of the page under the test's work directory and attaches it to the result.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var test = TestContext.CurrentContext.Test;
        var directory = Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, $"{Sanitize(test.ClassName?.Split('.').Last() ?? "test")}.{Sanitize(test.Name)}.{name}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = file, Timeout = 30_000 });
        TestContext.AddTestAttachment(file, $"{test.Name}: {name}");
        return file;
    }

    /// <summary>Milliseconds of one round trip into the page: how long a user's input would wait.</summary>
    public async Task<long> RoundTripMsAsync()
    {
        var clock = Stopwatch.StartNew();
        await Page.EvaluateAsync("() => document.readyState");
        return clock.ElapsedMilliseconds;
    }

    private static string Sanitize(string name) =>
        new(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());

    public async ValueTask DisposeAsync() => await context.CloseAsync();
}
