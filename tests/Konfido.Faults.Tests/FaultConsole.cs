using System.Globalization;
using System.Text.Json;
using Konfido.Browser.Testing;
using Konfido.Node;
using Microsoft.Playwright;

namespace Konfido.Faults.Tests;

/// <summary>One Chromium for the fault tests, to open the nodes' consoles after each fault (logged in through the node's real eIDAS pages).</summary>
public sealed class FaultConsole : IAsyncLifetime
{
    private ConsoleBrowser? _browser;

    public ConsoleBrowser Browser => _browser ?? throw new InvalidOperationException("the browser is not started");

    public async Task InitializeAsync()
    {
        // The consoles refresh every few seconds: what a fault changes may take a refresh to show.
        Assertions.SetDefaultExpectTimeout(30_000);
        _browser = await ConsoleBrowser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
    }

    /// <summary>Opens <paramref name="node"/>'s console as its auditor, on the page <paramref name="tab"/>.</summary>
    internal async Task<IPage> OpenAsync(NodeProcess node, string tab, string? person = null)
    {
        var page = await Browser.LoginAsync(node.LocalUri, person ?? DemoProfessionals.Auditor(node.Country));
        await page.ClickAsync($"#tabs a[data-tab={tab}]");
        return page;
    }

    /// <summary>
    /// Waits until <paramref name="node"/>'s console API reports <paramref name="subject"/> (e.g. <c>peer/IT</c>) as
    /// <paramref name="healthy"/>: the test's way of letting a fault last until the node has seen it.
    /// </summary>
    internal static async Task WaitForConditionAsync(NodeProcess node, string subject, bool healthy)
    {
        using var client = node.Client();
        await EidLogin.LoginAsync(client, DemoProfessionals.Operator(node.Country), "substantial");
        string last = "";
        for (var i = 0; i < 900; i++)
        {
            using var response = await client.GetAsync("console/api/health");
            last = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode)
            {
                using var health = JsonDocument.Parse(last);
                if (health.RootElement.GetProperty("conditions").EnumerateArray()
                    .Any(c => c.GetProperty("subject").GetString() == subject && c.GetProperty("healthy").GetBoolean() == healthy))
                {
                    return;
                }
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{node.Country} did not report {subject} {(healthy ? "working" : "failing")} within 90 s: {last}");
    }

    /// <summary>
    /// The node health page's rows for a fault (<paramref name="lost"/>) and its recovery (<paramref name="restored"/>)
    /// at or after <paramref name="since"/>: at least one of each, every loss followed by a recovery (a dependency
    /// may come and go more than once during one fault); returns the first loss and the last recovery.
    /// </summary>
    internal static async Task<(ILocator Lost, ILocator Restored)> LostAndRestoredAsync(IPage page, string lost, string restored, DateTimeOffset since)
    {
        var losses = await HealthRowsAsync(page, lost, since);
        var recoveries = await HealthRowsAsync(page, restored, since);
        Assert.NotEmpty(losses);
        Assert.Equal(losses.Count, recoveries.Count);
        // Newest first: the last recovery is above the first loss.
        Assert.True(await TimeOfAsync(recoveries[0]) >= await TimeOfAsync(losses[^1]));
        return (losses[^1], recoveries[0]);
    }

    /// <summary>When the event of a node health row happened.</summary>
    internal static async Task<DateTimeOffset> TimeOfAsync(ILocator row) =>
        DateTimeOffset.Parse(await row.GetAttributeAsync("data-time") ?? "", CultureInfo.InvariantCulture);

    /// <summary>The rows of the node health page for <paramref name="action"/> whose event happened at or after <paramref name="since"/>.</summary>
    internal static async Task<IReadOnlyList<ILocator>> HealthRowsAsync(IPage page, string action, DateTimeOffset since)
    {
        var rows = page.Locator($"#health-events tr[data-action={action}]");
        var result = new List<ILocator>();
        for (var i = 0; i < await rows.CountAsync(); i++)
        {
            var time = DateTimeOffset.Parse(await rows.Nth(i).GetAttributeAsync("data-time") ?? "", CultureInfo.InvariantCulture);
            if (time >= since)
            {
                result.Add(rows.Nth(i));
            }
        }

        return result;
    }
}
