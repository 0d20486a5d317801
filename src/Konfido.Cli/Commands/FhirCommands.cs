using System.CommandLine;
using System.Text.Json.Nodes;
using Konfido.Fhir;

namespace Konfido.Cli;

/// <summary><c>konfido fhir ...</c>: FHIR R4 tools.</summary>
internal static partial class CommandGroups
{
    static partial void AddFhir(RootCommand root, CliContext context)
    {
        var fhir = new Command("fhir", "HL7 FHIR R4 tools (International Patient Summary).");
        fhir.Add(FhirValidateCommand(context));
        root.Add(fhir);
    }

    /// <summary>
    /// <c>konfido fhir validate FILE [--json]</c>. Exit 0: valid; 1: a FHIR resource that breaks FHIR R4 or the IPS
    /// rules (issues listed); 2: the file cannot be read, or its content is not a FHIR resource at all (not JSON/XML,
    /// not well formed, or no known resourceType) — one line on stderr, nothing on stdout.
    /// </summary>
    private static Command FhirValidateCommand(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "A FHIR R4 resource in JSON or XML (detected from the first character)." };
        var json = new Option<bool>("--json") { Description = "Print {\"valid\":bool,\"issues\":[{\"severity\",\"code\",\"location\",\"message\"}]} on stdout." };
        var command = new Command("validate", "Parses a FHIR R4 resource and, for a Bundle claiming to be an International Patient Summary, checks the IPS rules.")
        {
            file,
            json,
        };
        command.SetAction((ParseResult r) =>
        {
            var path = r.GetValue(file)!;
            var text = CliContext.ReadText(path, "FHIR file");
            var result = IpsValidator.Validate(text);
            if (!result.IsWellFormed)
            {
                var why = result.Issues.FirstOrDefault()?.Message ?? "not a FHIR resource";
                throw new CliInputException($"{path}: {why}");
            }

            if (r.GetValue(json))
            {
                var issues = new JsonArray();
                foreach (var issue in result.Issues)
                {
                    issues.Add(new JsonObject
                    {
                        ["severity"] = issue.SeverityCode,
                        ["code"] = issue.Code,
                        ["location"] = issue.Location,
                        ["message"] = issue.Message,
                    });
                }

                context.WriteJson(new JsonObject
                {
                    ["valid"] = result.IsValid,
                    ["issues"] = issues,
                    ["resourceType"] = result.Resource!.TypeName,
                    ["format"] = result.Format.ToString().ToLowerInvariant(),
                    ["ips"] = result.IsPatientSummary,
                });
            }
            else
            {
                var kind = result.IsPatientSummary ? "International Patient Summary" : result.Resource!.TypeName + " (not an IPS: IPS rules not applied)";
                var errors = result.Issues.Count(i => i.IsError);
                context.Err.WriteLine(result.IsValid
                    ? $"{path}: valid {kind}, {result.Format.ToString().ToUpperInvariant()}"
                    : $"{path}: INVALID {kind}: {errors} error(s)");
                foreach (var issue in result.Issues)
                {
                    context.Err.WriteLine("  " + issue);
                }
            }

            return result.IsValid ? ExitCodes.Ok : ExitCodes.CheckFailed;
        });
        return command;
    }
}
