namespace Konfido.Core;

/// <summary>
/// One security-relevant event: a login, a discovery, a retrieval, a dispensation, a consent or
/// policy decision, a ledger, SIEM, PUF, HE or custody occurrence. Every Konfido component emits
/// these through <see cref="ISecurityEventSink"/>; the audit ledger appends them and the SIEM
/// watches them.
/// </summary>
/// <remarks>
/// Field names follow ECS where one exists (<c>event.category</c>, <c>event.action</c>,
/// <c>event.outcome</c>, <c>user.name</c>). <see cref="PatientId"/> is the clear national identifier
/// as the emitting component knows it; consumers that store or share events (ledger, SIEM)
/// pseudonymise it before they do.
/// </remarks>
public sealed record SecurityEvent
{
    /// <summary>A unique identifier for this event (a random UUID unless the emitter sets one).</summary>
    public string Id { get; init; } = Guid.NewGuid().ToString("N");

    /// <summary>When the event happened, in UTC.</summary>
    public DateTimeOffset Timestamp { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The ISO 3166-1 alpha-2 code of the node that emitted the event (e.g. <c>DK</c>).</summary>
    public required string Node { get; init; }

    /// <summary>The component area: one of the <see cref="EventCategories"/> constants.</summary>
    public required string Category { get; init; }

    /// <summary>What happened, e.g. <c>patient-discovery</c>, <c>ips-retrieve</c>, <c>eid-login</c>.</summary>
    public required string Action { get; init; }

    /// <summary>Whether the action succeeded, failed, or the outcome is not known.</summary>
    public EventOutcome Outcome { get; init; } = EventOutcome.Success;

    /// <summary>The acting principal (a professional's identifier, a device id, a node), if any.</summary>
    public string? Actor { get; init; }

    /// <summary>The actor's role (e.g. an ISCO-08 code or <c>doctor</c>), if known.</summary>
    public string? ActorRole { get; init; }

    /// <summary>The actor's organisation, if known.</summary>
    public string? Organisation { get; init; }

    /// <summary>The purpose of use (<c>TREATMENT</c>, <c>EMERGENCY</c>), if the action had one.</summary>
    public string? PurposeOfUse { get; init; }

    /// <summary>The patient concerned, as a national identifier; pseudonymised by consumers before storage.</summary>
    public string? PatientId { get; init; }

    /// <summary>The country the request came from (the professional's country, "B").</summary>
    public string? SourceCountry { get; init; }

    /// <summary>The country the request was served by (the patient's home country, "A").</summary>
    public string? TargetCountry { get; init; }

    /// <summary>The network address of the caller, if the event came from a network request.</summary>
    public string? SourceIp { get; init; }

    /// <summary>A short human-readable reason, mandatory for failures and denials.</summary>
    public string? Reason { get; init; }

    /// <summary>Further attributes specific to the category (flat string key/value pairs).</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = EmptyAttributes;

    private static readonly IReadOnlyDictionary<string, string> EmptyAttributes =
        new Dictionary<string, string>(0);
}

/// <summary>The outcome of a <see cref="SecurityEvent"/>, as ECS <c>event.outcome</c>.</summary>
public enum EventOutcome
{
    /// <summary>The action succeeded.</summary>
    Success,

    /// <summary>The action failed or was denied.</summary>
    Failure,

    /// <summary>The outcome is not known (yet).</summary>
    Unknown,
}

/// <summary>The categories of <see cref="SecurityEvent"/>s, one per Konfido component area.</summary>
public static class EventCategories
{
    /// <summary>Cross-border exchange: discovery, retrieval, dispensation, trust-list decisions.</summary>
    public const string Exchange = "exchange";

    /// <summary>eID: logins, assertion issuance and verification.</summary>
    public const string Identity = "identity";

    /// <summary>Consent changes and access-policy decisions.</summary>
    public const string Policy = "policy";

    /// <summary>The audit ledger: checkpoints, witnessing, split views.</summary>
    public const string Ledger = "ledger";

    /// <summary>SIEM incidents and alerts.</summary>
    public const string Siem = "siem";

    /// <summary>PUF device enrolment and authentication.</summary>
    public const string Device = "device";

    /// <summary>Homomorphic-encryption services: key generation, decryption requests, parameters.</summary>
    public const string HomomorphicEncryption = "he";

    /// <summary>Key custody and attestation.</summary>
    public const string Custody = "custody";

    /// <summary>The node's own health: starts and stops (clean or not), peers lost and back, database and ledger outages.</summary>
    public const string Node = "node";
}
