using System.Security.Cryptography;
using System.Xml;
using Konfido.Eid.Xml;

namespace Konfido.Eid.Saml;

/// <summary>What a <see cref="SamlResponseValidator"/> checks a Response against.</summary>
/// <param name="Trust">The identity providers' trusted signing certificates.</param>
public sealed record SamlValidationParameters(TrustedCertificates Trust)
{
    /// <summary>The SP's RSA private key for encrypted assertions, or null.</summary>
    public RSA? DecryptionKey { get; init; }

    /// <summary>The time to validate at; null for the clock of <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset? Now { get; init; }

    /// <summary>The clock used when <see cref="Now"/> is null.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The tolerated clock difference, either way (default 60 s).</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The SP entity ID the assertion must be addressed to, or null not to check.</summary>
    public string? Audience { get; init; }

    /// <summary>The assertion consumer URL the bearer confirmation must name, or null not to check.</summary>
    public string? Recipient { get; init; }

    /// <summary>The ID of the AuthnRequest this Response answers, or null not to check.</summary>
    public string? InResponseTo { get; init; }

    /// <summary>The lowest acceptable level of assurance, or null not to check.</summary>
    public LevelOfAssurance? MinimumLevel { get; init; }

    /// <summary>The replay cache for assertion IDs, or null not to check.</summary>
    public IAssertionReplayCache? ReplayCache { get; init; }

    /// <summary>The largest accepted message, in characters.</summary>
    public int MaxCharacters { get; init; } = SecureXml.DefaultMaxCharacters;
}

/// <summary>The outcome of validating an eIDAS SAML Response.</summary>
public sealed record SamlValidationResult
{
    /// <summary>True if every check held.</summary>
    public required bool IsValid { get; init; }

    /// <summary>True if the input was not a SAML message at all (neither XML nor base64 of XML, or not well-formed).</summary>
    public bool IsUnreadable { get; init; }

    /// <summary>Every reason the Response was refused; empty when valid.</summary>
    public required IReadOnlyList<string> Reasons { get; init; }

    /// <summary>The issuer of the verified assertion, when its signature verified.</summary>
    public string? Issuer { get; init; }

    /// <summary>The level of assurance of the verified assertion, when known.</summary>
    public LevelOfAssurance? Level { get; init; }

    /// <summary>The verified assertion's ID, when known.</summary>
    public string? AssertionId { get; init; }

    /// <summary>The NameID of the assertion's subject, when known: verified when <see cref="IsValid"/>, otherwise only what the refused assertion claimed.</summary>
    public string? NameId { get; init; }

    /// <summary>Every attribute of the verified assertion (name to values).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Attributes { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The natural person, when the minimum data set was present and well-formed.</summary>
    public EidasPerson? Person { get; init; }

    /// <summary>The first value of <paramref name="attributeName"/>, or null.</summary>
    /// <param name="attributeName">The attribute URI.</param>
    public string? Attribute(string attributeName) =>
        Attributes.TryGetValue(attributeName, out var v) && v.Count > 0 ? v[0] : null;
}

/// <summary>
/// Validates an eIDAS SAML 2.0 Response as an SP must (SAML profiles 2.0 section 4.1.4.3, eIDAS
/// SAML Message Format v1.2): secure parsing, the signature on the Response or on the one
/// Assertion used, decryption of an EncryptedAssertion, status, conditions, bearer
/// confirmation, level of assurance, the natural-person attributes and the replay cache.
/// </summary>
/// <remarks>
/// Signature wrapping (XSW1-8, Somorovsky et al., "On Breaking SAML", USENIX Security 2012) is
/// defeated structurally: the Response is the document element; exactly one Assertion or
/// EncryptedAssertion exists in the whole message, as a direct child of the Response; a signature
/// counts only as the direct child of the element it references, whose ID is unique in the
/// message; and every value is read from that verified element alone.
/// </remarks>
public static class SamlResponseValidator
{
    /// <summary>Validates <paramref name="message"/> (raw XML or base64 of it). Never throws for bad input.</summary>
    /// <param name="message">The Response as received.</param>
    /// <param name="parameters">What to check against.</param>
    public static SamlValidationResult Validate(string message, SamlValidationParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(parameters);
        var reasons = new List<string>();
        if (message.Length > 2L * parameters.MaxCharacters)
        {
            return Invalid($"message of {message.Length} characters exceeds the limit of {parameters.MaxCharacters}");
        }

        var xml = SecureXml.DecodeXmlOrBase64(message);
        if (xml is null)
        {
            return new SamlValidationResult { IsValid = false, IsUnreadable = true, Reasons = ["message is neither XML nor base64-encoded XML"] };
        }

        if (!SecureXml.TryLoad(xml, out var doc, out var loadReason, parameters.MaxCharacters))
        {
            return new SamlValidationResult { IsValid = false, IsUnreadable = loadReason!.StartsWith("not well-formed", StringComparison.Ordinal), Reasons = [loadReason] };
        }

        var response = doc!.DocumentElement!;
        if (response.LocalName != "Response" || response.NamespaceURI != SamlNames.Protocol)
        {
            return Invalid($"document element is {response.Name}, not samlp:Response");
        }

        if (response.GetAttribute("Version") != "2.0" || response.GetAttribute("ID").Length == 0)
        {
            return Invalid("Response lacks Version 2.0 or an ID");
        }

        var statusCode = SamlXml.Single(SamlXml.Single(response, "Status", SamlNames.Protocol), "StatusCode", SamlNames.Protocol)?.GetAttribute("Value");
        if (statusCode != SamlNames.StatusSuccess)
        {
            return Invalid($"Response status is '{statusCode}', not Success");
        }

        // Signature wrapping: one assertion in the whole message, at the one expected position.
        var assertions = SamlXml.CountDescendants(response, "Assertion", SamlNames.Assertion);
        var encrypted = SamlXml.CountDescendants(response, "EncryptedAssertion", SamlNames.Assertion);
        var direct = SamlXml.Children(response, "Assertion", SamlNames.Assertion);
        var directEncrypted = SamlXml.Children(response, "EncryptedAssertion", SamlNames.Assertion);
        if (assertions + encrypted != 1 || direct.Count + directEncrypted.Count != 1)
        {
            return Invalid($"message holds {assertions} assertions and {encrypted} encrypted assertions, {direct.Count + directEncrypted.Count} of them in place; exactly one, as a child of the Response, is allowed (signature wrapping)");
        }

        var responseSigned = false;
        if (XmlSignature.DirectSignatures(response).Count > 0)
        {
            var check = XmlSignature.VerifyEnveloped(response, parameters.Trust);
            if (!check.IsValid)
            {
                return Invalid("Response signature: " + check.Reason);
            }

            responseSigned = true;
        }

        XmlElement assertion;
        if (directEncrypted.Count == 1)
        {
            if (parameters.DecryptionKey is null)
            {
                return Invalid("assertion is encrypted and no decryption key was given");
            }

            var data = SamlXml.Single(directEncrypted[0], "EncryptedData", XmlNames.XEnc);
            if (data is null)
            {
                return Invalid("EncryptedAssertion lacks exactly one EncryptedData");
            }

            if (!XmlEncryption.TryDecrypt(data, parameters.DecryptionKey, out var plaintext, out var decryptReason))
            {
                return Invalid("EncryptedAssertion: " + decryptReason);
            }

            if (!SecureXml.TryLoad(plaintext!, out var inner, out var innerReason, parameters.MaxCharacters))
            {
                return Invalid("decrypted assertion: " + innerReason);
            }

            assertion = inner!.DocumentElement!;
            if (assertion.LocalName != "Assertion" || assertion.NamespaceURI != SamlNames.Assertion
                || SamlXml.CountDescendants(assertion, "Assertion", SamlNames.Assertion) != 1)
            {
                return Invalid("decrypted content is not exactly one saml2:Assertion (signature wrapping)");
            }
        }
        else
        {
            assertion = direct[0];
        }

        if (XmlSignature.DirectSignatures(assertion).Count > 0)
        {
            var check = XmlSignature.VerifyEnveloped(assertion, parameters.Trust);
            if (!check.IsValid)
            {
                // The account the forgery claims (unverified), so that the login event can name it: brute force on one account shows.
                return Invalid("Assertion signature: " + check.Reason) with { NameId = SamlXml.Single(SamlXml.Single(assertion, "Subject"), "NameID")?.InnerText };
            }
        }
        else if (!responseSigned)
        {
            return Invalid("neither the Response nor the Assertion is signed");
        }

        // From here on only the verified assertion element is read.
        if (!AssertionContent.TryRead(assertion, reasons, out var content))
        {
            return new SamlValidationResult { IsValid = false, Reasons = reasons, Issuer = content.Issuer.Length > 0 ? content.Issuer : null };
        }

        var now = parameters.Now ?? parameters.TimeProvider.GetUtcNow();
        var skew = parameters.ClockSkew;
        content.CheckWindow(now, skew, reasons);
        if (parameters.Audience is { } audience)
        {
            content.CheckAudience(audience, reasons);
        }

        CheckBearer(content, response, parameters, now, reasons);

        var level = LevelsOfAssurance.FromUri(content.AuthnContextClassRef);
        if (level is null)
        {
            reasons.Add($"AuthnContextClassRef '{content.AuthnContextClassRef}' is not an eIDAS level of assurance");
        }
        else if (parameters.MinimumLevel is { } minimum && level < minimum)
        {
            reasons.Add($"level of assurance {level.Value.ToShortName()} is below the required {minimum.ToShortName()}");
        }

        var person = ReadPerson(content, reasons);

        if (reasons.Count == 0 && parameters.ReplayCache is { } cache)
        {
            var expiry = (content.NotOnOrAfter ?? now) + skew;
            if (!cache.TryRecord(content.Id, expiry, now))
            {
                reasons.Add($"assertion ID '{content.Id}' was already used (replay)");
            }
        }

        return new SamlValidationResult
        {
            IsValid = reasons.Count == 0,
            Reasons = reasons,
            Issuer = content.Issuer,
            Level = level,
            AssertionId = content.Id,
            NameId = content.NameId,
            Attributes = content.Attributes.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal),
            Person = person,
        };
    }

    private static void CheckBearer(AssertionContent content, XmlElement response, SamlValidationParameters parameters, DateTimeOffset now, List<string> reasons)
    {
        var bearers = content.Confirmations.Where(c => c.Method == SamlNames.Bearer).ToList();
        if (bearers.Count == 0)
        {
            reasons.Add("assertion has no bearer SubjectConfirmation");
            return;
        }

        // One bearer confirmation must satisfy every check (SAML profiles 2.0 section 4.1.4.3).
        var problems = new List<string>();
        foreach (var (_, recipient, inResponseTo, notOnOrAfter) in bearers)
        {
            problems.Clear();
            if (notOnOrAfter is not { } noa)
            {
                problems.Add("bearer SubjectConfirmationData has no NotOnOrAfter");
            }
            else if (now - parameters.ClockSkew >= noa)
            {
                problems.Add($"bearer confirmation has expired (NotOnOrAfter {SamlXml.Time(noa)})");
            }

            if (parameters.Recipient is { } expectedRecipient && recipient != expectedRecipient)
            {
                problems.Add($"wrong recipient: '{recipient}' is not '{expectedRecipient}'");
            }

            if (parameters.InResponseTo is { } expectedRequest && inResponseTo != expectedRequest)
            {
                problems.Add($"InResponseTo '{inResponseTo}' does not answer request '{expectedRequest}'");
            }

            if (problems.Count == 0)
            {
                break;
            }
        }

        reasons.AddRange(problems);
        if (parameters.InResponseTo is { } expected && response.HasAttribute("InResponseTo") && response.GetAttribute("InResponseTo") != expected)
        {
            reasons.Add($"Response InResponseTo '{response.GetAttribute("InResponseTo")}' does not answer request '{expected}'");
        }

        if (parameters.Recipient is { } dest && response.HasAttribute("Destination") && response.GetAttribute("Destination") != dest)
        {
            reasons.Add($"wrong recipient: Response Destination '{response.GetAttribute("Destination")}' is not '{dest}'");
        }
    }

    private static EidasPerson? ReadPerson(AssertionContent content, List<string> reasons)
    {
        var missing = SamlNames.MandatoryNaturalPersonAttributes.Where(n => content.First(n) is null).ToList();
        if (missing.Count > 0)
        {
            reasons.Add("mandatory attribute(s) missing: " + string.Join(", ", missing.Select(m => m[SamlNames.NaturalPerson.Length..])));
            return null;
        }

        var id = content.First(SamlNames.PersonIdentifier)!;
        if (!EidasPerson.IsValidPersonIdentifier(id))
        {
            reasons.Add($"PersonIdentifier '{id}' is not of the form CC/CC/identifier");
            return null;
        }

        if (!DateOnly.TryParseExact(content.First(SamlNames.DateOfBirth), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var birth))
        {
            reasons.Add("DateOfBirth is not of the form YYYY-MM-DD");
            return null;
        }

        return new EidasPerson(id, content.First(SamlNames.CurrentFamilyName)!, content.First(SamlNames.CurrentGivenName)!, birth)
        {
            BirthName = content.First(SamlNames.BirthName),
            PlaceOfBirth = content.First(SamlNames.PlaceOfBirth),
            Gender = content.First(SamlNames.Gender),
        };
    }

    private static SamlValidationResult Invalid(string reason) => new() { IsValid = false, Reasons = [reason] };
}
