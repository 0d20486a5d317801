using System.Text.Json;

namespace Konfido.Custody.Attestation;

/// <summary>
/// A signed statement of a node's measurement over a verifier's nonce. Two formats:
/// <list type="bullet">
/// <item><c>software-v1</c>: <see cref="Evidence"/> is the statement
/// <c>"KONFIDO-ATTEST-V1\0" ‖ measurement (32) ‖ nonce length (1) ‖ nonce</c>, signed by the custody's
/// ECDSA P-256 attestation key.</item>
/// <item><c>tpm2-quote-v1</c>: <see cref="Evidence"/> is the TPM's TPMS_ATTEST of a TPM2_Quote over the
/// SHA-256 bank of PCR <see cref="Pcr"/> with the nonce as qualifying data, signed by a restricted TPM
/// attestation key; the PCR was reset and extended with the measurement, so <see cref="PcrValue"/>
/// must equal SHA-256(0³² ‖ measurement).</item>
/// </list>
/// <see cref="Signature"/> is ECDSA P-256 over SHA-256 of <see cref="Evidence"/>, r‖s.
/// </summary>
public sealed record AttestationQuote
{
    /// <summary>The software quote format.</summary>
    public const string SoftwareFormat = "software-v1";

    /// <summary>The TPM quote format.</summary>
    public const string TpmFormat = "tpm2-quote-v1";

    /// <summary><see cref="SoftwareFormat"/> or <see cref="TpmFormat"/>.</summary>
    public required string Format { get; init; }

    /// <summary>The measurement the node claims (checked against the evidence).</summary>
    public required ReadOnlyMemory<byte> Measurement { get; init; }

    /// <summary>The verifier's nonce the quote answers.</summary>
    public required ReadOnlyMemory<byte> Nonce { get; init; }

    /// <summary>The signed bytes.</summary>
    public required ReadOnlyMemory<byte> Evidence { get; init; }

    /// <summary>ECDSA P-256 signature over SHA-256(<see cref="Evidence"/>), r‖s.</summary>
    public required ReadOnlyMemory<byte> Signature { get; init; }

    /// <summary>TPM quotes: the PCR index quoted; -1 otherwise.</summary>
    public int Pcr { get; init; } = -1;

    /// <summary>TPM quotes: the quoted PCR value; empty otherwise.</summary>
    public ReadOnlyMemory<byte> PcrValue { get; init; }

    /// <summary>The quote as a JSON object (binary fields in base64), for sending to a peer.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("format", Format);
            json.WriteBase64String("measurement", Measurement.Span);
            json.WriteBase64String("nonce", Nonce.Span);
            json.WriteBase64String("evidence", Evidence.Span);
            json.WriteBase64String("signature", Signature.Span);
            if (Pcr >= 0)
            {
                json.WriteNumber("pcr", Pcr);
                json.WriteBase64String("pcr_value", PcrValue.Span);
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Parses <see cref="ToJson"/> output; false (with the reason) if it is malformed.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="quote">The quote.</param>
    /// <param name="reason">Why the text was refused, or null.</param>
    public static bool TryParseJson(string json, out AttestationQuote? quote, out string? reason)
    {
        quote = null;
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            // A PCR index and its value come together (ToJson writes both or neither); a quote holding one without
            // the other, or a negative index, would not survive a write and a re-read (found by konfido fuzz).
            var hasPcr = root.TryGetProperty("pcr", out var pcr);
            var hasPcrValue = root.TryGetProperty("pcr_value", out var value);
            if (hasPcr != hasPcrValue || hasPcr && pcr.GetInt32() < 0)
            {
                throw new FormatException("pcr and pcr_value come together, with pcr >= 0");
            }

            quote = new AttestationQuote
            {
                Format = root.GetProperty("format").GetString() ?? throw new FormatException("format is null"),
                Measurement = root.GetProperty("measurement").GetBytesFromBase64(),
                Nonce = root.GetProperty("nonce").GetBytesFromBase64(),
                Evidence = root.GetProperty("evidence").GetBytesFromBase64(),
                Signature = root.GetProperty("signature").GetBytesFromBase64(),
                Pcr = hasPcr ? pcr.GetInt32() : -1,
                PcrValue = hasPcrValue ? value.GetBytesFromBase64() : ReadOnlyMemory<byte>.Empty,
            };
            reason = null;
            return true;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            reason = ex.Message;
            return false;
        }
    }
}
