using System.Security.Cryptography;
using Konfido.Core;

namespace Konfido.Custody.Attestation;

/// <summary>
/// Checks peers' attestation quotes before data is exchanged with them: issues single-use nonces,
/// checks each quote against the peer's enrolled attestation key and the federation's expected
/// measurements, and reports every outcome (failures in particular) as a <see cref="SecurityEvent"/>
/// of category <see cref="EventCategories.Custody"/>, action <c>attestation-verify</c>.
/// </summary>
/// <remarks>Thread-safe. A nonce is accepted once: a replayed quote fails with <see cref="AttestationFailure.WrongNonce"/>.</remarks>
public sealed class AttestationVerifier
{
    /// <summary>The nonce size this verifier issues, in bytes.</summary>
    public const int NonceSize = 32;

    /// <summary>The event action of attestation checks.</summary>
    public const string EventAction = "attestation-verify";

    private readonly NodeMeasurement[] _expected;
    private readonly ISecurityEventSink _events;
    private readonly string _node;
    private readonly TimeProvider _time;
    private readonly TimeSpan _nonceLifetime;
    private readonly Dictionary<string, (string Peer, DateTimeOffset Expires)> _outstanding = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Creates a verifier. Requires at least one expected measurement and a positive nonce lifetime.</summary>
    /// <param name="expectedMeasurements">The federation's accepted measurements.</param>
    /// <param name="events">Where outcomes are reported.</param>
    /// <param name="node">The verifying node's country code, for events.</param>
    /// <param name="nonceLifetime">How long an issued nonce stays valid (default 5 minutes).</param>
    /// <param name="time">The clock (default: system).</param>
    public AttestationVerifier(IEnumerable<NodeMeasurement> expectedMeasurements, ISecurityEventSink events, string node,
        TimeSpan? nonceLifetime = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(expectedMeasurements);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        _expected = expectedMeasurements.ToArray();
        if (_expected.Length == 0)
        {
            throw new ArgumentException("At least one expected measurement is required.", nameof(expectedMeasurements));
        }

        _nonceLifetime = nonceLifetime ?? TimeSpan.FromMinutes(5);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_nonceLifetime, TimeSpan.Zero, nameof(nonceLifetime));
        _events = events;
        _node = node;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Issues a fresh random nonce for <paramref name="peer"/> to quote over.</summary>
    /// <param name="peer">The peer (e.g. its country code), recorded with the nonce.</param>
    public byte[] CreateNonce(string peer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(peer);
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            foreach (var stale in _outstanding.Where(e => e.Value.Expires <= now).Select(e => e.Key).ToList())
            {
                _outstanding.Remove(stale);
            }

            _outstanding[Convert.ToHexString(nonce)] = (peer, now + _nonceLifetime);
        }

        return nonce;
    }

    /// <summary>Verifies <paramref name="quote"/> from <paramref name="peer"/> and consumes its nonce; reports the outcome.</summary>
    /// <param name="quote">The peer's quote.</param>
    /// <param name="attestationKey">The peer's enrolled attestation public key (SubjectPublicKeyInfo DER).</param>
    /// <param name="peer">The peer the nonce was issued to.</param>
    /// <param name="cancellationToken">Cancels the event hand-over.</param>
    public async ValueTask<AttestationResult> VerifyAsync(AttestationQuote quote, ReadOnlyMemory<byte> attestationKey, string peer,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(quote);
        ArgumentException.ThrowIfNullOrWhiteSpace(peer);
        var result = ConsumeNonce(quote.Nonce.Span, peer)
            ? QuoteChecks.Check(quote, attestationKey.Span, quote.Nonce.Span, _expected)
            : new AttestationResult(AttestationFailure.WrongNonce, "the nonce was not issued to this peer, was already used, or expired");

        await _events.PublishAsync(new SecurityEvent
        {
            Node = _node,
            Category = EventCategories.Custody,
            Action = EventAction,
            Outcome = result.IsValid ? EventOutcome.Success : EventOutcome.Failure,
            Actor = peer,
            Reason = result.IsValid ? null : result.Reason,
            Attributes = new Dictionary<string, string>
            {
                ["attestation.format"] = quote.Format,
                ["attestation.failure"] = result.Failure.ToString(),
                ["attestation.measurement"] = Convert.ToHexStringLower(quote.Measurement.Span),
            },
        }, cancellationToken).ConfigureAwait(false);
        return result;
    }

    private bool ConsumeNonce(ReadOnlySpan<byte> nonce, string peer)
    {
        var key = Convert.ToHexString(nonce);
        lock (_gate)
        {
            if (!_outstanding.Remove(key, out var entry))
            {
                return false;
            }

            return entry.Peer == peer && entry.Expires > _time.GetUtcNow();
        }
    }
}
