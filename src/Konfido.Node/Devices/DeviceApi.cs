using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Konfido.Core;
using Konfido.Exchange;
using Konfido.Puf.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Konfido.Node;

/// <summary>
/// The device API on the local listener, <c>/devices/v1</c> (the Konfido SDK's wire protocol; refusals are
/// <c>{"failure":..,"detail":..}</c> with a 4xx status):
/// <list type="bullet">
/// <item><c>POST /devices/v1/enrolments</c> <c>{"deviceId"}</c> and <c>POST /devices/v1/enrolments/{deviceId}</c> (the reference
/// responses): enrolment in a trusted setting, by an operator, i.e. a registered health professional logged in with eID at this node
/// (the references travel once, over TLS, from a device in the operator's hands; an anonymous caller could enrol a device under any id).</item>
/// <item><c>POST /devices/v1/sessions</c> <c>{"deviceId","deviceNonce"}</c> → a single-use challenge; <c>POST /devices/v1/sessions/{id}/proof</c>
/// <c>{"helperData","deviceMac"}</c> → the node's confirmation and the session (PUF mutual authentication, reverse fuzzy extractor).</item>
/// <item><c>GET /devices/v1/programs</c>, <c>GET /devices/v1/programs/{id}</c> (the compiled program and the data owner's public key), for a device
/// session (header <c>X-Konfido-Device-Session</c>) or an operator.</item>
/// <item><c>POST /devices/v1/programs/{id}/uploads/{uploadId}</c>: one batch (a ciphertext sealed under the session key, bound to program,
/// upload id and the count in <c>X-Konfido-Reading-Count</c>), counted once per device and upload id.</item>
/// <item><c>POST /devices/v1/programs</c> (register, operator) and <c>POST /devices/v1/programs/{id}/compute</c> (operator).</item>
/// <item><c>GET /patient/summary</c>: the citizen's own IPS from this node's records.</item>
/// </list>
/// Every outcome is a security event (category <c>device</c>, <c>he</c> or <c>exchange</c>).
/// </summary>
internal static class DeviceApi
{
    public const string SessionHeader = "X-Konfido-Device-Session";
    public const string CountHeader = "X-Konfido-Reading-Count";
    public const string KeyHeader = "X-Konfido-Program-Key";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(WebApplication app, NodeEid? eid, NodeDevices devices, Records.INationalBackend backend)
    {
        var api = app.MapGroup("/devices/v1");
        api.MapPost("/enrolments", async (HttpContext context) =>
        {
            var actor = EidApi.RequireRequester(context, eid).Actor;
            var body = await ReadAsync<EnrolmentStart>(context).ConfigureAwait(false);
            if (!IsValidId(body.DeviceId))
            {
                return Refuse(HttpStatusCode.BadRequest, "MalformedEnrolment", "a device id is 1..128 printable ASCII characters without spaces");
            }

            var request = devices.StartEnrolment(body.DeviceId!, actor);
            await EmitAsync(devices, "device-enrol-start", EventOutcome.Success, actor, null, context, ("device", body.DeviceId!)).ConfigureAwait(false);
            return Results.Json(new { request.DeviceId, challengeSeeds = request.ChallengeSeeds, request.ResponseBits, request.FingerprintBits, request.Reads });
        });

        api.MapPost("/enrolments/{deviceId}", async (HttpContext context, string deviceId) =>
        {
            var actor = EidApi.RequireRequester(context, eid).Actor;
            var body = await ReadAsync<EnrolmentAnswer>(context).ConfigureAwait(false);
            var request = devices.TakeEnrolment(deviceId, actor);
            if (request is null)
            {
                return Refuse(HttpStatusCode.Conflict, "MalformedEnrolment", $"no enrolment of '{deviceId}' was started by {actor} in the last {NodeDevices.EnrolmentWindow.TotalMinutes} minutes");
            }

            var result = await devices.Verifier.CompleteEnrolmentAsync(request,
                new EnrolmentResponse(body.DeviceId ?? string.Empty, body.Fingerprint ?? [], body.References ?? []), context.RequestAborted).ConfigureAwait(false);
            return result.Succeeded
                ? Results.Json(new { deviceId, enrolled = true, failure = result.Failure.ToString(), detail = result.Detail }, statusCode: StatusCodes.Status201Created)
                : Refuse(result.Failure == PufFailure.MalformedEnrolment ? HttpStatusCode.BadRequest : HttpStatusCode.Conflict, result.Failure.ToString(), result.Detail);
        });

        api.MapPost("/sessions", async (HttpContext context) =>
        {
            var body = await ReadAsync<Hello>(context).ConfigureAwait(false);
            if (!IsValidId(body.DeviceId) || body.DeviceNonce is null)
            {
                return Refuse(HttpStatusCode.BadRequest, "UnknownOrReplayedSession", "a hello carries a device id and a 32-byte nonce");
            }

            if (await devices.IsEnrolledAsync(body.DeviceId!, context.RequestAborted).ConfigureAwait(false) && !devices.AllowHello(body.DeviceId!))
            {
                await EmitAsync(devices, "puf-auth-throttled", EventOutcome.Failure, body.DeviceId, $"more than {NodeDevices.HellosPerWindow} authentications started in {NodeDevices.HelloWindow.TotalMinutes} minutes", context).ConfigureAwait(false);
                return Refuse(HttpStatusCode.TooManyRequests, "Throttled", $"at most {NodeDevices.HellosPerWindow} authentications per device every {NodeDevices.HelloWindow.TotalMinutes} minutes (each uses a single-use challenge)");
            }

            var start = await devices.Verifier.BeginAuthenticationAsync(new AuthenticationHello(body.DeviceId!, body.DeviceNonce), context.RequestAborted).ConfigureAwait(false);
            if (start.Challenge is not { } challenge)
            {
                return Refuse(start.Failure == PufFailure.ChallengesExhausted ? HttpStatusCode.Conflict : HttpStatusCode.Forbidden, start.Failure.ToString(), Describe(start.Failure));
            }

            return Results.Json(new { challenge.SessionId, challenge.ChallengeIndex, challenge.ChallengeSeed, challenge.NodeNonce });
        });

        api.MapPost("/sessions/{sessionId}/proof", async (HttpContext context, string sessionId) =>
        {
            var body = await ReadAsync<Proof>(context).ConfigureAwait(false);
            var result = await devices.Verifier.CompleteAuthenticationAsync(new AuthenticationProof(sessionId, body.HelperData ?? [], body.DeviceMac ?? []), context.RequestAborted).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                return Refuse(HttpStatusCode.Forbidden, result.Failure.ToString(), Describe(result.Failure));
            }

            var session = devices.Sessions.Open(result.Session!);
            return Results.Json(new { session.SessionId, result.Confirmation!.NodeMac, session.Expires });
        });

        api.MapGet("/programs", async (HttpContext context) =>
        {
            RequireDeviceOrOperator(context, eid, devices);
            var programs = await devices.Analytics.ProgramsAsync(context.RequestAborted).ConfigureAwait(false);
            return Results.Json(new { programs = programs.Select(Info).ToArray() });
        });

        api.MapGet("/programs/{programId}", async (HttpContext context, string programId) =>
        {
            RequireDeviceOrOperator(context, eid, devices);
            var program = await devices.Analytics.FindAsync(programId, context.RequestAborted).ConfigureAwait(false)
                ?? throw new ExchangeException(HttpStatusCode.NotFound, "not-found", $"no program '{programId}' is registered");
            return Results.Json(new { info = Info(program), program = program.Stored.Program, publicKey = program.PublicKey });
        });

        api.MapPost("/programs", async (HttpContext context) =>
        {
            var actor = EidApi.RequireRequester(context, eid).Actor;
            var body = await ReadAsync<Registration>(context).ConfigureAwait(false);
            if (!IsValidUploadId(body.Id) || string.IsNullOrWhiteSpace(body.Kind) || body.Program is null || body.EvaluationKeys is null || body.Decimals is < 0 or > 6)
            {
                throw new ExchangeException(HttpStatusCode.BadRequest, "required", "a program registration needs id (1..64 of [A-Za-z0-9-_]), kind, unit, decimals 0..6, program and evaluationKeys");
            }

            var (reason, changed) = await devices.Analytics.RegisterAsync(new StoredProgram(body.Id!, body.Kind!, body.Unit ?? string.Empty, body.Decimals, body.Program, body.EvaluationKeys, actor),
                context.RequestAborted).ConfigureAwait(false);
            await EmitAsync(devices, "device-program-register", reason is null ? EventOutcome.Success : EventOutcome.Failure, actor, reason, context, ("program", body.Id!)).ConfigureAwait(false);
            return reason is null
                ? Results.Json(new { id = body.Id, parametersChanged = changed }, statusCode: StatusCodes.Status201Created)
                : Refuse(HttpStatusCode.BadRequest, "ProgramRefused", reason);
        });

        api.MapPost("/programs/{programId}/compute", async (HttpContext context, string programId) =>
        {
            var actor = EidApi.RequireRequester(context, eid).Actor;
            var program = await devices.Analytics.FindAsync(programId, context.RequestAborted).ConfigureAwait(false)
                ?? throw new ExchangeException(HttpStatusCode.NotFound, "not-found", $"no program '{programId}' is registered");
            var result = await devices.Analytics.ComputeAsync(program, actor, context.RequestAborted).ConfigureAwait(false);
            return result.Result is null
                ? Refuse(HttpStatusCode.Conflict, "NothingToCompute", result.Reason ?? "the computation failed")
                : Results.Json(new { id = programId, batches = result.Batches, readings = result.Readings, result = result.Result });
        });

        api.MapPost("/programs/{programId}/uploads/{uploadId}", async (HttpContext context, string programId, string uploadId) =>
        {
            var session = devices.Sessions.Find(context.Request.Headers[SessionHeader].ToString());
            if (session is null)
            {
                await EmitAsync(devices, "device-session-refused", EventOutcome.Failure, null, "upload with an unknown or expired device session", context, ("program", programId)).ConfigureAwait(false);
                return Refuse(HttpStatusCode.Unauthorized, "SessionUnknown", "authenticate the device first (POST /devices/v1/sessions); sessions end after an hour or a node restart");
            }

            var program = await devices.Analytics.FindAsync(programId, context.RequestAborted).ConfigureAwait(false);
            if (program is null)
            {
                return Refuse(HttpStatusCode.NotFound, "UnknownProgram", $"no program '{programId}' is registered");
            }

            if (!IsValidUploadId(uploadId) || !int.TryParse(context.Request.Headers[CountHeader].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
                || count < 1 || count > program.Compiled.Program.Slots)
            {
                return await RejectAsync("MalformedUpload", $"an upload id is 1..64 of [A-Za-z0-9-_] and {CountHeader} is 1..{program.Compiled.Program.Slots}").ConfigureAwait(false);
            }

            if (devices.Analytics.IsRecorded(session.DeviceId, uploadId))
            {
                await EmitAsync(devices, "device-upload", EventOutcome.Success, session.DeviceId, null, context, ("program", programId), ("upload", uploadId), ("duplicate", "true")).ConfigureAwait(false);
                return Results.Json(new { uploadId, accepted = true, duplicate = true, readings = count });
            }

            var keyId = context.Request.Headers[KeyHeader].ToString();
            if (!string.Equals(keyId, program.KeyId, StringComparison.Ordinal))
            {
                // Encrypted under a key the program no longer has (re-registered): it cannot join this aggregate.
                await EmitAsync(devices, "device-upload", EventOutcome.Failure, session.DeviceId, "stale program key", context, ("program", programId), ("upload", uploadId), ("failure", "StaleProgramKey")).ConfigureAwait(false);
                return Refuse(HttpStatusCode.Conflict, "StaleProgramKey", $"the batch names program key '{keyId}', the program's key is now {program.KeyId}");
            }

            var sealedBody = await HttpBodies.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
            var ciphertext = session.Open(sealedBody, Encoding.UTF8.GetBytes($"konfido-upload v1|{programId}|{keyId}|{uploadId}|{count.ToString(CultureInfo.InvariantCulture)}"));
            if (ciphertext is null && session.Ended)
            {
                return Refuse(HttpStatusCode.Unauthorized, "SessionUnknown", "the device session ended: authenticate again");
            }

            if (ciphertext is null)
            {
                return await RejectAsync("SealInvalid", "the upload is not sealed under this session's key for this program, id and count (altered, replayed or reordered)").ConfigureAwait(false);
            }

            var result = await devices.Analytics.UploadAsync(program, session.DeviceId, uploadId, count, ciphertext, context.RequestAborted).ConfigureAwait(false);
            if (!result.Accepted)
            {
                return await RejectAsync("Rejected", result.Reason ?? "refused").ConfigureAwait(false);
            }

            await EmitAsync(devices, "device-upload", EventOutcome.Success, session.DeviceId, null, context, ("program", programId), ("upload", uploadId),
                ("readings", count.ToString(CultureInfo.InvariantCulture)), ("duplicate", result.Duplicate ? "true" : "false")).ConfigureAwait(false);
            return Results.Json(new { uploadId, accepted = true, duplicate = result.Duplicate, readings = count },
                statusCode: result.Duplicate ? StatusCodes.Status200OK : StatusCodes.Status201Created);

            async Task<IResult> RejectAsync(string failure, string detail)
            {
                await EmitAsync(devices, "device-upload", EventOutcome.Failure, session.DeviceId, detail, context, ("program", programId), ("upload", uploadId), ("failure", failure)).ConfigureAwait(false);
                return Refuse(HttpStatusCode.BadRequest, failure, detail);
            }
        });

        app.MapGet("/patient/summary", async (HttpContext context) =>
        {
            var patientId = EidApi.RequireCitizen(context, eid);
            var summary = await backend.GetPatientSummaryAsync(patientId, context.RequestAborted).ConfigureAwait(false);
            await devices.Events.PublishAsync(new SecurityEvent
            {
                Node = devices.Country,
                Category = EventCategories.Exchange,
                Action = "ips-self-retrieve",
                Outcome = summary is null ? EventOutcome.Failure : EventOutcome.Success,
                Actor = $"{devices.Country}/{devices.Country}/{patientId}",
                ActorRole = "patient",
                PatientId = patientId,
                SourceCountry = devices.Country,
                TargetCountry = devices.Country,
                SourceIp = context.Connection.RemoteIpAddress?.ToString(),
                Reason = summary is null ? "no patient summary in this country's records" : null,
            }, context.RequestAborted).ConfigureAwait(false);
            if (summary is null)
            {
                throw new ExchangeException(HttpStatusCode.NotFound, "not-found", "this country's records hold no patient summary for you");
            }

            return Results.Bytes(FhirJson.Serialize(summary), FhirJson.MediaType);
        });
    }

    private static void RequireDeviceOrOperator(HttpContext context, NodeEid? eid, NodeDevices devices)
    {
        if (devices.Sessions.Find(context.Request.Headers[SessionHeader].ToString()) is null)
        {
            _ = EidApi.RequireRequester(context, eid);
        }
    }

    private static object Info(LoadedProgram program) => new
    {
        id = program.Stored.Id,
        kind = program.Stored.Kind,
        unit = program.Stored.Unit,
        decimals = program.Stored.Decimals,
        slots = program.Compiled.Program.Slots,
        input = program.Input.Name,
        maxValue = (long)Math.Floor(program.Input.High),
        keyId = program.KeyId,
    };

    private static IResult Refuse(HttpStatusCode status, string failure, string detail) =>
        Results.Json(new { failure, detail }, statusCode: (int)status);

    private static string Describe(PufFailure failure) => failure switch
    {
        PufFailure.UnknownDevice => "the device is not enrolled at this node",
        PufFailure.ChallengesExhausted => "every enrolled challenge was used: re-enrol the device",
        PufFailure.UnknownOrReplayedSession => "no open authentication with this session id (replayed, expired or never started)",
        PufFailure.ResponseMismatch => "the PUF response does not match the enrolled device (a wrong or cloned device)",
        PufFailure.HelperDataTampered => "the helper data or transcript was altered",
        PufFailure.ReferenceUnavailable => "the node could not open the device's stored reference",
        _ => failure.ToString(),
    };

    private static bool IsValidId(string? id) => id is { Length: > 0 and <= 128 } && id.All(c => c is >= '!' and <= '~');

    private static bool IsValidUploadId(string? id) => id is { Length: > 0 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static async Task<T> ReadAsync<T>(HttpContext context)
    {
        var body = await HttpBodies.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize<T>(body, Json) ?? throw new ExchangeException(HttpStatusCode.BadRequest, "required", "the request body is empty");
        }
        catch (JsonException ex)
        {
            throw new ExchangeException(HttpStatusCode.BadRequest, "structure", $"the request is not valid JSON: {ex.Message}");
        }
    }

    private static ValueTask EmitAsync(NodeDevices devices, string action, EventOutcome outcome, string? actor, string? reason, HttpContext context, params (string Key, string Value)[] attributes) =>
        devices.Events.PublishAsync(new SecurityEvent
        {
            Node = devices.Country,
            Category = EventCategories.Device,
            Action = action,
            Outcome = outcome,
            Actor = actor,
            ActorRole = actor is null ? null : action is "device-enrol-start" or "device-program-register" ? "operator" : "device",
            SourceIp = context.Connection.RemoteIpAddress?.ToString(),
            Reason = reason,
            Attributes = attributes.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal),
        }, context.RequestAborted);

    private sealed record EnrolmentStart(string? DeviceId);

    private sealed record EnrolmentAnswer(string? DeviceId, byte[]? Fingerprint, byte[][]? References);

    private sealed record Hello(string? DeviceId, byte[]? DeviceNonce);

    private sealed record Proof(byte[]? HelperData, byte[]? DeviceMac);

    private sealed record Registration(string? Id, string? Kind, string? Unit, int Decimals, byte[]? Program, byte[]? EvaluationKeys);
}
