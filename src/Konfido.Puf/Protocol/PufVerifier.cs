// Node side of enrolment and reverse-fuzzy-extractor authentication (references in KeySchedule.cs).
// What the node stores: per device, a pool of single-use challenge seeds with their reference
// responses and a fingerprint response, all encrypted under the node key (IReferenceProtector,
// bound to device id and challenge index). Reference responses are secrets: whoever reads them can
// impersonate the device, which is why they never leave the protector in the clear and are zeroised
// after use. The verification record of a session is the transcript MAC keyed from the response.
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Konfido.Core;
using Konfido.Puf.Keys;

namespace Konfido.Puf.Protocol;

/// <summary>Why an enrolment or authentication was refused.</summary>
public enum PufFailure
{
    /// <summary>Succeeded.</summary>
    None,

    /// <summary>The device id is already enrolled (a second device claiming an enrolled identity).</summary>
    AlreadyEnrolled,

    /// <summary>The new device's response is suspiciously close to an enrolled device's: a clone.</summary>
    CloneSuspected,

    /// <summary>The enrolment response does not match the request.</summary>
    MalformedEnrolment,

    /// <summary>The device is not enrolled.</summary>
    UnknownDevice,

    /// <summary>Every enrolled challenge was used; the device must be re-enrolled.</summary>
    ChallengesExhausted,

    /// <summary>No open authentication with this session id: replayed, expired or never started.</summary>
    UnknownOrReplayedSession,

    /// <summary>The response does not match the enrolled reference (wrong or cloned device, or too noisy).</summary>
    ResponseMismatch,

    /// <summary>The helper data decoded but the device's transcript MAC did not verify: helper data or transcript tampered.</summary>
    HelperDataTampered,

    /// <summary>A stored reference could not be decrypted (storage tampering or wrong node key).</summary>
    ReferenceUnavailable,
}

/// <summary>The outcome of an enrolment.</summary>
/// <param name="Failure">Why it was refused, or <see cref="PufFailure.None"/>.</param>
/// <param name="Detail">A human-readable detail.</param>
public sealed record EnrolmentResult(PufFailure Failure, string Detail)
{
    /// <summary>True when the device was enrolled.</summary>
    public bool Succeeded => Failure == PufFailure.None;
}

/// <summary>The outcome of starting an authentication: the challenge to send, or why there is none.</summary>
/// <param name="Challenge">The challenge, or null.</param>
/// <param name="Failure">Why not.</param>
public sealed record AuthenticationStart(AuthenticationChallenge? Challenge, PufFailure Failure);

/// <summary>The outcome of an authentication: the confirmation and session, or why the device was refused.</summary>
/// <param name="Confirmation">The confirmation to send to the device, or null.</param>
/// <param name="Session">The node's end of the session, or null.</param>
/// <param name="Failure">Why it failed, or <see cref="PufFailure.None"/>.</param>
/// <param name="FractionalDistance">The fractional Hamming distance between the fresh and reference responses, when decoding succeeded.</param>
public sealed record AuthenticationResult(AuthenticationConfirmation? Confirmation, PufSession? Session, PufFailure Failure, double? FractionalDistance)
{
    /// <summary>True when the device authenticated.</summary>
    public bool Succeeded => Failure == PufFailure.None;
}

/// <summary>
/// The node's PUF verifier: enrols devices, runs the node side of mutual authentication and emits
/// <see cref="SecurityEvent"/>s (category <c>device</c>) for every outcome. Thread-safe.
/// </summary>
public sealed class PufVerifier
{
    private readonly PufProtocolSettings _settings;
    private readonly IPufEnrolmentStore _store;
    private readonly IReferenceProtector _protector;
    private readonly ISecurityEventSink _events;
    private readonly string _node;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);

    /// <summary>Creates the verifier.</summary>
    /// <param name="settings">Protocol settings (the same as the devices').</param>
    /// <param name="store">Where enrolments and used challenges are kept.</param>
    /// <param name="protector">Encrypts reference responses under the node key.</param>
    /// <param name="events">Receives the security events.</param>
    /// <param name="node">The node's country code, e.g. <c>DK</c> (the events' <c>Node</c>).</param>
    /// <param name="time">The clock (system clock if null).</param>
    public PufVerifier(PufProtocolSettings settings, IPufEnrolmentStore store, IReferenceProtector protector, ISecurityEventSink events, string node, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(protector);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        _settings = settings;
        _store = store;
        _protector = protector;
        _events = events;
        _node = node;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Creates the enrolment request for a device (fresh random challenge seeds).</summary>
    /// <param name="deviceId">The identity to enrol.</param>
    public EnrolmentRequest CreateEnrolmentRequest(string deviceId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceId);
        var seeds = new List<byte[]>(_settings.Parameters.ChallengePoolSize);
        for (var i = 0; i < _settings.Parameters.ChallengePoolSize; i++)
        {
            seeds.Add(RandomNumberGenerator.GetBytes(16));
        }

        return new EnrolmentRequest(deviceId, seeds, _settings.ResponseBits, _settings.Parameters.FingerprintBits, _settings.Parameters.EnrolmentReads);
    }

    /// <summary>
    /// Completes enrolment in the trusted setting: refuses an already enrolled id and a response close to an
    /// enrolled device's fingerprint (clone), then stores the encrypted references.
    /// </summary>
    /// <param name="request">The request the node created.</param>
    /// <param name="response">The device's measurements.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<EnrolmentResult> CompleteEnrolmentAsync(EnrolmentRequest request, EnrolmentResponse response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(response);
        var deviceId = request.DeviceId;
        if (response.DeviceId != deviceId || response.References.Count != request.ChallengeSeeds.Count
            || response.Fingerprint.Length != (request.FingerprintBits + 7) / 8
            || response.References.Any(r => r.Length != (request.ResponseBits + 7) / 8))
        {
            return await RefuseEnrolment(deviceId, PufFailure.MalformedEnrolment, "the enrolment response does not match the request", null, cancellationToken).ConfigureAwait(false);
        }

        if (await _store.GetAsync(deviceId, cancellationToken).ConfigureAwait(false) is not null)
        {
            return await RefuseEnrolment(deviceId, PufFailure.AlreadyEnrolled, "a device with this id is already enrolled", null, cancellationToken).ConfigureAwait(false);
        }

        var fingerprint = BitPacking.Unpack(response.Fingerprint, request.FingerprintBits);
        foreach (var other in await _store.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            var theirs = _protector.Unprotect(other.ProtectedFingerprint, Binding(other.DeviceId, -1));
            if (theirs is null || theirs.Length != response.Fingerprint.Length)
            {
                continue;
            }

            var distance = (double)BitPacking.HammingDistance(fingerprint, BitPacking.Unpack(theirs, request.FingerprintBits)) / request.FingerprintBits;
            CryptographicOperations.ZeroMemory(theirs);
            if (distance < _settings.Parameters.CloneThreshold)
            {
                CryptographicOperations.ZeroMemory(fingerprint);
                return await RefuseEnrolment(
                    deviceId,
                    PufFailure.CloneSuspected,
                    $"the response is at fractional Hamming distance {distance.ToString("F3", CultureInfo.InvariantCulture)} from enrolled device {other.DeviceId}",
                    new Dictionary<string, string>
                    {
                        ["puf.similar_device"] = other.DeviceId,
                        ["puf.fractional_distance"] = distance.ToString("F4", CultureInfo.InvariantCulture),
                    },
                    cancellationToken).ConfigureAwait(false);
            }
        }

        CryptographicOperations.ZeroMemory(fingerprint);
        var challenges = new List<EnrolledChallenge>(request.ChallengeSeeds.Count);
        for (var i = 0; i < request.ChallengeSeeds.Count; i++)
        {
            challenges.Add(new EnrolledChallenge(i, request.ChallengeSeeds[i], _protector.Protect(response.References[i], Binding(deviceId, i))));
        }

        var enrolment = new DeviceEnrolment(deviceId, _time.GetUtcNow(), request.ResponseBits, _protector.Protect(response.Fingerprint, Binding(deviceId, -1)), challenges);
        if (!await _store.TryAddAsync(enrolment, cancellationToken).ConfigureAwait(false))
        {
            return await RefuseEnrolment(deviceId, PufFailure.AlreadyEnrolled, "a device with this id is already enrolled", null, cancellationToken).ConfigureAwait(false);
        }

        await Emit("puf-enrol", EventOutcome.Success, deviceId, null, new Dictionary<string, string>
        {
            ["puf.challenges"] = challenges.Count.ToString(CultureInfo.InvariantCulture),
        }, cancellationToken).ConfigureAwait(false);
        return new EnrolmentResult(PufFailure.None, $"enrolled with {challenges.Count} single-use challenges");
    }

    /// <summary>Starts an authentication: takes a never-used challenge of the device and a fresh nonce.</summary>
    /// <param name="hello">The device's hello.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<AuthenticationStart> BeginAuthenticationAsync(AuthenticationHello hello, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hello);
        if (hello.DeviceNonce is not { Length: 32 })
        {
            await Emit("puf-auth", EventOutcome.Failure, hello.DeviceId, "malformed hello (nonce must be 32 bytes)", null, cancellationToken).ConfigureAwait(false);
            return new AuthenticationStart(null, PufFailure.UnknownOrReplayedSession);
        }

        if (await _store.GetAsync(hello.DeviceId, cancellationToken).ConfigureAwait(false) is null)
        {
            await Emit("puf-auth", EventOutcome.Failure, hello.DeviceId, "unknown device", null, cancellationToken).ConfigureAwait(false);
            return new AuthenticationStart(null, PufFailure.UnknownDevice);
        }

        var challenge = await _store.TakeUnusedChallengeAsync(hello.DeviceId, cancellationToken).ConfigureAwait(false);
        if (challenge is null)
        {
            await Emit("puf-auth", EventOutcome.Failure, hello.DeviceId, "challenge pool exhausted; re-enrolment needed", null, cancellationToken).ConfigureAwait(false);
            return new AuthenticationStart(null, PufFailure.ChallengesExhausted);
        }

        ExpireOld();
        var sessionId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var nodeNonce = RandomNumberGenerator.GetBytes(32);
        _pending[sessionId] = new Pending(hello.DeviceId, (byte[])hello.DeviceNonce.Clone(), nodeNonce, challenge, _time.GetUtcNow() + _settings.Parameters.SessionTimeout);
        return new AuthenticationStart(new AuthenticationChallenge(sessionId, challenge.Index, challenge.Seed, nodeNonce), PufFailure.None);
    }

    /// <summary>
    /// Completes an authentication: recovers the device's fresh response from the helper data and the
    /// enrolled reference, checks the device's transcript MAC and returns the node's confirmation and session.
    /// Each session id is accepted at most once.
    /// </summary>
    /// <param name="proof">The device's proof.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<AuthenticationResult> CompleteAuthenticationAsync(AuthenticationProof proof, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (!_pending.TryRemove(proof.SessionId ?? string.Empty, out var pending) || pending.Expires < _time.GetUtcNow())
        {
            await Emit("puf-replay", EventOutcome.Failure, pending?.DeviceId, "proof for an unknown, used or expired session (replay?)", new Dictionary<string, string>
            {
                ["puf.session"] = proof.SessionId ?? string.Empty,
            }, cancellationToken).ConfigureAwait(false);
            return new AuthenticationResult(null, null, PufFailure.UnknownOrReplayedSession, null);
        }

        var code = _settings.Code.Code;
        var bits = code.CodewordBits;
        if (proof.HelperData is null || proof.HelperData.Length != (bits + 7) / 8 || proof.DeviceMac is not { Length: 32 })
        {
            return await RefuseAuthentication(pending, PufFailure.HelperDataTampered, "malformed helper data or MAC", null, cancellationToken).ConfigureAwait(false);
        }

        var packedReference = _protector.Unprotect(pending.Challenge.ProtectedReference, Binding(pending.DeviceId, pending.Challenge.Index));
        if (packedReference is null)
        {
            return await RefuseAuthentication(pending, PufFailure.ReferenceUnavailable, "the stored reference response could not be decrypted", null, cancellationToken).ConfigureAwait(false);
        }

        var reference = BitPacking.Unpack(packedReference, bits);
        CryptographicOperations.ZeroMemory(packedReference);
        var helper = BitPacking.Unpack(proof.HelperData, bits);
        var word = new byte[bits];
        for (var i = 0; i < bits; i++)
        {
            word[i] = (byte)(reference[i] ^ helper[i]); // C(s) XOR (r' XOR r)
        }

        if (code.DecodeToCodeword(word) < 0)
        {
            CryptographicOperations.ZeroMemory(reference);
            return await RefuseAuthentication(pending, PufFailure.ResponseMismatch, "the response does not match the enrolled device", null, cancellationToken).ConfigureAwait(false);
        }

        for (var i = 0; i < bits; i++)
        {
            word[i] ^= helper[i]; // r' = C(s) XOR h
        }

        var distance = (double)BitPacking.HammingDistance(word, reference) / bits;
        CryptographicOperations.ZeroMemory(reference);
        var transcript = KeySchedule.Transcript(pending.DeviceId, proof.SessionId!, pending.Challenge.Index, pending.Challenge.Seed, pending.DeviceNonce, pending.NodeNonce, proof.HelperData);
        var secrets = KeySchedule.Derive(word, pending.DeviceNonce, pending.NodeNonce, transcript);
        CryptographicOperations.ZeroMemory(word);
        var expected = KeySchedule.Mac(secrets.DeviceMacKey, "device", transcript);
        if (!CryptographicOperations.FixedTimeEquals(expected, proof.DeviceMac))
        {
            secrets.Clear();
            return await RefuseAuthentication(pending, PufFailure.HelperDataTampered, "helper data decoded but the transcript MAC did not verify", distance, cancellationToken).ConfigureAwait(false);
        }

        var confirmation = new AuthenticationConfirmation(proof.SessionId!, KeySchedule.Mac(secrets.NodeMacKey, "node", transcript));
        var session = new PufSession(proof.SessionId!, pending.DeviceId, PufSessionRole.Node, secrets.DeviceToNode, secrets.NodeToDevice);
        secrets.Clear();
        await Emit("puf-auth", EventOutcome.Success, pending.DeviceId, null, new Dictionary<string, string>
        {
            ["puf.challenge_index"] = pending.Challenge.Index.ToString(CultureInfo.InvariantCulture),
            ["puf.fractional_distance"] = distance.ToString("F4", CultureInfo.InvariantCulture),
        }, cancellationToken).ConfigureAwait(false);
        return new AuthenticationResult(confirmation, session, PufFailure.None, distance);
    }

    private static byte[] Binding(string deviceId, int index) =>
        Encoding.UTF8.GetBytes($"konfido-puf reference v1|{deviceId}|{index.ToString(CultureInfo.InvariantCulture)}");

    private void ExpireOld()
    {
        var now = _time.GetUtcNow();
        foreach (var (id, pending) in _pending)
        {
            if (pending.Expires < now)
            {
                _pending.TryRemove(id, out _);
            }
        }
    }

    private async Task<EnrolmentResult> RefuseEnrolment(string deviceId, PufFailure failure, string reason, Dictionary<string, string>? attributes, CancellationToken cancellationToken)
    {
        var action = failure == PufFailure.CloneSuspected ? "puf-clone-suspected" : "puf-enrol";
        await Emit(action, EventOutcome.Failure, deviceId, reason, attributes, cancellationToken).ConfigureAwait(false);
        return new EnrolmentResult(failure, reason);
    }

    private async Task<AuthenticationResult> RefuseAuthentication(Pending pending, PufFailure failure, string reason, double? distance, CancellationToken cancellationToken)
    {
        var action = failure == PufFailure.HelperDataTampered ? "puf-helper-tampered" : "puf-auth";
        await Emit(action, EventOutcome.Failure, pending.DeviceId, reason, new Dictionary<string, string>
        {
            ["puf.challenge_index"] = pending.Challenge.Index.ToString(CultureInfo.InvariantCulture),
            ["puf.failure"] = failure.ToString(),
        }, cancellationToken).ConfigureAwait(false);
        return new AuthenticationResult(null, null, failure, distance);
    }

    private async Task Emit(string action, EventOutcome outcome, string? deviceId, string? reason, Dictionary<string, string>? attributes, CancellationToken cancellationToken)
    {
        await _events.PublishAsync(new SecurityEvent
        {
            Node = _node,
            Category = EventCategories.Device,
            Action = action,
            Outcome = outcome,
            Actor = deviceId,
            ActorRole = "device",
            Reason = reason,
            Attributes = attributes ?? new Dictionary<string, string>(),
        }, cancellationToken).ConfigureAwait(false);
    }

    private sealed record Pending(string DeviceId, byte[] DeviceNonce, byte[] NodeNonce, EnrolledChallenge Challenge, DateTimeOffset Expires);
}
