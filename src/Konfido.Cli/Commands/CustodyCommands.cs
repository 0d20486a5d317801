using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Konfido.Core;
using Konfido.Custody;
using Konfido.Custody.Attestation;
using Konfido.Custody.Tpm;

namespace Konfido.Cli;

internal static partial class CommandGroups
{
    /// <summary>The environment variable naming the TPM (<c>host:port</c> or a device path).</summary>
    internal const string TpmEnvironmentVariable = "KONFIDO_TPM";

    static partial void AddCustody(RootCommand root, CliContext context)
    {
        var custody = new Command("custody", "Key custody: TPM 2.0 and software backends, sealing and attestation.");
        var check = new Command("check", "Exercises a custody backend end to end: sign, seal, tamper detection, attestation.");
        var backend = new Option<string>("--backend")
        {
            Description = "The backend to exercise: software (default) or tpm.",
            DefaultValueFactory = _ => "software",
        };
        var tpm = new Option<string?>("--tpm")
        {
            Description = $"The TPM for --backend tpm: host:port of a raw TPM 2.0 socket or a device path (default ${TpmEnvironmentVariable}, else {TpmEndpoint.Default}).",
        };
        var directory = new Option<string?>("--dir")
        {
            Description = "A custody directory to use (default: a fresh temporary one, deleted afterwards).",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON document." };
        check.Add(backend);
        check.Add(tpm);
        check.Add(directory);
        check.Add(json);
        check.SetAction((ParseResult r, CancellationToken ct) =>
            RunCustodyCheckAsync(context, r.GetValue(backend)!, r.GetValue(tpm), r.GetValue(directory), r.GetValue(json), ct));
        custody.Add(check);
        root.Add(custody);
    }

    private static async Task<int> RunCustodyCheckAsync(CliContext context, string backend, string? tpmText, string? directory, bool json, CancellationToken ct)
    {
        if (backend is not ("software" or "tpm"))
        {
            throw new CliInputException($"--backend '{backend}': expected software or tpm");
        }

        TpmEndpoint? endpoint = null;
        if (backend == "tpm")
        {
            var source = tpmText is not null ? "--tpm" : TpmEnvironmentVariable;
            tpmText ??= Environment.GetEnvironmentVariable(TpmEnvironmentVariable);
            if (tpmText is null)
            {
                endpoint = TpmEndpoint.Default;
            }
            else if (!TpmEndpoint.TryParse(tpmText, out endpoint, out var reason))
            {
                throw new CliInputException($"{source} '{tpmText}': {reason}");
            }
        }

        var temporary = directory is null;
        directory ??= Path.Combine(Path.GetTempPath(), $"konfido-custody-check-{Guid.NewGuid():N}");
        // The build as installed: every Konfido assembly next to the CLI, plus this command's (empty) configuration.
        var measurement = NodeMeasurement.FromDirectory(AppContext.BaseDirectory, "Konfido*.dll", "konfido custody check"u8);
        try
        {
            KeyCustody keyCustody;
            try
            {
                keyCustody = endpoint is null
                    ? KeyCustody.OpenSoftware(new SoftwareCustodyOptions { Directory = directory, Measurement = measurement })
                    : KeyCustody.OpenTpm(new TpmCustodyOptions { Directory = directory, Measurement = measurement, Tpm = endpoint });
            }
            catch (TpmUnavailableException ex)
            {
                throw new CliInputException($"tpm: no TPM reachable at {endpoint} ({ex.Message}); start one (e.g. swtpm) or pass --tpm / set {TpmEnvironmentVariable}");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or InvalidDataException)
            {
                throw new CliInputException($"custody directory '{directory}': {ex.Message}");
            }

            using (keyCustody)
            {
                var checks = new JsonObject
                {
                    ["sign"] = Check(context, "sign", () => CheckSign(keyCustody)),
                    ["seal"] = Check(context, "seal", () => CheckSeal(keyCustody)),
                    ["tamper_rejected"] = Check(context, "tamper_rejected", () => CheckTamper(keyCustody)),
                    ["payload_envelope"] = Check(context, "payload_envelope", () => CheckEnvelope(keyCustody)),
                };
                checks["attestation"] = await CheckAsync(context, "attestation", () => CheckAttestationAsync(keyCustody, [keyCustody.Measurement], AttestationFailure.None, ct)).ConfigureAwait(false);
                var other = NodeMeasurement.FromDigest(SHA256.HashData([.. keyCustody.Measurement.Digest.Span, 0x01]), "some other build");
                checks["wrong_measurement_rejected"] = await CheckAsync(context, "wrong_measurement_rejected",
                    () => CheckAttestationAsync(keyCustody, [other], AttestationFailure.WrongMeasurement, ct)).ConfigureAwait(false);
                var ok = checks.All(c => c.Value!.GetValue<bool>());
                if (json)
                {
                    context.WriteJson(new JsonObject
                    {
                        ["backend"] = backend,
                        ["checks"] = checks,
                        ["measurement"] = keyCustody.Measurement.Hex,
                        ["tpm"] = endpoint?.ToString(),
                    });
                }
                else
                {
                    foreach (var (name, value) in checks)
                    {
                        context.Out.WriteLine($"{name}: {(value!.GetValue<bool>() ? "ok" : "FAILED")}");
                    }

                    context.Out.WriteLine($"custody ({backend}): {(ok ? "all checks hold" : "some checks failed")}");
                }

                return ok ? ExitCodes.Ok : ExitCodes.CheckFailed;
            }
        }
        finally
        {
            if (temporary && Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static bool Check(CliContext context, string name, Func<bool> check)
    {
        try
        {
            return Report(context, name, check());
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            context.Err.WriteLine($"custody check {name}: {ex.GetType().Name}: {ex.Message}");
            return false;
        }
    }

    private static async Task<bool> CheckAsync(CliContext context, string name, Func<Task<bool>> check)
    {
        try
        {
            return Report(context, name, await check().ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            context.Err.WriteLine($"custody check {name}: {ex.GetType().Name}: {ex.Message}");
            return false;
        }
    }

    private static bool Report(CliContext context, string name, bool holds)
    {
        if (!holds)
        {
            context.Err.WriteLine($"custody check {name}: does not hold");
        }

        return holds;
    }

    private static bool CheckSign(KeyCustody custody)
    {
        var message = "konfido custody check"u8.ToArray();
        var holds = true;
        foreach (var kind in new[] { CustodyKeyKind.Ed25519Signing, CustodyKeyKind.EcdsaP256Signing })
        {
            var key = custody.CreateKey(CustodyKeyId.Parse($"check/{CustodyKeyKinds.Name(kind)}/{Guid.NewGuid():N}"), kind);
            var signature = custody.Sign(key.Id, message);
            holds &= CustodySignatures.Verify(kind, key.PublicKey.Span, message, signature)
                && !CustodySignatures.Verify(kind, key.PublicKey.Span, "another message"u8, signature);
            custody.DestroyKey(key.Id);
        }

        return holds;
    }

    private static bool CheckSeal(KeyCustody custody)
    {
        var data = RandomNumberGenerator.GetBytes(64);
        var unsealed = custody.Unseal(custody.Seal(data));
        var bound = custody.Unseal(custody.Seal(data, SealBinding.BackendAndMeasurement));
        return unsealed.Succeeded && unsealed.Value.AsSpan().SequenceEqual(data)
            && bound.Succeeded && bound.Value.AsSpan().SequenceEqual(data);
    }

    /// <summary>An ECDH key generated in custody opens an envelope sealed for it (the key agreement inside custody); an altered
    /// envelope and one sealed for another key are refused.</summary>
    private static bool CheckEnvelope(KeyCustody custody)
    {
        var key = custody.CreateKey(CustodyKeyId.Parse($"check/ecdh-p256/{Guid.NewGuid():N}"), CustodyKeyKind.EcdhP256KeyAgreement);
        try
        {
            var payload = RandomNumberGenerator.GetBytes(64);
            var envelope = PayloadEnvelope.Seal(payload, key.PublicKey.Span, "check");
            var buffer = new byte[PayloadEnvelope.PlaintextLength(envelope)];
            var opened = custody.OpenEnvelope(key.Id, envelope, buffer);
            var altered = envelope[..^2] + (envelope[^2] == 'A' ? 'B' : 'A') + envelope[^1];
            using var other = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            var misdirected = PayloadEnvelope.Seal(payload, other.ExportSubjectPublicKeyInfo(), "check");
            return opened.Succeeded && buffer.AsSpan(0, opened.Value).SequenceEqual(payload)
                && !custody.OpenEnvelope(key.Id, altered, buffer).Succeeded
                && !custody.OpenEnvelope(key.Id, misdirected, new byte[PayloadEnvelope.PlaintextLength(misdirected)]).Succeeded;
        }
        finally
        {
            custody.DestroyKey(key.Id);
        }
    }

    private static bool CheckTamper(KeyCustody custody)
    {
        var blob = custody.Seal(RandomNumberGenerator.GetBytes(64));
        foreach (var position in new[] { 1, blob.Length / 3, blob.Length / 2, blob.Length - 1 })
        {
            var tampered = (byte[])blob.Clone();
            tampered[position] ^= 0x01;
            // Tampered, or WrongMeasurement when the flipped bit turned the binding byte into a measurement binding.
            if (custody.Unseal(tampered).Succeeded)
            {
                return false;
            }
        }

        return custody.Unseal(blob).Succeeded;
    }

    private static async Task<bool> CheckAttestationAsync(KeyCustody custody, NodeMeasurement[] expected, AttestationFailure wanted, CancellationToken ct)
    {
        var events = new InMemorySecurityEventSink();
        var verifier = new AttestationVerifier(expected, events, "check");
        var nonce = verifier.CreateNonce("self");
        var quote = custody.Attest(nonce);
        var result = await verifier.VerifyAsync(quote, custody.AttestationPublicKey, "self", ct).ConfigureAwait(false);
        if (result.Failure != wanted)
        {
            return false;
        }

        // A replay of the same quote must be refused as well.
        var replay = await verifier.VerifyAsync(quote, custody.AttestationPublicKey, "self", ct).ConfigureAwait(false);
        return replay.Failure == AttestationFailure.WrongNonce && events.Events.Count == 2;
    }
}
