using System.Net;

namespace Konfido.Sdk;

/// <summary>The outcome of an enrolment: enrolled, or why the node refused (e.g. <c>AlreadyEnrolled</c>, <c>CloneSuspected</c>).</summary>
/// <param name="DeviceId">The device.</param>
/// <param name="Enrolled">True when the node enrolled it.</param>
/// <param name="Failure">The node's <c>PufFailure</c> name, or <c>None</c>.</param>
/// <param name="Detail">A human-readable detail.</param>
public sealed record EnrolmentOutcome(string DeviceId, bool Enrolled, string Failure, string Detail);

/// <summary>A program a data owner registers for device uploads: compiled, with evaluation keys (public, never secret).</summary>
/// <param name="Id">The program id (1..64 of [A-Za-z0-9-_]).</param>
/// <param name="Kind">The reading kind it aggregates (see <see cref="ReadingKinds"/>).</param>
/// <param name="Unit">The readings' unit.</param>
/// <param name="Decimals">Readings are encoded as value × 10^Decimals.</param>
/// <param name="CompiledProgram">The serialised compiled program (<c>CompiledProgram.Serialize</c>).</param>
/// <param name="EvaluationKeys">The data owner's serialised evaluation keys (<c>HeKeyHolder.EvaluationKeys.Serialize</c>).</param>
public sealed record ProgramRegistration(string Id, string Kind, string Unit, int Decimals, byte[] CompiledProgram, byte[] EvaluationKeys);

/// <summary>The encrypted result of a program over every batch the node accepted.</summary>
/// <param name="ProgramId">The program.</param>
/// <param name="Batches">The batches aggregated.</param>
/// <param name="Readings">The readings they carry (the divisor of a mean).</param>
/// <param name="EncryptedResult">The serialised encrypted outputs; only the data owner can decrypt them.</param>
public sealed record AnalyticsResult(string ProgramId, long Batches, long Readings, byte[] EncryptedResult);

/// <summary>
/// What an operator (a health professional logged in with eID at the node) does for devices: enrol a device
/// in a trusted setting (the device is in their hands, its reference responses travel once over TLS), register
/// a data owner's analytics program, and have the node compute it.
/// </summary>
public sealed class OperatorClient
{
    private readonly KonfidoClient _client;
    private readonly string _token;

    internal OperatorClient(KonfidoClient client, string token)
    {
        _client = client;
        _token = token;
    }

    /// <summary>
    /// Enrols <paramref name="device"/>: the node chooses single-use challenges, the device measures its reference
    /// responses (majority of several reads), the node stores them encrypted in its key custody and checks the
    /// device is no clone of an enrolled one. A refusal is a result.
    /// </summary>
    /// <param name="device">The device, present.</param>
    /// <param name="cancellationToken">Cancels the enrolment.</param>
    public async Task<EnrolmentOutcome> EnrolAsync(DeviceIdentity device, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        await device.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var request = await _client.PostJsonAsync("devices/v1/enrolments", new EnrolmentStartDto(device.DeviceId), WireJson.Default.EnrolmentStartDto,
                WireJson.Default.EnrolmentRequestDto, _token, cancellationToken).ConfigureAwait(false);
            var response = device.Puf.Enrol(new Konfido.Puf.Protocol.EnrolmentRequest(request.DeviceId, request.ChallengeSeeds, request.ResponseBits, request.FingerprintBits, request.Reads));
            try
            {
                var result = await _client.PostJsonAsync($"devices/v1/enrolments/{Uri.EscapeDataString(device.DeviceId)}",
                    new EnrolmentResponseDto(response.DeviceId, response.Fingerprint, [.. response.References]), WireJson.Default.EnrolmentResponseDto,
                    WireJson.Default.EnrolmentResultDto, _token, cancellationToken).ConfigureAwait(false);
                return new EnrolmentOutcome(result.DeviceId, result.Enrolled, result.Failure, result.Detail);
            }
            finally
            {
                foreach (var reference in response.References)
                {
                    System.Security.Cryptography.CryptographicOperations.ZeroMemory(reference);
                }
            }
        }
        catch (KonfidoApiException ex) when (ex.Status is HttpStatusCode.Conflict or HttpStatusCode.BadRequest)
        {
            return new EnrolmentOutcome(device.DeviceId, false, ex.Code, ex.Message);
        }
        finally
        {
            device.Gate.Release();
        }
    }

    /// <summary>Registers (or replaces) an analytics program; true when the parameters differ from a previous registration (the node then restarts its aggregate).</summary>
    /// <param name="registration">The program.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<bool> RegisterProgramAsync(ProgramRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        if (!DeviceApi.IsValidUploadId(registration.Id))
        {
            throw new ArgumentException("a program id is 1..64 characters of A-Z, a-z, 0-9, '-' and '_'", nameof(registration));
        }

        var result = await _client.PostJsonAsync("devices/v1/programs", new ProgramRegistrationDto(registration.Id, registration.Kind, registration.Unit, registration.Decimals,
            registration.CompiledProgram, registration.EvaluationKeys), WireJson.Default.ProgramRegistrationDto, WireJson.Default.ProgramRegisteredDto, _token, cancellationToken).ConfigureAwait(false);
        return result.ParametersChanged;
    }

    /// <summary>The analytics programs registered at the node.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<IReadOnlyList<AnalyticsProgram>> ListProgramsAsync(CancellationToken cancellationToken = default)
    {
        var list = await _client.GetJsonAsync("devices/v1/programs", _token, WireJson.Default.ProgramListDto, cancellationToken).ConfigureAwait(false);
        return [.. list.Programs.Select(DeviceApi.ToProgram)];
    }

    /// <summary>Has the node evaluate <paramref name="programId"/> over every accepted batch, without any secret key.</summary>
    /// <param name="programId">The program.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<AnalyticsResult> ComputeAsync(string programId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(programId);
        var text = await _client.SendAsync(HttpMethod.Post, $"devices/v1/programs/{Uri.EscapeDataString(programId)}/compute", null, _token, cancellationToken).ConfigureAwait(false);
        var result = KonfidoClient.Deserialize(text, WireJson.Default.ComputeResultDto, "compute");
        return new AnalyticsResult(result.Id, result.Batches, result.Readings, result.Result);
    }
}
