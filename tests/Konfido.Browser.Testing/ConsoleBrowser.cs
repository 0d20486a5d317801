using System.Collections.Concurrent;
using Microsoft.Playwright;
using Xunit;

namespace Konfido.Browser.Testing;

/// <summary>
/// A headless Chromium (Debian's, never a downloaded one: <c>KONFIDO_CHROMIUM</c> or <c>/usr/bin/chromium</c>)
/// for opening nodes' web consoles. Each login gets a browser context of its own; script errors and
/// Content-Security-Policy refusals of every page are collected for <see cref="AssertNoPageErrors"/>.
/// </summary>
public sealed class ConsoleBrowser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly List<IBrowserContext> _contexts = [];
    private readonly ConcurrentDictionary<IPage, ConcurrentQueue<string>> _errors = new();

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    /// <summary>The browser.</summary>
    public IBrowser Browser { get; }

    /// <summary>Where <see cref="ScreenshotAsync"/> saves (<c>KONFIDO_CONSOLE_SCREENSHOTS</c>, or a folder under the temporary folder).</summary>
    public string Screenshots { get; } = Environment.GetEnvironmentVariable("KONFIDO_CONSOLE_SCREENSHOTS")
        ?? Path.Combine(Path.GetTempPath(), "konfido-console-screenshots");

    /// <summary>Starts Chromium; fails (never skips) when it is not installed.</summary>
    public static async Task<ConsoleBrowser> LaunchAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("KONFIDO_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            throw new InvalidOperationException($"Chromium not found at {chromium}: run scripts/test-setup.d/30-chromium.sh (installs Debian's chromium) or set KONFIDO_CHROMIUM");
        }

        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox"] });
            return new ConsoleBrowser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the console of the node whose local API is <paramref name="localUri"/> in a fresh browser
    /// context and logs in as <paramref name="person"/> through the node's real eIDAS flow: the console's
    /// login link, the AuthnRequest form, the embedded test eIDAS node's chooser page, the Response posted back.
    /// </summary>
    public async Task<IPage> LoginAsync(Uri localUri, string person)
    {
        ArgumentNullException.ThrowIfNull(localUri);
        var context = await Browser.NewContextAsync(new() { IgnoreHTTPSErrors = true, ViewportSize = new() { Width = 1360, Height = 900 } });
        lock (_contexts)
        {
            _contexts.Add(context);
        }

        var page = await context.NewPageAsync();
        // Script errors and Content-Security-Policy violations (a refused HTTP status is the page's business, not an error).
        var errors = _errors.GetOrAdd(page, _ => new());
        page.PageError += (_, error) => errors.Enqueue("uncaught: " + error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                errors.Enqueue(message.Text);
            }
        };
        var console = new Uri(localUri, "console/").AbsoluteUri;
        await page.GotoAsync(console);
        await page.ClickAsync("#login-link");
        await page.WaitForSelectorAsync("text=Test eIDAS node");
        await page.SelectOptionAsync("select[name=person]", person);
        await page.ClickAsync("button[type=submit]");
        try
        {
            // Polled, not a navigation waiter: the redirect back may already have happened when this starts.
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("^" + System.Text.RegularExpressions.Regex.Escape(console)), new() { Timeout = 30_000 });
        }
        catch (PlaywrightException ex)
        {
            // Where the login stopped, and what the node said there.
            throw new InvalidOperationException($"the eID login of {person} did not return to {console}: at {page.Url}: {await page.InnerTextAsync("body")}", ex);
        }

        await Assertions.Expect(page.Locator("#who")).ToBeVisibleAsync();
        return page;
    }

    /// <summary>Fails if the page had a script error or refused something under its Content-Security-Policy.</summary>
    public void AssertNoPageErrors(IPage page) => Assert.Empty(_errors.GetValueOrDefault(page) ?? []);

    /// <summary>Saves a full-page screenshot named <paramref name="name"/> under <see cref="Screenshots"/>.</summary>
    public Task ScreenshotAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        Directory.CreateDirectory(Screenshots);
        return page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }

        await Browser.CloseAsync();
        _playwright.Dispose();
    }
}
