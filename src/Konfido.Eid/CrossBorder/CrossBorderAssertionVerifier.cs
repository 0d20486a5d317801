using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Konfido.Core;
using Konfido.Eid.Saml;
using Konfido.Eid.Xml;

namespace Konfido.Eid.CrossBorder;

/// <summary>
/// The certificates allowed to sign cross-border assertions for a country: the federation trust
/// list (the eHDSI TSL) backs it in a node.
/// </summary>
/// <remarks>
/// Return the same list instance until the trust list changes: the verifier caches the parsed
/// keys per instance, so a new instance is what tells it to re-parse.
/// </remarks>
public interface ITrustedSigners
{
    /// <summary>The signing certificates of <paramref name="country"/>'s NCP; empty if none is trusted.</summary>
    /// <param name="country">The issuing country.</param>
    IReadOnlyList<X509Certificate2> GetSigners(CountryCode country);
}

/// <summary>A fixed <see cref="ITrustedSigners"/>, for tests, the demo and small deployments.</summary>
public sealed class StaticTrustedSigners : ITrustedSigners
{
    private readonly Dictionary<CountryCode, IReadOnlyList<X509Certificate2>> _byCountry;

    /// <summary>Creates the trust source from country to certificates.</summary>
    /// <param name="signers">The signing certificates of each country.</param>
    public StaticTrustedSigners(IReadOnlyDictionary<CountryCode, IReadOnlyList<X509Certificate2>> signers)
    {
        ArgumentNullException.ThrowIfNull(signers);
        _byCountry = signers.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<X509Certificate2>)[.. kv.Value]);
    }

    /// <inheritdoc />
    public IReadOnlyList<X509Certificate2> GetSigners(CountryCode country) =>
        _byCountry.TryGetValue(country, out var list) ? list : [];
}

/// <summary>What country A is asked for: who must have signed and what the transaction needs.</summary>
/// <param name="SourceCountry">The country whose NCP sent the request (B), from the mutual-TLS peer.</param>
/// <param name="PatientId">The patient the transaction concerns, as in the TRC's resource id.</param>
/// <param name="RequiredPermission">The permission the transaction needs.</param>
public sealed record CrossBorderRequest(CountryCode SourceCountry, string PatientId, CrossBorderPermission RequiredPermission)
{
    /// <summary>The lowest level of assurance the local policy accepts for this action, or null.</summary>
    public LevelOfAssurance? MinimumLevel { get; init; }
}

/// <summary>The outcome of verifying an HCP identity assertion and a TRC for one transaction.</summary>
public sealed record CrossBorderVerification
{
    /// <summary>True if both assertions hold for the request.</summary>
    public required bool IsValid { get; init; }

    /// <summary>Every reason for refusal; empty when valid.</summary>
    public required IReadOnlyList<string> Reasons { get; init; }

    /// <summary>The verified professional, when the HCP assertion itself verified.</summary>
    public HcpIdentity? Professional { get; init; }

    /// <summary>The HCP assertion's ID, when read.</summary>
    public string? HcpAssertionId { get; init; }

    /// <summary>The TRC's ID, when read.</summary>
    public string? TrcAssertionId { get; init; }

    /// <summary>The purpose of use the TRC states, when read.</summary>
    public PurposeOfUse? PurposeOfUse { get; init; }
}

/// <summary>
/// Country A's check of the cross-border assertions on every discovery, retrieval and
/// dispensation: both signed by a key the trust list gives for the source country, within their
/// validity (±60 s skew) and lifetime limits (HCP 4 h, TRC 2 h), addressed to the x-border
/// audience; the TRC names the requested patient, the same professional, and references this HCP
/// assertion; the HCP assertion grants the permission the transaction needs.
/// </summary>
public sealed class CrossBorderAssertionVerifier
{
    private readonly CountryCode _local;
    private readonly ITrustedSigners _signers;
    private readonly ISecurityEventSink? _events;
    private readonly TimeProvider _time;
    private readonly ConditionalWeakTable<IReadOnlyList<X509Certificate2>, TrustedCertificates> _parsed = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(TrustedCertificates Trust, string Digest), AssertionContent> _verified = new();
    private const int VerifiedCapacity = 8192;

    /// <summary>Creates the verifier of country <paramref name="local"/>.</summary>
    /// <param name="local">This node's country (A).</param>
    /// <param name="signers">The trust source.</param>
    /// <param name="events">Where verification failures go, or null.</param>
    /// <param name="time">The clock; the system clock by default.</param>
    public CrossBorderAssertionVerifier(CountryCode local, ITrustedSigners signers, ISecurityEventSink? events = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(signers);
        _local = local;
        _signers = signers;
        _events = events;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The tolerated clock difference, either way.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The largest accepted assertion, in characters.</summary>
    public int MaxCharacters { get; init; } = 64 * 1024;

    /// <summary>
    /// Verifies the pair for <paramref name="request"/>. Each assertion may be the XML or its
    /// header form (base64); null or empty means it is missing. Never throws for bad input.
    /// </summary>
    /// <param name="hcpAssertion">The HCP identity assertion.</param>
    /// <param name="trcAssertion">The TRC.</param>
    /// <param name="request">What is being asked.</param>
    /// <param name="now">The time to verify at; the clock when null.</param>
    public CrossBorderVerification Verify(string? hcpAssertion, string? trcAssertion, CrossBorderRequest request, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var at = now ?? _time.GetUtcNow();
        var reasons = new List<string>();
        if (string.IsNullOrWhiteSpace(hcpAssertion))
        {
            reasons.Add("HCP identity assertion is missing (a TRC is only valid with its HCP assertion)");
        }

        if (string.IsNullOrWhiteSpace(trcAssertion))
        {
            reasons.Add("treatment-relationship confirmation (TRC) is missing");
        }

        if (reasons.Count > 0)
        {
            return new CrossBorderVerification { IsValid = false, Reasons = reasons };
        }

        var trust = TrustFor(request.SourceCountry);
        if (trust.Anchors.Count == 0)
        {
            return new CrossBorderVerification { IsValid = false, Reasons = [$"no signing certificate is trusted for {request.SourceCountry}"] };
        }

        var hcp = Load("HCP assertion", hcpAssertion!, trust, reasons);
        var trc = Load("TRC", trcAssertion!, trust, reasons);
        if (hcp is null || trc is null)
        {
            return new CrossBorderVerification { IsValid = false, Reasons = reasons, HcpAssertionId = hcp?.Id, TrcAssertionId = trc?.Id };
        }

        var professional = CheckHcp(hcp, request, at, reasons);
        var purpose = CheckTrc(trc, hcp, request, at, reasons);
        return new CrossBorderVerification
        {
            IsValid = reasons.Count == 0,
            Reasons = reasons,
            Professional = professional,
            HcpAssertionId = hcp.Id,
            TrcAssertionId = trc.Id,
            PurposeOfUse = purpose,
        };
    }

    /// <summary>As <see cref="Verify"/>, and publishes a refusal as an <c>identity</c> event (<c>assertion-verify</c>).</summary>
    /// <param name="hcpAssertion">The HCP identity assertion.</param>
    /// <param name="trcAssertion">The TRC.</param>
    /// <param name="request">What is being asked.</param>
    /// <param name="sourceIp">The caller's address, for the event, or null.</param>
    /// <param name="cancellationToken">Cancels publishing.</param>
    public async ValueTask<CrossBorderVerification> VerifyAsync(string? hcpAssertion, string? trcAssertion, CrossBorderRequest request, string? sourceIp = null, CancellationToken cancellationToken = default)
    {
        var result = Verify(hcpAssertion, trcAssertion, request);
        if (!result.IsValid && _events is not null)
        {
            await _events.PublishAsync(new SecurityEvent
            {
                Node = _local.Value,
                Category = EventCategories.Identity,
                Action = "assertion-verify",
                Outcome = EventOutcome.Failure,
                Actor = result.Professional?.SubjectId,
                ActorRole = result.Professional?.Role.IscoCode(),
                Organisation = result.Professional?.Organisation,
                PurposeOfUse = result.PurposeOfUse?.Code(),
                PatientId = request.PatientId,
                SourceCountry = request.SourceCountry.Value,
                TargetCountry = _local.Value,
                SourceIp = sourceIp,
                Reason = string.Join("; ", result.Reasons),
                Attributes = new Dictionary<string, string>(StringComparer.Ordinal) { ["permission"] = request.RequiredPermission.ToString() },
            }, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    private TrustedCertificates TrustFor(CountryCode country)
    {
        var list = _signers.GetSigners(country);
        return _parsed.GetValue(list, static l => new TrustedCertificates(l));
    }

    private AssertionContent? Load(string what, string text, TrustedCertificates trust, List<string> reasons)
    {
        // The same HCP assertion (and, while it lasts, the same TRC) comes with every request of a session: a signature
        // verified once for these exact bytes under this trust is not verified again. Time, audience, patient,
        // permission and the HCP-TRC link are still checked on every request.
        var digest = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
        if (_verified.TryGetValue((trust, digest), out var known))
        {
            return known;
        }

        var loaded = LoadUncached(what, text, trust, reasons);
        if (loaded is not null)
        {
            if (_verified.Count >= VerifiedCapacity)
            {
                _verified.Clear();
            }

            _verified[(trust, digest)] = loaded;
        }

        return loaded;
    }

    private AssertionContent? LoadUncached(string what, string text, TrustedCertificates trust, List<string> reasons)
    {
        var xml = SecureXml.DecodeXmlOrBase64(text.Length > 2L * MaxCharacters ? string.Empty : text);
        if (xml is null)
        {
            reasons.Add($"{what}: neither XML nor base64 of XML, or larger than {MaxCharacters} characters");
            return null;
        }

        var local = new List<string>();
        var element = AssertionContent.LoadSignedStandalone(xml, trust, MaxCharacters, local, out _);
        if (element is null || !AssertionContent.TryRead(element, local, out var content))
        {
            reasons.AddRange(local.Select(r => $"{what}: {r}"));
            return null;
        }

        return content;
    }

    private HcpIdentity? CheckHcp(AssertionContent hcp, CrossBorderRequest request, DateTimeOffset now, List<string> reasons)
    {
        var local = new List<string>();
        CheckCommon(hcp, CrossBorderAssertionIssuer.MaxHcpLifetime, now, local);
        var role = CrossBorderNames.RoleFromIscoCode(hcp.First(CrossBorderNames.Role));
        var purpose = CrossBorderNames.PurposeFromCode(hcp.First(CrossBorderNames.PurposeOfUse));
        var facility = CrossBorderNames.FacilityFromName(hcp.First(CrossBorderNames.FacilityType));
        var level = LevelsOfAssurance.FromUri(hcp.AuthnContextClassRef);
        if (role is null)
        {
            local.Add($"role '{hcp.First(CrossBorderNames.Role)}' is not an accepted ISCO-08 code (221, 222, 2262)");
        }

        if (purpose is null)
        {
            local.Add($"purpose of use '{hcp.First(CrossBorderNames.PurposeOfUse)}' is not TREATMENT or EMERGENCY");
        }

        if (facility is null)
        {
            local.Add($"healthcare facility type '{hcp.First(CrossBorderNames.FacilityType)}' is unknown");
        }

        if (level is null)
        {
            local.Add("no eIDAS level of assurance in the AuthnStatement");
        }
        else if (request.MinimumLevel is { } minimum && level < minimum)
        {
            local.Add($"level of assurance {level.Value.ToShortName()} is below the required {minimum.ToShortName()}");
        }

        var permissions = new List<CrossBorderPermission>();
        if (hcp.Attributes.TryGetValue(CrossBorderNames.Permission, out var urns))
        {
            foreach (var urn in urns)
            {
                if (CrossBorderNames.PermissionFromUrn(urn) is { } p)
                {
                    permissions.Add(p);
                }
            }
        }

        if (!permissions.Contains(request.RequiredPermission))
        {
            local.Add($"the professional lacks the permission {request.RequiredPermission} ({request.RequiredPermission.Urn()})");
        }

        HcpIdentity? identity = null;
        if (role is not null && purpose is not null && facility is not null && level is not null)
        {
            try
            {
                identity = HcpIdentity.Create(hcp.NameId ?? string.Empty, hcp.First(CrossBorderNames.SubjectId) ?? string.Empty, role.Value,
                    hcp.First(CrossBorderNames.Organisation) ?? string.Empty, hcp.First(CrossBorderNames.OrganisationId) ?? string.Empty,
                    facility.Value, hcp.First(CrossBorderNames.Locality) ?? string.Empty, purpose.Value, permissions, level.Value);
            }
            catch (ArgumentException ex)
            {
                local.Add(ex.Message);
            }
        }

        reasons.AddRange(local.Select(r => "HCP assertion: " + r));
        return identity;
    }

    private PurposeOfUse? CheckTrc(AssertionContent trc, AssertionContent hcp, CrossBorderRequest request, DateTimeOffset now, List<string> reasons)
    {
        var local = new List<string>();
        CheckCommon(trc, CrossBorderAssertionIssuer.MaxTrcLifetime, now, local);
        if (!trc.AdviceAssertionIdRefs.Contains(hcp.Id, StringComparer.Ordinal))
        {
            local.Add($"does not reference the HCP assertion '{hcp.Id}' (it references '{string.Join("', '", trc.AdviceAssertionIdRefs)}')");
        }

        if (trc.NameId != hcp.NameId)
        {
            local.Add($"subject '{trc.NameId}' is not the professional '{hcp.NameId}' of the HCP assertion");
        }

        var patient = trc.First(CrossBorderNames.ResourceId);
        if (patient != request.PatientId)
        {
            local.Add($"is for another patient ('{patient}', not the requested '{request.PatientId}')");
        }

        var purpose = CrossBorderNames.PurposeFromCode(trc.First(CrossBorderNames.PurposeOfUse));
        if (purpose is null)
        {
            local.Add($"purpose of use '{trc.First(CrossBorderNames.PurposeOfUse)}' is not TREATMENT or EMERGENCY");
        }

        reasons.AddRange(local.Select(r => "TRC: " + r));
        return purpose;
    }

    private void CheckCommon(AssertionContent content, TimeSpan maxLifetime, DateTimeOffset now, List<string> reasons)
    {
        content.CheckWindow(now, ClockSkew, reasons);
        content.CheckAudience(CrossBorderNames.Audience, reasons);
        if (content.NotBefore is not { } nb)
        {
            reasons.Add("has no NotBefore");
        }
        else if (content.NotOnOrAfter is { } noa && noa - nb > maxLifetime)
        {
            reasons.Add($"lifetime of {(noa - nb).TotalMinutes:0} minutes exceeds the maximum of {maxLifetime.TotalMinutes:0}");
        }

        if (string.IsNullOrEmpty(content.NameId))
        {
            reasons.Add("has no subject NameID");
        }
    }
}
