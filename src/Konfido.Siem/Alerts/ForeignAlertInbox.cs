using Konfido.Core;

namespace Konfido.Siem.Alerts;

/// <summary>What became of a shared alert received from a peer.</summary>
public enum ForeignAlertOutcome
{
    /// <summary>First received: stored.</summary>
    Stored,

    /// <summary>Already stored and this copy is newer (later last occurrence or higher count): replaced.</summary>
    Updated,

    /// <summary>Already stored and this copy is not newer: ignored.</summary>
    Duplicate,

    /// <summary>Refused (see the reason): not stored.</summary>
    Rejected,
}

/// <summary>The result of receiving one shared alert.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Alert">The alert as stored (for Stored, Updated and Duplicate).</param>
/// <param name="Reason">Why it was rejected (for Rejected).</param>
public sealed record ForeignAlertResult(ForeignAlertOutcome Outcome, Alert? Alert, string? Reason = null);

/// <summary>
/// Keeps the alerts other countries share with this node in its alert store, with the country of
/// origin kept and one row per (origin, alert id): a repeated delivery is a duplicate, a newer copy
/// (the origin merged more occurrences) replaces the stored one. A peer may only deliver its own
/// alerts: the origin must be the authenticated peer's country, and never this node's. Received
/// alerts are never merged with alerts raised here. Thread-safe.
/// </summary>
public sealed class ForeignAlertInbox
{
    private readonly IAlertStore _store;
    private readonly string _localNode;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Creates an inbox over <paramref name="store"/> for the node of country <paramref name="localNode"/>.</summary>
    /// <param name="store">The alert store (initialised by its owner).</param>
    /// <param name="localNode">This node's country code.</param>
    public ForeignAlertInbox(IAlertStore store, string localNode)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (!CountryCode.TryParse(localNode, out var country))
        {
            throw new ArgumentException("the local node must be a two-letter country code", nameof(localNode));
        }

        _store = store;
        _localNode = country.Value;
    }

    /// <summary>
    /// Parses, checks and stores a shared alert delivered by <paramref name="authenticatedPeer"/>
    /// (the country the transport authenticated, e.g. from the peer's mutual-TLS certificate).
    /// Malformed input and a foreign origin are results (<see cref="ForeignAlertOutcome.Rejected"/>), not exceptions.
    /// </summary>
    /// <param name="utf8Json">The <see cref="SharedAlert"/> document.</param>
    /// <param name="authenticatedPeer">The delivering peer's country code.</param>
    /// <param name="cancellationToken">Cancels.</param>
    public Task<ForeignAlertResult> ReceiveAsync(ReadOnlyMemory<byte> utf8Json, string authenticatedPeer, CancellationToken cancellationToken = default) =>
        SharedAlert.TryParse(utf8Json.Span, out var alert, out var error)
            ? ReceiveAsync(alert!, authenticatedPeer, cancellationToken)
            : Task.FromResult(new ForeignAlertResult(ForeignAlertOutcome.Rejected, null, error));

    /// <summary>Stores an already parsed shared alert delivered by <paramref name="authenticatedPeer"/>.</summary>
    /// <param name="alert">The alert.</param>
    /// <param name="authenticatedPeer">The delivering peer's country code.</param>
    /// <param name="cancellationToken">Cancels.</param>
    public async Task<ForeignAlertResult> ReceiveAsync(SharedAlert alert, string authenticatedPeer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (!CountryCode.TryParse(authenticatedPeer, out var peer))
        {
            throw new ArgumentException("the authenticated peer must be a two-letter country code", nameof(authenticatedPeer));
        }

        if (alert.Origin == _localNode)
        {
            return new ForeignAlertResult(ForeignAlertOutcome.Rejected, null, $"origin: {alert.Origin} is this node; a peer cannot deliver this node's alerts");
        }

        if (alert.Origin != peer.Value)
        {
            return new ForeignAlertResult(ForeignAlertOutcome.Rejected, null, $"origin: {alert.Origin} differs from the delivering peer {peer.Value}");
        }

        var received = alert.ToReceivedAlert(peer.Value);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stored = await _store.GetAsync(received.Id, cancellationToken).ConfigureAwait(false);
            if (stored is not null && received.LastSeen <= stored.LastSeen && received.Count <= stored.Count)
            {
                return new ForeignAlertResult(ForeignAlertOutcome.Duplicate, stored);
            }

            await _store.UpsertAsync(received, cancellationToken).ConfigureAwait(false);
            return new ForeignAlertResult(stored is null ? ForeignAlertOutcome.Stored : ForeignAlertOutcome.Updated, received);
        }
        finally
        {
            _gate.Release();
        }
    }
}
