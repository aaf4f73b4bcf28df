using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RunsStream.Tests.Server.Auth;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Web;

/// <summary>Issue 15 item 5: who is signed in, refusals said plainly, an expired token asks for a new one.</summary>
public sealed partial class WebTerminalTests
{
    /// <summary>This test's server, replaced by one that also takes signed tokens.</summary>
    private async Task UseSignedTokensAsync()
    {
        await _server.DisposeAsync();
        _server = await AuthFixture.StartAsync(configure: o => o with { WebRoot = WebRoot });
    }

    [Test]
    public async Task The_top_bar_shows_who_is_signed_in_and_a_missing_scope_is_said_plainly()
    {
        await UseSignedTokensAsync();
        var token = AuthFixture.Token("alice", "a,b", "runs:read");
        await Page.GotoAsync($"{_server.Url}/?token={Uri.EscapeDataString(token)}");
        await Assertions.Expect(Page.Locator("#connection")).ToHaveTextAsync(new Regex("^Connected"));
        await Assertions.Expect(Page.Locator("#signed-in")).ToHaveTextAsync("Signed in as alice · workspaces a, b · runs:read");

        await Page.GetByLabel("Command").FillAsync("echo hi");
        await Page.Locator("#workspace").FillAsync("a");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Start run" }).ClickAsync();
        await Assertions.Expect(Page.Locator("#start-error")).ToHaveTextAsync("Could not start the run: Not allowed (403): This token lacks the runs:write scope");
    }

    [Test]
    public async Task A_token_that_expires_while_the_page_is_open_asks_for_a_new_one()
    {
        await UseSignedTokensAsync();
        var now = DateTimeOffset.UtcNow;
        var exp = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds() + 4);
        var token = AuthFixture.Token("alice", "a", "runs:read", exp - now, now);
        await Page.GotoAsync($"{_server.Url}/?token={Uri.EscapeDataString(token)}");
        await Assertions.Expect(Page.Locator("#signed-in")).ToContainTextAsync("alice");
        // The server's token-expired event (or, if the socket is between connections, the REST 401) opens the dialog.
        await Assertions.Expect(Page.Locator("#token-dialog")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(Page.Locator("#token-error")).ToContainTextAsync("Your token has expired. Enter a new one");
        await Assertions.Expect(Page.Locator("#signed-in")).ToBeHiddenAsync();

        var fresh = AuthFixture.Token("bob", "*", "runs:read runs:write");
        await Page.Locator("#token").FillAsync(fresh);
        await Page.Locator("#token").PressAsync("Enter");
        await Assertions.Expect(Page.Locator("#signed-in")).ToHaveTextAsync("Signed in as bob · all workspaces · runs:read runs:write");
        await Assertions.Expect(Page.Locator("#connection")).ToHaveTextAsync(new Regex("^Connected"));
    }
}
