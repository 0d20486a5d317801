using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Konfido.Exchange;
using Konfido.Fhir;
using Konfido.Ihe;
using Konfido.Ihe.Cda;
using Konfido.Ihe.Soap;

namespace Konfido.Cli;

/// <summary><c>konfido ihe ...</c>: IHE / eHDSI tools (OpenNCP interoperability).</summary>
internal static partial class CommandGroups
{
    static partial void AddIhe(RootCommand root, CliContext context)
    {
        var ihe = new Command("ihe", "IHE XCPD/XCA/XDR and eHDSI CDA tools for peering with OpenNCP nodes.");
        ihe.Add(IheTransformCommand(context));
        ihe.Add(IheValidateCommand(context));
        root.Add(ihe);
    }

    /// <summary>
    /// <c>konfido ihe transform FILE --to fhir|cda [--country CC] [--strict] [--json]</c>: eHDSI pivot CDA (Patient Summary,
    /// ePrescription, eDispensation) to FHIR R4, or FHIR (IPS Bundle, MedicationRequest or a Bundle of them, MedicationDispense)
    /// to CDA, with the transformation report. Without --json the transformed document goes to stdout and the report to stderr.
    /// Exit 0 transformed; 1 with --strict when something was not mapped; 2 unreadable or not a document Konfido transforms.
    /// </summary>
    private static Command IheTransformCommand(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "A CDA document (XML) or a FHIR R4 resource (JSON or XML)." };
        var to = new Option<string>("--to") { Description = "fhir or cda.", Required = true };
        var country = new Option<string?>("--country") { Description = "The prescribing or dispensing country (ISO 3166-1 alpha-2) written into an ePrescription or eDispensation CDA." };
        var strict = new Option<bool>("--strict") { Description = "Exit 1 when any element was not mapped." };
        var json = new Option<bool>("--json") { Description = "Print {\"documentClass\",\"to\",\"result\",\"report\":{\"complete\",\"mapped\",\"issues\":[{\"kind\",\"location\",\"message\"}]}}." };
        var command = new Command("transform", "Transforms between eHDSI pivot CDA documents and FHIR R4 resources and reports every element not mapped.")
        {
            file, to, country, strict, json,
        };
        command.SetAction((ParseResult r) =>
        {
            var path = r.GetValue(file)!;
            var text = CliContext.ReadText(path, "document");
            var target = r.GetValue(to)?.ToLowerInvariant();
            var transformer = CdaTransformer.Default;
            string documentClass;
            string output;
            TransformationReport report;
            try
            {
                switch (target)
                {
                    case "fhir":
                        var cda = SafeXml.TryLoad(text, out var error) ?? throw new CliInputException($"{path}: not a CDA document: {error}");
                        var kind = CdaTransformer.ClassOf(cda) ?? throw new CliInputException($"{path}: not an eHDSI Patient Summary, ePrescription or eDispensation CDA document");
                        documentClass = kind.ToString();
                        (output, report) = kind switch
                        {
                            IheDocumentClass.PatientSummary => Fhir(transformer.PatientSummaryToFhir(cda)),
                            IheDocumentClass.EPrescription => Prescriptions(transformer.PrescriptionToFhir(cda)),
                            _ => Fhir(transformer.DispensationToFhir(cda)),
                        };
                        break;
                    case "cda":
                        var parsed = IpsValidator.Validate(text);
                        var resource = parsed.Resource ?? throw new CliInputException($"{path}: {parsed.Issues.FirstOrDefault()?.Message ?? "not a FHIR resource"}");
                        string Country() => r.GetValue(country) is { Length: 2 } cc && cc.All(char.IsAsciiLetter)
                            ? cc.ToUpperInvariant()
                            : throw new CliInputException("--country: an ePrescription or eDispensation needs the country as an ISO 3166-1 alpha-2 code");
                        (documentClass, var result) = resource switch
                        {
                            Bundle { Type: Bundle.BundleType.Document } ips => (nameof(IheDocumentClass.PatientSummary), transformer.PatientSummaryToCda(ips)),
                            MedicationRequest rx => (nameof(IheDocumentClass.EPrescription), transformer.PrescriptionToCda([rx], Country())),
                            Bundle bundle when bundle.Entry.Select(e => e.Resource).OfType<MedicationRequest>().ToList() is { Count: > 0 } list
                                => (nameof(IheDocumentClass.EPrescription), transformer.PrescriptionToCda(list, Country())),
                            MedicationDispense dispense => (nameof(IheDocumentClass.EDispensation), transformer.DispensationToCda(dispense, Country())),
                            _ => throw new CliInputException($"{path}: a {resource.TypeName} is not an IPS document Bundle, MedicationRequest(s) or MedicationDispense"),
                        };
                        output = Encoding.UTF8.GetString(SafeXml.ToUtf8(result.Value));
                        report = result.Report;
                        break;
                    default:
                        throw new CliInputException($"--to '{r.GetValue(to)}': expected fhir or cda");
                }
            }
            catch (CdaFormatException ex)
            {
                throw new CliInputException($"{path}: {ex.Message}", ex);
            }

            if (r.GetValue(json))
            {
                var issues = new JsonArray();
                foreach (var issue in report.Issues)
                {
                    issues.Add(new JsonObject { ["kind"] = issue.Kind.ToString().ToLowerInvariant(), ["location"] = issue.Location, ["message"] = issue.Message });
                }

                context.WriteJson(new JsonObject
                {
                    ["documentClass"] = documentClass,
                    ["to"] = target,
                    ["result"] = target == "fhir" ? JsonNode.Parse(output) : output,
                    ["report"] = new JsonObject { ["complete"] = report.IsComplete, ["mapped"] = report.MappedEntries, ["issues"] = issues },
                });
            }
            else
            {
                context.Out.WriteLine(output);
                context.Err.WriteLine($"{path}: {documentClass} -> {target}: {report.MappedEntries} entries mapped, {report.Issues.Count(i => i.Kind == TransformationIssueKind.Unmapped)} not mapped, {report.Issues.Count(i => i.Kind == TransformationIssueKind.Lossy)} lossy");
                foreach (var issue in report.Issues)
                {
                    context.Err.WriteLine($"  {issue.Kind.ToString().ToLowerInvariant()} {issue.Location}: {issue.Message}");
                }
            }

            return r.GetValue(strict) && !report.IsComplete ? ExitCodes.CheckFailed : ExitCodes.Ok;
        });
        return command;

        static (string, TransformationReport) Fhir<T>(TransformationResult<T> result) where T : Resource =>
            (Encoding.UTF8.GetString(FhirJson.Serialize(result.Value)), result.Report);

        static (string, TransformationReport) Prescriptions(TransformationResult<IReadOnlyList<MedicationRequest>> result)
        {
            var bundle = new Bundle { Type = Bundle.BundleType.Collection };
            foreach (var rx in result.Value)
            {
                bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:" + Guid.NewGuid().ToString("D"), Resource = rx });
            }

            return (Encoding.UTF8.GetString(FhirJson.Serialize(bundle)), result.Report);
        }
    }

    /// <summary><c>konfido ihe validate FILE [--json]</c>: schema validation of an IHE SOAP message or payload (what Konfido sends). Exit 0 valid, 1 invalid, 2 not XML.</summary>
    private static Command IheValidateCommand(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "A SOAP envelope or its body payload (XCPD, XCA, XDR message)." };
        var json = new Option<bool>("--json") { Description = "Print {\"valid\":bool,\"errors\":[..]}." };
        var command = new Command("validate", "Validates an IHE message against Konfido's minimal XCPD/XCA/XDR/SOAP schemas.") { file, json };
        command.SetAction((ParseResult r) =>
        {
            var path = r.GetValue(file)!;
            var document = SafeXml.TryLoad(CliContext.ReadText(path, "message"), out var error) ?? throw new CliInputException($"{path}: {error}");
            var errors = IheSchemas.Validate(document.Root!);
            if (r.GetValue(json))
            {
                context.WriteJson(new JsonObject { ["valid"] = errors.Count == 0, ["errors"] = new JsonArray([.. errors.Select(e => (JsonNode)e)]) });
            }
            else
            {
                context.Err.WriteLine(errors.Count == 0 ? $"{path}: valid" : $"{path}: INVALID: {errors.Count} error(s)");
                foreach (var e in errors)
                {
                    context.Err.WriteLine("  " + e);
                }
            }

            return errors.Count == 0 ? ExitCodes.Ok : ExitCodes.CheckFailed;
        });
        return command;
    }
}
