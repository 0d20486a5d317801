using System.Globalization;
using System.Text.Json;
using Konfido.Core;

namespace Konfido.Ledger.Log;

/// <summary>
/// The ledger's entry format for a <see cref="SecurityEvent"/>: compact UTF-8 JSON with fields in a fixed
/// order, attributes sorted by key, null fields omitted, and the patient identifier replaced by its
/// pseudonym. Equal events give equal bytes, so an auditor can recompute a leaf.
/// </summary>
public static class SecurityEventEncoding
{
    /// <summary>The entry's format tag (the <c>v</c> field).</summary>
    public const string Version = "konfido-event/1";

    /// <summary>Encodes <paramref name="securityEvent"/> with its patient identifier pseudonymised.</summary>
    /// <param name="securityEvent">The event.</param>
    /// <param name="pseudonymiser">Pseudonymises the patient identifier.</param>
    public static byte[] Encode(SecurityEvent securityEvent, PatientPseudonymiser pseudonymiser)
    {
        ArgumentNullException.ThrowIfNull(securityEvent);
        ArgumentNullException.ThrowIfNull(pseudonymiser);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("v", Version);
            json.WriteString("id", securityEvent.Id);
            json.WriteString("timestamp", securityEvent.Timestamp.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture));
            json.WriteString("node", securityEvent.Node);
            json.WriteString("category", securityEvent.Category);
            json.WriteString("action", securityEvent.Action);
            json.WriteString("outcome", securityEvent.Outcome.ToString().ToLowerInvariant());
            WriteOptional(json, "actor", securityEvent.Actor);
            WriteOptional(json, "actor_role", securityEvent.ActorRole);
            WriteOptional(json, "organisation", securityEvent.Organisation);
            WriteOptional(json, "purpose_of_use", securityEvent.PurposeOfUse);
            if (!string.IsNullOrWhiteSpace(securityEvent.PatientId))
            {
                json.WriteString("patient", pseudonymiser.Pseudonymise(securityEvent.PatientId));
            }

            WriteOptional(json, "source_country", securityEvent.SourceCountry);
            WriteOptional(json, "target_country", securityEvent.TargetCountry);
            WriteOptional(json, "source_ip", securityEvent.SourceIp);
            WriteOptional(json, "reason", securityEvent.Reason);
            if (securityEvent.Attributes.Count > 0)
            {
                json.WriteStartObject("attributes");
                foreach (var (key, value) in securityEvent.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}
