using Konfido.Core;
using Konfido.Testing;

namespace Konfido.Custody.Tests;

/// <summary>Key lifecycle and refusals reach the event sink (for the ledger and the SIEM), over both backends.</summary>
public sealed class CustodyEventTests
{
    private static KeyCustody Open(string backend, string directory, ISecurityEventSink events) => backend switch
    {
        "software" => KeyCustody.OpenSoftware(new SoftwareCustodyOptions { Directory = directory, Measurement = CustodyFactory.Measurement, Events = events, Node = "DK" }),
        _ => KeyCustody.OpenTpm(new TpmCustodyOptions { Directory = directory, Measurement = CustodyFactory.Measurement, Tpm = CustodyFactory.TpmEndpoint, Events = events, Node = "DK" }),
    };

    [Theory]
    [MemberData(nameof(CustodyFactory.Backends), MemberType = typeof(CustodyFactory))]
    public void Creation_destruction_and_refusals_are_reported_without_secrets(string backend)
    {
        var events = new InMemorySecurityEventSink();
        using var directory = new TemporaryDirectory();
        using var custody = Open(backend, directory.Path, events);
        var id = CustodyKeyId.Parse("patient/51c0");
        custody.CreateKey(id, CustodyKeyKind.Aes256Gcm);
        var ciphertext = custody.Encrypt(id, "penicillin allergy"u8, []);
        var blob = custody.Seal("x"u8);
        blob[^1] ^= 1;
        Assert.False(custody.Unseal(blob).Succeeded);
        custody.DestroyKey(id);
        Assert.False(custody.Decrypt(id, ciphertext, []).Succeeded);

        Assert.Equal(["key-create", "unseal", "key-destroy", "decrypt"], events.Events.Select(e => e.Action));
        Assert.All(events.Events, e => Assert.Equal((EventCategories.Custody, "DK", backend), (e.Category, e.Node, e.Attributes["custody.backend"])));
        Assert.Equal([EventOutcome.Success, EventOutcome.Failure, EventOutcome.Success, EventOutcome.Failure], events.Events.Select(e => e.Outcome));
        Assert.Contains("Tampered", events.Events[1].Reason, StringComparison.Ordinal);
        Assert.Contains("KeyDestroyed", events.Events[3].Reason, StringComparison.Ordinal);
        Assert.Equal("patient/51c0", events.Events[3].Attributes["custody.key_id"]);
    }

    [Fact]
    public void Events_need_the_node_code()
    {
        using var directory = new TemporaryDirectory();
        var ex = Assert.Throws<ArgumentException>(() => KeyCustody.OpenSoftware(new SoftwareCustodyOptions
        {
            Directory = directory.Path,
            Measurement = CustodyFactory.Measurement,
            Events = new InMemorySecurityEventSink(),
        }));
        Assert.Contains("Node", ex.Message, StringComparison.Ordinal);
    }
}
