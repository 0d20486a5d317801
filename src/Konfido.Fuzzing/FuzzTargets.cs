using Konfido.Fuzzing.Targets;
using Konfido.Siem.Parsing;

namespace Konfido.Fuzzing;

/// <summary>The registry of every parser of outside input that Konfido fuzzes.</summary>
public static class FuzzTargets
{
    /// <summary>Creates a fresh instance of every target, in a fixed order (construction is cheap; seeds are made on first use).</summary>
    public static IReadOnlyList<FuzzTarget> CreateAll() =>
    [
        new FhirIpsTarget(),
        new FhirMedicationTarget(),
        new SamlResponseTarget(),
        new SamlAuthnRequestTarget(),
        new CrossBorderAssertionTarget(),
        new LogLineTarget(LogFormat.Syslog),
        new LogLineTarget(LogFormat.Atna),
        new LogLineTarget(LogFormat.Cef),
        new LogLineTarget(LogFormat.Auto),
        new SigmaRuleTarget(),
        new SignedNoteTarget(),
        new CheckpointTarget(),
        new NoteKeyTarget(),
        new HeObjectTarget(),
        new HeBundleTarget(),
        new HeProgramTarget(),
        new PufHelperDataTarget(),
        new PolicyYamlTarget(),
        new TrustListTarget(),
        new DetachedJwsTarget(),
        new SealedPayloadTarget(),
        new AttestationQuoteTarget(),
    ];

    /// <summary>The target named <paramref name="name"/> (fresh instance), or null.</summary>
    /// <param name="name">The name.</param>
    public static FuzzTarget? Find(string name) => CreateAll().FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal));
}
