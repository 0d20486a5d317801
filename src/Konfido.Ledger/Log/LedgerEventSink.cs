using Konfido.Core;

namespace Konfido.Ledger.Log;

/// <summary>
/// The ledger's append path for security events: pseudonymises the patient identifier, encodes the
/// event (<see cref="SecurityEventEncoding"/>) and appends it to the log; <see cref="PublishAsync"/>
/// completes only once the entry is durable.
/// </summary>
/// <param name="log">The log to append to.</param>
/// <param name="pseudonymiser">The federation's pseudonymiser.</param>
public sealed class LedgerEventSink(MerkleLog log, PatientPseudonymiser pseudonymiser) : ISecurityEventSink
{
    private readonly MerkleLog _log = log ?? throw new ArgumentNullException(nameof(log));
    private readonly PatientPseudonymiser _pseudonymiser = pseudonymiser ?? throw new ArgumentNullException(nameof(pseudonymiser));

    /// <inheritdoc />
    public async ValueTask PublishAsync(SecurityEvent securityEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(securityEvent);
        await AppendAsync(securityEvent, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Appends the event and returns its index in the log once durable.</summary>
    /// <param name="securityEvent">The event.</param>
    /// <param name="cancellationToken">Cancels waiting for queue room.</param>
    public ValueTask<long> AppendAsync(SecurityEvent securityEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(securityEvent);
        return _log.AppendAsync(SecurityEventEncoding.Encode(securityEvent, _pseudonymiser), cancellationToken);
    }
}
