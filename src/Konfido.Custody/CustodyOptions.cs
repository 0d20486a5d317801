using Konfido.Core;
using Konfido.Custody.Attestation;
using Konfido.Custody.Tpm;

namespace Konfido.Custody;

/// <summary>Settings of the software backend, as the operator writes them; validated by <see cref="KeyCustody.OpenSoftware"/>.</summary>
public sealed record SoftwareCustodyOptions
{
    /// <summary>The custody directory (key store under <c>keys/</c>); created with mode 0700 if missing.</summary>
    public required string Directory { get; init; }

    /// <summary>The node's measurement (quoted by <see cref="IKeyCustody.Attest"/>).</summary>
    public required NodeMeasurement Measurement { get; init; }

    /// <summary>The machine key file (mode 0600, created if missing); default <c>machine.key</c> in <see cref="Directory"/>
    /// (<c>machine.key.tpm</c> when <see cref="SealMachineKeyTo"/> is set).</summary>
    public string? MachineKeyFile { get; init; }

    /// <summary>If set, the machine key is sealed by this TPM instead of lying in a file in the clear.</summary>
    public TpmEndpoint? SealMachineKeyTo { get; init; }

    /// <summary>Where key lifecycle and refusal events go (category <c>custody</c>: <c>key-create</c>,
    /// <c>key-destroy</c>, refused <c>unseal</c> and <c>decrypt</c>); none if null. The sink is awaited
    /// synchronously, so it should accept quickly (e.g. hand over to a queue).</summary>
    public ISecurityEventSink? Events { get; init; }

    /// <summary>The node's country code, for <see cref="Events"/>; required when <see cref="Events"/> is set.</summary>
    public string? Node { get; init; }
}

/// <summary>Settings of the TPM 2.0 backend, as the operator writes them; validated by <see cref="KeyCustody.OpenTpm"/>.</summary>
public sealed record TpmCustodyOptions
{
    /// <summary>The custody directory (key store and TPM-wrapped key blobs); created with mode 0700 if missing.</summary>
    public required string Directory { get; init; }

    /// <summary>The node's measurement (extended into <see cref="MeasurementPcr"/> and quoted).</summary>
    public required NodeMeasurement Measurement { get; init; }

    /// <summary>The TPM (default <see cref="TpmEndpoint.Default"/>, swtpm on 127.0.0.1:2321).</summary>
    public TpmEndpoint Tpm { get; init; } = TpmEndpoint.Default;

    /// <summary>The resettable PCR that carries the measurement: 16 (debug) or 23 (application); default 23.</summary>
    public int MeasurementPcr { get; init; } = 23;

    /// <summary>The storage primary key's algorithm (default ECC P-256).</summary>
    public TpmStorageKeyAlgorithm StorageKey { get; init; } = TpmStorageKeyAlgorithm.EccP256;

    /// <summary>Where key lifecycle and refusal events go (category <c>custody</c>: <c>key-create</c>,
    /// <c>key-destroy</c>, refused <c>unseal</c> and <c>decrypt</c>); none if null. The sink is awaited
    /// synchronously, so it should accept quickly (e.g. hand over to a queue).</summary>
    public ISecurityEventSink? Events { get; init; }

    /// <summary>The node's country code, for <see cref="Events"/>; required when <see cref="Events"/> is set.</summary>
    public string? Node { get; init; }
}
