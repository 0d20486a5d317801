using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Konfido.Eid.Saml;
using Konfido.Eid.Xml;

namespace Konfido.Cli;

internal static partial class CommandGroups
{
    static partial void AddSaml(RootCommand root, CliContext context)
    {
        var saml = new Command("saml", "eIDAS SAML 2.0: validate Responses.");
        saml.Add(SamlVerify(context));
        root.Add(saml);
    }

    private static Command SamlVerify(CliContext context)
    {
        var response = new Option<string>("--response") { Description = "The SAML Response: raw XML or base64 as posted by the HTTP-POST binding.", Required = true };
        var trust = new Option<string>("--trust") { Description = "PEM file with the trusted identity-provider signing certificate(s).", Required = true };
        var decryptKey = new Option<string?>("--decrypt-key") { Description = "PKCS#12 file with the SP's RSA decryption key, for an EncryptedAssertion." };
        var password = new Option<string?>("--password") { Description = "Password of the PKCS#12 file." };
        var now = new Option<string?>("--now") { Description = "Validate at this ISO 8601 time instead of the clock." };
        var audience = new Option<string?>("--audience") { Description = "The SP entity ID the assertion must be addressed to." };
        var recipient = new Option<string?>("--recipient") { Description = "The assertion consumer URL the bearer confirmation and Destination must name." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document." };
        var command = new Command("verify", "Validates an eIDAS SAML Response: signature by a trusted key on the Response or the Assertion used, decryption, conditions, signature-wrapping defences.")
        {
            response, trust, decryptKey, password, now, audience, recipient, json,
        };
        command.SetAction((ParseResult r) =>
        {
            var responsePath = r.GetValue(response)!;
            var message = CliContext.ReadText(responsePath, "response");
            var trustPath = r.GetValue(trust)!;
            var trusted = LoadTrust(trustPath);
            var parameters = new SamlValidationParameters(trusted)
            {
                Audience = r.GetValue(audience),
                Recipient = r.GetValue(recipient),
                Now = ParseNow(r.GetValue(now)),
            };
            using var key = LoadDecryptionKey(r.GetValue(decryptKey), r.GetValue(password));
            parameters = parameters with { DecryptionKey = key };

            var result = SamlResponseValidator.Validate(message, parameters);
            if (result.IsUnreadable)
            {
                throw new CliInputException($"response '{responsePath}': {result.Reasons[0]}");
            }

            if (r.GetValue(json))
            {
                context.WriteJson(new JsonObject
                {
                    ["valid"] = result.IsValid,
                    ["reasons"] = new JsonArray([.. result.Reasons.Select(x => (JsonNode?)JsonValue.Create(x))]),
                    ["issuer"] = result.Issuer,
                    ["loa"] = result.Level?.ToUri(),
                    ["attributes"] = new JsonObject
                    {
                        ["PersonIdentifier"] = result.Attribute(SamlNames.PersonIdentifier),
                        ["CurrentFamilyName"] = result.Attribute(SamlNames.CurrentFamilyName),
                        ["CurrentGivenName"] = result.Attribute(SamlNames.CurrentGivenName),
                        ["DateOfBirth"] = result.Attribute(SamlNames.DateOfBirth),
                    },
                });
            }
            else
            {
                context.Out.WriteLine(result.IsValid ? "valid" : "invalid");
                foreach (var reason in result.Reasons)
                {
                    context.Out.WriteLine($"  reason: {reason}");
                }

                if (result.Issuer is not null)
                {
                    context.Out.WriteLine($"  issuer: {result.Issuer}");
                }

                if (result.Level is { } level)
                {
                    context.Out.WriteLine($"  loa: {level.ToUri()}");
                }

                foreach (var name in SamlNames.MandatoryNaturalPersonAttributes)
                {
                    if (result.Attribute(name) is { } value)
                    {
                        context.Out.WriteLine($"  {name[SamlNames.NaturalPerson.Length..]}: {value}");
                    }
                }
            }

            return result.IsValid ? ExitCodes.Ok : ExitCodes.CheckFailed;
        });
        return command;
    }

    private static TrustedCertificates LoadTrust(string path)
    {
        var pem = CliContext.ReadText(path, "trust certificates");
        try
        {
            return TrustedCertificates.FromPem(pem);
        }
        catch (CryptographicException ex)
        {
            throw new CliInputException($"trust certificates '{path}': not a PEM certificate ({ex.Message})", ex);
        }
    }

    private static RSA? LoadDecryptionKey(string? path, string? password)
    {
        if (path is null)
        {
            if (password is not null)
            {
                throw new CliInputException("--password was given without --decrypt-key");
            }

            return null;
        }

        var bytes = CliContext.ReadBytes(path, "decryption key");
        try
        {
            using var cert = X509CertificateLoader.LoadPkcs12(bytes, password, X509KeyStorageFlags.EphemeralKeySet);
            return cert.GetRSAPrivateKey() ?? throw new CliInputException($"decryption key '{path}': the PKCS#12 holds no RSA private key");
        }
        catch (CryptographicException ex)
        {
            throw new CliInputException($"decryption key '{path}': cannot open the PKCS#12 (wrong password or not PKCS#12: {ex.Message})", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static DateTimeOffset? ParseNow(string? text)
    {
        if (text is null)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var now)
            ? now
            : throw new CliInputException($"--now '{text}' is not an ISO 8601 date-time");
    }
}
