namespace Konfido.Core;

/// <summary>
/// Receives <see cref="SecurityEvent"/>s. The one event interface of Konfido: the exchange node,
/// eID, policy, PUF, HE and custody components emit through it; the audit ledger and the SIEM
/// implement it.
/// </summary>
/// <remarks>
/// An implementation must either accept the event durably (or hand it on to something that does)
/// or throw; it must never drop an event silently.
/// </remarks>
public interface ISecurityEventSink
{
    /// <summary>Accepts one event. Requires <paramref name="securityEvent"/> to be non-null.</summary>
    /// <param name="securityEvent">The event.</param>
    /// <param name="cancellationToken">Cancels the hand-over.</param>
    ValueTask PublishAsync(SecurityEvent securityEvent, CancellationToken cancellationToken = default);
}
