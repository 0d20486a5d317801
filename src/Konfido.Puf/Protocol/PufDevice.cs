// Device side of enrolment and reverse-fuzzy-extractor authentication (see KeySchedule.cs for the
// references). The device never decodes: it measures a fresh response r' to the node's challenge,
// publishes the code offset h = r' XOR C(s) for a random s, and keys its MACs from r'.
using System.Security.Cryptography;
using Konfido.Puf.Keys;

namespace Konfido.Puf.Protocol;

/// <summary>Why a device refused to answer a challenge.</summary>
public enum DeviceRefusal
{
    /// <summary>Answered.</summary>
    None,

    /// <summary>The device already answered this challenge seed: a second answer would leak more about the response.</summary>
    ChallengeReused,

    /// <summary>The challenge does not belong to the authentication the device started.</summary>
    UnknownSession,
}

/// <summary>The device's answer to a challenge, or why it refused.</summary>
/// <param name="Proof">The proof to send, or null.</param>
/// <param name="Refusal">Why not.</param>
public sealed record DeviceAnswer(AuthenticationProof? Proof, DeviceRefusal Refusal);

/// <summary>
/// A PUF-equipped device (e.g. an mHealth glucose meter): enrols in a trusted setting, then
/// authenticates to the node and obtains a <see cref="PufSession"/> for its uploads. Not thread-safe:
/// one authentication at a time.
/// </summary>
public sealed class PufDevice
{
    private readonly PufResponseReader _reader;
    private readonly PufProtocolSettings _settings;
    private readonly HashSet<string> _answeredSeeds = new(StringComparer.Ordinal);
    private byte[]? _deviceNonce;
    private Pending? _pending;

    /// <summary>Creates the device.</summary>
    /// <param name="deviceId">The device's identity.</param>
    /// <param name="reader">Its PUF and binarisation.</param>
    /// <param name="settings">The protocol settings (the same as the node's).</param>
    public PufDevice(string deviceId, PufResponseReader reader, PufProtocolSettings settings)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceId);
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(settings);
        DeviceId = deviceId;
        _reader = reader;
        _settings = settings;
    }

    /// <summary>The device's identity.</summary>
    public string DeviceId { get; }

    /// <summary>Trusted setting only: measures the reference responses the node asked for (majority of reads).</summary>
    /// <param name="request">The node's request.</param>
    public EnrolmentResponse Enrol(EnrolmentRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var fingerprint = _reader.Read(PufProtocolSettings.FingerprintSeed, request.FingerprintBits, request.Reads);
        var references = new List<byte[]>(request.ChallengeSeeds.Count);
        foreach (var seed in request.ChallengeSeeds)
        {
            var bits = _reader.Read(seed, request.ResponseBits, request.Reads);
            references.Add(BitPacking.Pack(bits));
            CryptographicOperations.ZeroMemory(bits);
        }

        return new EnrolmentResponse(DeviceId, BitPacking.Pack(fingerprint), references);
    }

    /// <summary>
    /// Creates a device-local key (e.g. for data at rest) with the forward fuzzy extractor: reads the response to
    /// <paramref name="seed"/> (majority of the enrolment reads) and returns the key and its public helper data,
    /// which the device may store anywhere (tampering is detected at reproduction).
    /// </summary>
    /// <param name="seed">Names the key; a fixed seed per key purpose.</param>
    /// <param name="extractor">The extractor (e.g. <c>new FuzzyExtractor(settings.Code)</c>).</param>
    public KeyGeneration CreateLocalKey(ReadOnlySpan<byte> seed, FuzzyExtractor extractor)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        var bits = _reader.Read(seed, LocalKeyResponseBits(extractor), _settings.Parameters.EnrolmentReads);
        var generation = extractor.Generate(bits);
        CryptographicOperations.ZeroMemory(bits);
        return generation;
    }

    /// <summary>Reproduces a key from <see cref="CreateLocalKey"/> with one fresh read; a failure is a result.</summary>
    /// <param name="seed">The same seed.</param>
    /// <param name="extractor">The same extractor settings.</param>
    /// <param name="helperData">The helper data.</param>
    public KeyReproduction ReproduceLocalKey(ReadOnlySpan<byte> seed, FuzzyExtractor extractor, ReadOnlySpan<byte> helperData)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        var bits = _reader.Read(seed, LocalKeyResponseBits(extractor));
        var result = extractor.Reproduce(bits, helperData);
        CryptographicOperations.ZeroMemory(bits);
        return result;
    }

    // With debiasing about four raw bits yield one kept bit; read generously so selection rarely runs short.
    private static int LocalKeyResponseBits(FuzzyExtractor extractor) =>
        extractor.Settings.Parameters.Debias ? extractor.CodewordBits * 5 : extractor.CodewordBits;

    /// <summary>Starts an authentication with a fresh nonce.</summary>
    public AuthenticationHello Hello()
    {
        _deviceNonce = RandomNumberGenerator.GetBytes(32);
        _pending?.Secrets.Clear();
        _pending = null;
        return new AuthenticationHello(DeviceId, _deviceNonce);
    }

    /// <summary>
    /// Answers the node's challenge: fresh response, helper data, transcript MAC. Refuses a challenge seed it
    /// has answered before and a challenge without a preceding <see cref="Hello"/>.
    /// </summary>
    /// <param name="challenge">The node's challenge.</param>
    public DeviceAnswer Respond(AuthenticationChallenge challenge)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        if (_deviceNonce is null)
        {
            return new DeviceAnswer(null, DeviceRefusal.UnknownSession);
        }

        if (!_answeredSeeds.Add(Convert.ToHexString(challenge.ChallengeSeed)))
        {
            return new DeviceAnswer(null, DeviceRefusal.ChallengeReused);
        }

        var code = _settings.Code.Code;
        var response = _reader.Read(challenge.ChallengeSeed, _settings.ResponseBits);
        var message = new byte[code.MessageBits];
        var random = RandomNumberGenerator.GetBytes((message.Length + 7) / 8);
        for (var i = 0; i < message.Length; i++)
        {
            message[i] = (byte)(random[i >> 3] >> (i & 7) & 1);
        }

        var codeword = new byte[code.CodewordBits];
        code.Encode(message, codeword);
        for (var i = 0; i < codeword.Length; i++)
        {
            codeword[i] ^= response[i];
        }

        var helper = BitPacking.Pack(codeword);
        var transcript = KeySchedule.Transcript(DeviceId, challenge.SessionId, challenge.ChallengeIndex, challenge.ChallengeSeed, _deviceNonce, challenge.NodeNonce, helper);
        var secrets = KeySchedule.Derive(response, _deviceNonce, challenge.NodeNonce, transcript);
        CryptographicOperations.ZeroMemory(response);
        CryptographicOperations.ZeroMemory(message);
        CryptographicOperations.ZeroMemory(random);
        CryptographicOperations.ZeroMemory(codeword);
        var mac = KeySchedule.Mac(secrets.DeviceMacKey, "device", transcript);
        _pending = new Pending(challenge.SessionId, transcript, secrets);
        _deviceNonce = null;
        return new DeviceAnswer(new AuthenticationProof(challenge.SessionId, helper, mac), DeviceRefusal.None);
    }

    /// <summary>Checks the node's confirmation; the session on success, null if the node did not prove it recovered the response.</summary>
    /// <param name="confirmation">The node's confirmation.</param>
    public PufSession? Complete(AuthenticationConfirmation confirmation)
    {
        ArgumentNullException.ThrowIfNull(confirmation);
        var pending = _pending;
        if (pending is null || pending.SessionId != confirmation.SessionId)
        {
            return null;
        }

        _pending = null;
        var expected = KeySchedule.Mac(pending.Secrets.NodeMacKey, "node", pending.Transcript);
        if (!CryptographicOperations.FixedTimeEquals(expected, confirmation.NodeMac))
        {
            pending.Secrets.Clear();
            return null;
        }

        var session = new PufSession(pending.SessionId, DeviceId, PufSessionRole.Device, pending.Secrets.DeviceToNode, pending.Secrets.NodeToDevice);
        pending.Secrets.Clear();
        return session;
    }

    private sealed record Pending(string SessionId, byte[] Transcript, SessionSecrets Secrets);
}
