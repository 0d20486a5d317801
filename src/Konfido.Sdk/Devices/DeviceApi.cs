using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Konfido.Puf.Protocol;

namespace Konfido.Sdk;

/// <summary>The outcome of a device authentication: the session, or why the node (or the device) refused.</summary>
/// <param name="Session">The authenticated session, or null.</param>
/// <param name="Failure">Why not (the node's <c>PufFailure</c> name, or <c>NodeNotAuthenticated</c> when the node failed to prove itself), or <c>None</c>.</param>
/// <param name="Detail">A human-readable detail.</param>
public sealed record DeviceAuthentication(DeviceSession? Session, string Failure, string Detail)
{
    /// <summary>True when the device authenticated and holds a session.</summary>
    public bool Succeeded => Session is not null;
}

/// <summary>What the node says about an uploaded batch.</summary>
/// <param name="UploadId">The client-chosen upload id.</param>
/// <param name="Accepted">True when the node holds the batch (now or from an earlier attempt).</param>
/// <param name="Duplicate">True when the node had already accepted this upload id: nothing was counted twice.</param>
/// <param name="Readings">The readings the batch carries.</param>
/// <param name="Reason">Why the node refused it, when it did.</param>
public sealed record UploadReceipt(string UploadId, bool Accepted, bool Duplicate, int Readings, string? Reason);

/// <summary>An HE analytics program a device can upload readings to.</summary>
/// <param name="Id">The program id.</param>
/// <param name="Kind">The reading kind it aggregates (see <see cref="ReadingKinds"/>).</param>
/// <param name="Unit">The unit of the readings (e.g. <c>mmol/L</c>).</param>
/// <param name="Decimals">Readings are encoded as integers of value × 10^Decimals.</param>
/// <param name="Slots">Readings per encrypted batch.</param>
/// <param name="Input">The program's secret input.</param>
/// <param name="MaxValue">The largest encoded value one slot may hold.</param>
/// <param name="KeyId">The SHA-256 (hex) of the data owner's public key bundle: a batch is bound to the key it was encrypted under.</param>
public sealed record AnalyticsProgram(string Id, string Kind, string Unit, int Decimals, int Slots, string Input, long MaxValue, string KeyId);

/// <summary>A device's authenticated session with the node: its uploads are sealed under the PUF-derived session key. Dispose to zeroise the keys.</summary>
public sealed class DeviceSession : IDisposable
{
    private readonly PufSession _keys;
    private readonly SemaphoreSlim _gate = new(1, 1);

    internal DeviceSession(string deviceId, string sessionId, DateTimeOffset expires, PufSession keys)
    {
        DeviceId = deviceId;
        SessionId = sessionId;
        Expires = expires;
        _keys = keys;
    }

    /// <summary>The authenticated device.</summary>
    public string DeviceId { get; }

    /// <summary>The session id (sent with every request of the session).</summary>
    public string SessionId { get; }

    /// <summary>When the node forgets the session.</summary>
    public DateTimeOffset Expires { get; }

    /// <summary>Zeroises the session keys.</summary>
    public void Dispose()
    {
        _keys.Dispose();
        _gate.Dispose();
    }

    // The record counter must reach the node in order: one sealed request at a time per session.
    internal async Task<T> SealedAsync<T>(Func<Func<byte[], byte[], byte[]>, Task<T>> send, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await send((plaintext, associatedData) => _keys.Seal(plaintext, associatedData)).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}

/// <summary>The device side of the node's API (<c>/devices/v1</c>): authentication, analytics programs, sealed uploads.</summary>
public sealed class DeviceApi
{
    private readonly KonfidoClient _client;

    internal DeviceApi(KonfidoClient client) => _client = client;

    /// <summary>The header naming the program key a batch was encrypted under.</summary>
    public const string ProgramKeyHeader = "X-Konfido-Program-Key";

    /// <summary>The associated data that binds a sealed upload to its program, program key, id and reading count.</summary>
    /// <param name="programId">The program.</param>
    /// <param name="keyId">The program key id.</param>
    /// <param name="uploadId">The upload id.</param>
    /// <param name="readings">The reading count.</param>
    public static byte[] UploadBinding(string programId, string keyId, string uploadId, int readings) =>
        Encoding.UTF8.GetBytes($"konfido-upload v1|{programId}|{keyId}|{uploadId}|{readings.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>
    /// Authenticates <paramref name="device"/> with its PUF (reverse fuzzy extractor, mutual): the node sends a
    /// never-used challenge, the device answers with helper data and a MAC, the node proves it recovered the same
    /// response. A refusal is a result; a transport failure throws.
    /// </summary>
    /// <param name="device">The device.</param>
    /// <param name="cancellationToken">Cancels the authentication.</param>
    public async Task<DeviceAuthentication> AuthenticateAsync(DeviceIdentity device, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        await device.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var hello = device.Puf.Hello();
            ChallengeDto challenge;
            ConfirmationDto confirmation;
            try
            {
                challenge = await _client.PostJsonAsync("devices/v1/sessions", new HelloDto(hello.DeviceId, hello.DeviceNonce),
                    WireJson.Default.HelloDto, WireJson.Default.ChallengeDto, null, cancellationToken).ConfigureAwait(false);
            }
            catch (KonfidoApiException ex) when (!ex.IsTransient)
            {
                return new DeviceAuthentication(null, ex.Code, ex.Message);
            }

            var answer = device.Puf.Respond(new AuthenticationChallenge(challenge.SessionId, challenge.ChallengeIndex, challenge.ChallengeSeed, challenge.NodeNonce));
            if (answer.Proof is null)
            {
                return new DeviceAuthentication(null, "Device" + answer.Refusal, $"the device refused the challenge ({answer.Refusal})");
            }

            try
            {
                confirmation = await _client.PostJsonAsync($"devices/v1/sessions/{Uri.EscapeDataString(challenge.SessionId)}/proof",
                    new ProofDto(answer.Proof.HelperData, answer.Proof.DeviceMac), WireJson.Default.ProofDto, WireJson.Default.ConfirmationDto, null, cancellationToken).ConfigureAwait(false);
            }
            catch (KonfidoApiException ex) when (!ex.IsTransient)
            {
                return new DeviceAuthentication(null, ex.Code, ex.Message);
            }

            var keys = device.Puf.Complete(new AuthenticationConfirmation(confirmation.SessionId, confirmation.NodeMac));
            return keys is null
                ? new DeviceAuthentication(null, "NodeNotAuthenticated", "the node did not prove it recovered the device's response")
                : new DeviceAuthentication(new DeviceSession(device.DeviceId, confirmation.SessionId, confirmation.Expires, keys), "None",
                    $"authenticated with challenge {challenge.ChallengeIndex.ToString(CultureInfo.InvariantCulture)}");
        }
        finally
        {
            device.Gate.Release();
        }
    }

    /// <summary>The analytics programs the node accepts readings for.</summary>
    /// <param name="session">The device's session.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<IReadOnlyList<AnalyticsProgram>> ListProgramsAsync(DeviceSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var list = await _client.GetJsonAsync("devices/v1/programs", null, WireJson.Default.ProgramListDto, cancellationToken, session.SessionId).ConfigureAwait(false);
        return [.. list.Programs.Select(ToProgram)];
    }

    /// <summary>The public encryption material of a program: its compiled form and the data owner's public key (no secret).</summary>
    /// <param name="session">The device's session.</param>
    /// <param name="programId">The program id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<ProgramMaterial> GetProgramAsync(DeviceSession session, string programId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentException.ThrowIfNullOrWhiteSpace(programId);
        var material = await _client.GetJsonAsync($"devices/v1/programs/{Uri.EscapeDataString(programId)}", null, WireJson.Default.ProgramMaterialDto,
            cancellationToken, session.SessionId).ConfigureAwait(false);
        return ProgramMaterial.Load(ToProgram(material.Info), material.Program, material.PublicKey);
    }

    /// <summary>
    /// Uploads one encrypted batch, sealed under the session key and bound to its program, program key, upload id and
    /// count. The node counts an upload id once: sending the same id again (a retry) is answered as a duplicate; a batch
    /// under a key the program no longer has is refused. Throws <see cref="KonfidoApiException"/> when the node refuses
    /// the request itself (e.g. an expired session: 401).
    /// </summary>
    /// <param name="session">The device's session.</param>
    /// <param name="programId">The program.</param>
    /// <param name="keyId">The program key the batch was encrypted under (<see cref="AnalyticsProgram.KeyId"/>).</param>
    /// <param name="uploadId">A client-chosen id, unique per device (1..64 of [A-Za-z0-9-_]).</param>
    /// <param name="readings">The readings in the batch (1..slots).</param>
    /// <param name="ciphertext">The serialised HE ciphertext.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<UploadReceipt> UploadAsync(DeviceSession session, string programId, string keyId, string uploadId, int readings, byte[] ciphertext, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentException.ThrowIfNullOrWhiteSpace(programId);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        ArgumentNullException.ThrowIfNull(ciphertext);
        if (!IsValidUploadId(uploadId))
        {
            throw new ArgumentException("an upload id is 1..64 characters of A-Z, a-z, 0-9, '-' and '_'", nameof(uploadId));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(readings, 1);
        return await session.SealedAsync(async seal =>
        {
            using var content = new ByteArrayContent(seal(ciphertext, UploadBinding(programId, keyId, uploadId, readings)));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            string text;
            try
            {
                text = await _client.SendAsync(HttpMethod.Post, $"devices/v1/programs/{Uri.EscapeDataString(programId)}/uploads/{uploadId}", content, null, cancellationToken,
                    session.SessionId, [new("X-Konfido-Reading-Count", readings.ToString(CultureInfo.InvariantCulture)), new(ProgramKeyHeader, keyId)]).ConfigureAwait(false);
            }
            catch (KonfidoApiException ex) when (ex.Status is HttpStatusCode.BadRequest or HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity)
            {
                return new UploadReceipt(uploadId, false, false, readings, ex.Message);
            }

            var result = KonfidoClient.Deserialize(text, WireJson.Default.UploadResultDto, "upload");
            return new UploadReceipt(result.UploadId, result.Accepted, result.Duplicate, result.Readings, result.Reason);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="uploadId"/> is a valid upload id: 1..64 of [A-Za-z0-9-_].</summary>
    /// <param name="uploadId">The candidate.</param>
    public static bool IsValidUploadId(string? uploadId) =>
        uploadId is { Length: > 0 and <= 64 } && uploadId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    internal static AnalyticsProgram ToProgram(ProgramInfoDto info) =>
        new(info.Id, info.Kind, info.Unit, info.Decimals, info.Slots, info.Input, info.MaxValue, info.KeyId);
}
