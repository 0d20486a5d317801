using System.Text;
using Konfido.Core;
using Konfido.Exchange;
using Konfido.Ledger.Log;
using Konfido.Ledger.Merkle;
using Konfido.Ledger.Notes;
using Konfido.Ledger.Witnessing;

namespace Konfido.Node.Tests;

public sealed class LedgerFederationTests
{
    private const string Identifier = "urn:oid:1.2.208.176.1.2|" + ScriptedBackend.PatientId;

    [Fact]
    public async Task Exchanges_are_logged_pseudonymised_and_each_checkpoint_is_cosigned_by_the_other_countries()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES", "IT"]);
        using (var client = await federation.ClientAsync("ES"))
        {
            using var response = await client.GetAsync($"api/DK/Patient/$summary?identifier={Uri.EscapeDataString(Identifier)}");
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        var dk = federation["DK"].Components.Ledger!;
        Assert.True(dk.Log.Head.Size >= 1);
        var entry = Encoding.UTF8.GetString(await dk.Log.ReadEntryAsync(dk.Log.Head.Size - 1));
        Assert.Contains("ips-retrieve", entry);
        Assert.DoesNotContain(ScriptedBackend.PatientId, entry);
        Assert.Contains(PatientPseudonymiser.Prefix, entry);

        var published = await dk.Publisher!.PublishAsync();
        Assert.True(published.Published, string.Join("; ", published.Refusals));
        Assert.Equal(2, published.Quorum.Cosigners.Count);

        var gossip = await dk.GossipAsync();
        Assert.Equal(["ES", "IT"], gossip.Delivered.Order());
        Assert.Equal(0, gossip.SplitViews);
    }

    [Fact]
    public async Task A_log_that_shows_another_history_is_caught_by_gossip_as_a_split_view()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES", "IT"]);
        using (var client = await federation.ClientAsync("ES"))
        {
            using var response = await client.GetAsync($"api/DK/Patient/$summary?identifier={Uri.EscapeDataString(Identifier)}");
        }

        var dk = federation["DK"].Components.Ledger!;
        Assert.True((await dk.Publisher!.PublishAsync()).Published);
        await dk.GossipAsync();

        // DK's log key (in DK's custody) signs a second checkpoint of the same size with another root: a forked history.
        var forged = dk.Signer.Sign(new TreeHead(dk.Log.Head.Size, MerkleHash.EmptyTree));
        using (var client = new FederationClient(federation["DK"].Components.Credentials, federation["DK"].Components.TrustList))
        {
            var response = await client.PostAsync("ES", LedgerProtocol.GossipPath, Encoding.UTF8.GetBytes(forged.ToString()), "text/plain");

            Assert.Equal(System.Net.HttpStatusCode.OK, response.Status);
            Assert.Equal("1", Encoding.UTF8.GetString(response.Body).Trim());
        }

        // Spain raised a security event with both signed checkpoints as evidence, and logged it.
        var alarm = Assert.Single(federation.Events.Events, e => e.Node == "ES" && e.Category == EventCategories.Ledger && e.Action.Contains("split", StringComparison.Ordinal));
        Assert.Equal(EventOutcome.Failure, alarm.Outcome);
    }

    [Fact]
    public async Task A_running_node_publishes_its_grown_log_on_its_own_and_the_witnesses_cosign_it()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES", "IT"], configure: (c, _) =>
        {
            c.Ledger!.PublishInterval = TimeSpan.FromMilliseconds(200);
            return c;
        });
        using (var client = await federation.ClientAsync("ES"))
        {
            using var response = await client.GetAsync($"api/DK/Patient/$summary?identifier={Uri.EscapeDataString(Identifier)}");
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        var dk = federation["DK"].Components.Ledger!;
        var size = dk.Log.Head.Size;
        Assert.True(size > 0);
        // Nobody calls PublishAsync here: the node's own publication loop does (polled for up to 60 s).
        static long PublishedSize(PublicationResult? latest) =>
            latest is { Published: true } ? long.Parse(latest.Checkpoint.ToString().Split('\n')[1], System.Globalization.CultureInfo.InvariantCulture) : -1;
        for (var i = 0; i < 600 && PublishedSize(dk.Publisher!.Latest) < size; i++)
        {
            await Task.Delay(100);
        }

        var published = dk.Publisher!.Latest;
        Assert.NotNull(published);
        Assert.True(published.Published, string.Join("; ", published.Refusals));
        Assert.True(PublishedSize(published) >= size);
        Assert.Equal(2, published.Quorum.Cosigners.Count);
    }
}
