using System.Text.Json;
using System.Text.Json.Serialization;

namespace Konfido.Sdk;

// The JSON shapes of the node's device API (/devices/v1) and patient API, camelCase, binary values in base64.
internal sealed record EnrolmentStartDto(string DeviceId);

internal sealed record EnrolmentRequestDto(string DeviceId, byte[][] ChallengeSeeds, int ResponseBits, int FingerprintBits, int Reads);

internal sealed record EnrolmentResponseDto(string DeviceId, byte[] Fingerprint, byte[][] References);

internal sealed record EnrolmentResultDto(string DeviceId, bool Enrolled, string Failure, string Detail);

internal sealed record HelloDto(string DeviceId, byte[] DeviceNonce);

internal sealed record ChallengeDto(string SessionId, int ChallengeIndex, byte[] ChallengeSeed, byte[] NodeNonce);

internal sealed record ProofDto(byte[] HelperData, byte[] DeviceMac);

internal sealed record ConfirmationDto(string SessionId, byte[] NodeMac, DateTimeOffset Expires);

internal sealed record ProgramInfoDto(string Id, string Kind, string Unit, int Decimals, int Slots, string Input, long MaxValue, string KeyId);

internal sealed record ProgramListDto(ProgramInfoDto[] Programs);

internal sealed record ProgramMaterialDto(ProgramInfoDto Info, byte[] Program, byte[] PublicKey);

internal sealed record UploadResultDto(string UploadId, bool Accepted, bool Duplicate, int Readings, string? Reason);

internal sealed record ProgramRegistrationDto(string Id, string Kind, string Unit, int Decimals, byte[] Program, byte[] EvaluationKeys);

internal sealed record ProgramRegisteredDto(string Id, bool ParametersChanged);

internal sealed record ComputeResultDto(string Id, long Batches, long Readings, byte[] Result);

internal sealed record ConsentDto(string Id, bool Active, string Effect, string[]? Purposes, string[]? Countries, string? ValidFrom, string? ValidUntil);

internal sealed record ConsentListDto(string PatientId, ConsentDto[] Consents);

internal sealed record GrantDto(string Effect, string[] Purposes, string[] Countries, DateTimeOffset? ValidFrom, DateTimeOffset? ValidUntil);

internal sealed record GrantResultDto(string Id, string[] Superseded);

internal sealed record WithdrawResultDto(string[] Withdrawn);

internal sealed record AccessEntryDto(string EntryId, DateTimeOffset When, string Who, string? Role, string? Organisation, string Country, string? Purpose,
    string What, string Outcome, string LogId, string ProofFormat, byte[] Proof);

internal sealed record AccessReportEntryDto(AccessEntryDto Entry, bool ProofVerified, string? ProofFailure);

internal sealed record AccessReportCountryDto(string Country, AccessReportEntryDto[] Entries);

internal sealed record AccessReportDto(string PatientId, DateTimeOffset GeneratedAt, string[] Logs, AccessReportCountryDto[] Countries);

/// <summary>Source-generated JSON for the wire shapes (no reflection; trimming- and AOT-safe for mobile apps).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EnrolmentStartDto))]
[JsonSerializable(typeof(EnrolmentRequestDto))]
[JsonSerializable(typeof(EnrolmentResponseDto))]
[JsonSerializable(typeof(EnrolmentResultDto))]
[JsonSerializable(typeof(HelloDto))]
[JsonSerializable(typeof(ChallengeDto))]
[JsonSerializable(typeof(ProofDto))]
[JsonSerializable(typeof(ConfirmationDto))]
[JsonSerializable(typeof(ProgramListDto))]
[JsonSerializable(typeof(ProgramMaterialDto))]
[JsonSerializable(typeof(UploadResultDto))]
[JsonSerializable(typeof(ProgramRegistrationDto))]
[JsonSerializable(typeof(ProgramRegisteredDto))]
[JsonSerializable(typeof(ComputeResultDto))]
[JsonSerializable(typeof(ConsentListDto))]
[JsonSerializable(typeof(GrantDto))]
[JsonSerializable(typeof(GrantResultDto))]
[JsonSerializable(typeof(WithdrawResultDto))]
[JsonSerializable(typeof(AccessReportDto))]
internal sealed partial class WireJson : JsonSerializerContext;
