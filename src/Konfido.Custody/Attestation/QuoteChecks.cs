// Verification of attestation quotes.
// References: TCG TPM 2.0 Library Part 2 §10.12.8 TPMS_ATTEST (magic TPM_GENERATED_VALUE, type
// TPM_ST_ATTEST_QUOTE, qualifiedSigner, extraData, TPMS_CLOCK_INFO (17 bytes), firmwareVersion,
// TPMS_QUOTE_INFO {TPML_PCR_SELECTION, pcrDigest}); Part 1 §17.6.2 PCR extend: new = H(old ‖ digest).
using System.Security.Cryptography;
using System.Text;
using Konfido.Custody.Tpm;

namespace Konfido.Custody.Attestation;

/// <summary>Why an attestation was refused.</summary>
public enum AttestationFailure
{
    /// <summary>Not refused.</summary>
    None = 0,

    /// <summary>The quote's format or evidence does not parse, or the evidence disagrees with the claimed fields.</summary>
    Malformed,

    /// <summary>The nonce is not the one the verifier issued, was already used (a replay), or expired.</summary>
    WrongNonce,

    /// <summary>The signature does not verify under the peer's enrolled attestation key.</summary>
    BadSignature,

    /// <summary>The signed measurement is not one of the federation's expected measurements.</summary>
    WrongMeasurement,
}

/// <summary>The outcome of checking an attestation quote.</summary>
/// <param name="Failure">Why it was refused, or <see cref="AttestationFailure.None"/>.</param>
/// <param name="Reason">A short explanation for logs (never secret).</param>
public readonly record struct AttestationResult(AttestationFailure Failure, string Reason)
{
    /// <summary>True if the quote was accepted.</summary>
    public bool IsValid => Failure == AttestationFailure.None;

    internal static AttestationResult Valid { get; } = new(AttestationFailure.None, "accepted");
}

/// <summary>The stateless checks on one quote: signature, evidence, nonce, measurement.</summary>
public static class QuoteChecks
{
    private static readonly byte[] SoftwareMagic = Encoding.ASCII.GetBytes("KONFIDO-ATTEST-V1\0");

    /// <summary>Checks <paramref name="quote"/> against the peer's enrolled attestation key (SubjectPublicKeyInfo DER,
    /// ECDSA P-256), the nonce the verifier sent, and the expected measurements.</summary>
    /// <param name="quote">The quote.</param>
    /// <param name="attestationKey">The peer's enrolled attestation public key.</param>
    /// <param name="expectedNonce">The nonce the verifier sent.</param>
    /// <param name="expectedMeasurements">The federation's accepted measurements.</param>
    public static AttestationResult Check(AttestationQuote quote, ReadOnlySpan<byte> attestationKey, ReadOnlySpan<byte> expectedNonce,
        IEnumerable<NodeMeasurement> expectedMeasurements)
    {
        ArgumentNullException.ThrowIfNull(quote);
        ArgumentNullException.ThrowIfNull(expectedMeasurements);
        if (!CustodySignatures.Verify(CustodyKeyKind.EcdsaP256Signing, attestationKey, quote.Evidence.Span, quote.Signature.Span))
        {
            return new(AttestationFailure.BadSignature, "the quote's signature does not verify under the enrolled attestation key");
        }

        var evidence = quote.Format switch
        {
            AttestationQuote.SoftwareFormat => CheckSoftwareEvidence(quote),
            AttestationQuote.TpmFormat => CheckTpmEvidence(quote),
            _ => new(AttestationFailure.Malformed, $"unknown quote format '{quote.Format}'"),
        };
        if (!evidence.IsValid)
        {
            return evidence;
        }

        // The evidence binds quote.Nonce and quote.Measurement; now compare them with what we expect.
        if (!CryptographicOperations.FixedTimeEquals(quote.Nonce.Span, expectedNonce))
        {
            return new(AttestationFailure.WrongNonce, "the quote answers another nonce");
        }

        var measurement = quote.Measurement.Span;
        foreach (var expected in expectedMeasurements)
        {
            if (expected.Matches(measurement))
            {
                return AttestationResult.Valid;
            }
        }

        return new(AttestationFailure.WrongMeasurement, $"measurement {Convert.ToHexStringLower(measurement)} is not an expected measurement");
    }

    internal static byte[] SoftwareStatement(ReadOnlySpan<byte> measurement, ReadOnlySpan<byte> nonce)
    {
        var statement = new byte[SoftwareMagic.Length + NodeMeasurement.Size + 1 + nonce.Length];
        SoftwareMagic.CopyTo(statement, 0);
        measurement.CopyTo(statement.AsSpan(SoftwareMagic.Length));
        statement[SoftwareMagic.Length + NodeMeasurement.Size] = (byte)nonce.Length;
        nonce.CopyTo(statement.AsSpan(SoftwareMagic.Length + NodeMeasurement.Size + 1));
        return statement;
    }

    /// <summary>The value of a PCR that was reset to zeros and extended once with <paramref name="measurement"/>.</summary>
    internal static byte[] ExpectedPcr(ReadOnlySpan<byte> measurement)
    {
        Span<byte> buffer = stackalloc byte[64];
        buffer[..32].Clear();
        measurement.CopyTo(buffer[32..]);
        return SHA256.HashData(buffer);
    }

    private static AttestationResult CheckSoftwareEvidence(AttestationQuote quote)
    {
        if (quote.Measurement.Length != NodeMeasurement.Size || quote.Nonce.Length > byte.MaxValue)
        {
            return new(AttestationFailure.Malformed, "the quote's measurement or nonce has the wrong size");
        }

        var expected = SoftwareStatement(quote.Measurement.Span, quote.Nonce.Span);
        return quote.Evidence.Span.SequenceEqual(expected)
            ? AttestationResult.Valid
            : new(AttestationFailure.Malformed, "the signed statement does not match the quote's measurement and nonce");
    }

    private static AttestationResult CheckTpmEvidence(AttestationQuote quote)
    {
        if (quote.Measurement.Length != NodeMeasurement.Size || quote.Pcr is < 0 or > 23 || quote.PcrValue.Length != 32)
        {
            return new(AttestationFailure.Malformed, "the quote's measurement, PCR index or PCR value is invalid");
        }

        try
        {
            var r = new TpmReader(quote.Evidence.Span);
            if (r.U32() != TpmConstants.Generated || r.U16() != TpmSt.AttestQuote)
            {
                return new(AttestationFailure.Malformed, "the evidence is not a TPM-generated quote");
            }

            r.Sized();                      // qualifiedSigner
            var extraData = r.Sized();
            r.Take(17);                     // clockInfo: clock (8), resetCount (4), restartCount (4), safe (1)
            r.U64();                        // firmwareVersion
            var selection = new TpmWriter();
            Tpm.TpmSession.WritePcrSelection(selection, quote.Pcr);
            var quotedSelection = r.Take(selection.Length);
            var pcrDigest = r.Sized();
            if (r.Remaining != 0)
            {
                return new(AttestationFailure.Malformed, "trailing bytes after the TPM quote");
            }

            if (!extraData.SequenceEqual(quote.Nonce.Span))
            {
                return new(AttestationFailure.Malformed, "the TPM quote's qualifying data is not the claimed nonce");
            }

            if (!quotedSelection.SequenceEqual(selection.AsSpan()))
            {
                return new(AttestationFailure.Malformed, $"the TPM quote does not cover exactly PCR {quote.Pcr} (SHA-256 bank)");
            }

            if (!pcrDigest.SequenceEqual(SHA256.HashData(quote.PcrValue.Span)))
            {
                return new(AttestationFailure.Malformed, "the TPM quote's PCR digest does not match the claimed PCR value");
            }

            if (!quote.PcrValue.Span.SequenceEqual(ExpectedPcr(quote.Measurement.Span)))
            {
                return new(AttestationFailure.Malformed, "the quoted PCR value is not the claimed measurement extended into a reset PCR");
            }

            return AttestationResult.Valid;
        }
        catch (TpmFormatException ex)
        {
            return new(AttestationFailure.Malformed, ex.Message);
        }
    }
}
