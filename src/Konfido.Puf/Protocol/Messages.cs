namespace Konfido.Puf.Protocol;

/// <summary>Node → device, trusted setting only: which challenges to measure for enrolment.</summary>
/// <param name="DeviceId">The identity the device is enrolled under.</param>
/// <param name="ChallengeSeeds">One 16-byte seed per single-use authentication challenge.</param>
/// <param name="ResponseBits">Bits per challenge response.</param>
/// <param name="FingerprintBits">Bits of the public fingerprint response.</param>
/// <param name="Reads">Reads per challenge, combined by majority.</param>
public sealed record EnrolmentRequest(string DeviceId, IReadOnlyList<byte[]> ChallengeSeeds, int ResponseBits, int FingerprintBits, int Reads);

/// <summary>Device → node, trusted setting only: the reference responses (packed bits). Never sent in the field.</summary>
/// <param name="DeviceId">The identity.</param>
/// <param name="Fingerprint">The packed fingerprint response.</param>
/// <param name="References">The packed reference response per challenge seed, in request order.</param>
public sealed record EnrolmentResponse(string DeviceId, byte[] Fingerprint, IReadOnlyList<byte[]> References);

/// <summary>Device → node: opens an authentication.</summary>
/// <param name="DeviceId">The claimed identity.</param>
/// <param name="DeviceNonce">32 fresh random bytes.</param>
public sealed record AuthenticationHello(string DeviceId, byte[] DeviceNonce);

/// <summary>Node → device: a never-used challenge and the node's nonce.</summary>
/// <param name="SessionId">Names this authentication.</param>
/// <param name="ChallengeIndex">The challenge's index in the device's enrolled pool.</param>
/// <param name="ChallengeSeed">The challenge seed (expands to the SLM patterns and wavelengths).</param>
/// <param name="NodeNonce">32 fresh random bytes.</param>
public sealed record AuthenticationChallenge(string SessionId, int ChallengeIndex, byte[] ChallengeSeed, byte[] NodeNonce);

/// <summary>Device → node: the reverse fuzzy extractor's helper data and the device's transcript MAC.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="HelperData">The packed code offset: fresh response XOR a random codeword.</param>
/// <param name="DeviceMac">HMAC-SHA-256 over the transcript under a key derived from the fresh response.</param>
public sealed record AuthenticationProof(string SessionId, byte[] HelperData, byte[] DeviceMac);

/// <summary>Node → device: proves the node recovered the same response (mutual authentication).</summary>
/// <param name="SessionId">The session.</param>
/// <param name="NodeMac">HMAC-SHA-256 over the transcript under the node's derived key.</param>
public sealed record AuthenticationConfirmation(string SessionId, byte[] NodeMac);
