using System.Text;
using System.Text.Json;
using Konfido.Core;

namespace Konfido.Node.Tests;

/// <summary>The node's own events, wired: a back-end outage seen through real exchanges ends up on the ledger and in the console once per transition.</summary>
public sealed class NodeHealthNodeTests
{
    private const string Identifier = "urn:oid:1.2.208.176.1.2|" + ScriptedBackend.PatientId;

    [Fact]
    public async Task A_database_outage_is_reported_once_on_the_ledger_and_in_the_console_and_a_query_error_is_not_an_outage()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var client = await federation.ClientAsync("ES");
        var path = $"api/DK/Patient/$summary?identifier={Uri.EscapeDataString(Identifier)}";
        async Task<int> RetrieveAsync()
        {
            using var response = await client.GetAsync(path);
            return (int)response.StatusCode;
        }

        Assert.Equal(200, await RetrieveAsync());
        var backend = federation.Backends["DK"];
        backend.Failure = new ArgumentException("the query names no patient"); // the query's fault, not the database's
        Assert.NotEqual(200, await RetrieveAsync());
        backend.Failure = new TimeoutException("the database did not answer within 10 s");
        for (var i = 0; i < 3; i++)
        {
            Assert.NotEqual(200, await RetrieveAsync());
        }

        backend.Failure = null;
        Assert.Equal(200, await RetrieveAsync());
        Assert.Equal(200, await RetrieveAsync());
        var dk = federation["DK"];
        await dk.Health.DrainAsync();

        var ledger = dk.Components.Ledger!;
        var onLedger = new List<JsonElement>();
        for (long i = 0; i < ledger.Log.Head.Size; i++)
        {
            var entry = JsonDocument.Parse(Encoding.UTF8.GetString(await ledger.Log.ReadEntryAsync(i))).RootElement.Clone();
            if (entry.GetProperty("category").GetString() == NodeHealth.Category && entry.GetProperty("action").GetString()!.StartsWith("database-", StringComparison.Ordinal))
            {
                onLedger.Add(entry);
            }
        }

        Assert.Equal(["database-unavailable", "database-restored"], onLedger.Select(e => e.GetProperty("action").GetString()));
        Assert.Contains("the database did not answer within 10 s", onLedger[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("3", onLedger[1].GetProperty("attributes").GetProperty("failures").GetString());
        Assert.Equal(onLedger.Select(e => e.GetProperty("id").GetString()),
            dk.WebConsole.Activity.NodeEvents().Where(e => e.Event.Action.StartsWith("database-", StringComparison.Ordinal)).Select(e => e.Event.Id));
        Assert.True(Assert.Single(dk.Health.Conditions(), c => c.Subject == NodeHealth.Database).Healthy);
        Assert.Equal("node-start", dk.WebConsole.Activity.NodeEvents()[0].Event.Action);
    }

    [Fact]
    public async Task A_node_whose_database_fails_answers_its_health_check_with_503_and_its_peers_see_it_as_unreachable_until_it_recovers()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var client = await federation.ClientAsync("ES");
        using var dkLocal = federation.AnonymousClient("DK");
        var path = $"api/DK/Patient/$summary?identifier={Uri.EscapeDataString(Identifier)}";
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync(path)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await dkLocal.GetAsync("health")).StatusCode);
        var dkSeenFromEs = Assert.Single(await federation["ES"].WebConsole.Peers.RefreshAsync());
        Assert.True(dkSeenFromEs.Reachable, dkSeenFromEs.Error);

        federation.Backends["DK"].Failure = new TimeoutException("the database did not answer within 10 s");
        Assert.NotEqual(System.Net.HttpStatusCode.OK, (await client.GetAsync(path)).StatusCode);
        using (var health = await dkLocal.GetAsync("health"))
        {
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, health.StatusCode);
            using var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
            Assert.Equal("degraded", body.RootElement.GetProperty("status").GetString());
            Assert.Equal([NodeHealth.Database], body.RootElement.GetProperty("failing").EnumerateArray().Select(e => e.GetString()));
            Assert.DoesNotContain("10 s", body.RootElement.GetRawText(), StringComparison.Ordinal); // subjects only, never the reason
        }

        dkSeenFromEs = Assert.Single(await federation["ES"].WebConsole.Peers.RefreshAsync());
        Assert.False(dkSeenFromEs.Reachable);
        Assert.True(dkSeenFromEs.Pinned); // the handshake worked: it is the answer that fails
        Assert.Equal("answers HTTP 503: database failing", dkSeenFromEs.Error);

        federation.Backends["DK"].Failure = null;
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync(path)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await dkLocal.GetAsync("health")).StatusCode);
        dkSeenFromEs = Assert.Single(await federation["ES"].WebConsole.Peers.RefreshAsync());
        Assert.True(dkSeenFromEs.Reachable, dkSeenFromEs.Error);
    }
}
