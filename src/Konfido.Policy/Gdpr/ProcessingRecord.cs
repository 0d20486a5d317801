using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Konfido.Policy.Rules;

namespace Konfido.Policy.Gdpr;

/// <summary>A party named in the record (controller, DPO, representative).</summary>
/// <param name="Name">The name.</param>
/// <param name="Contact">Contact details (address, e-mail, phone).</param>
public sealed record ProcessingParty(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("contact")] string Contact);

/// <summary>A transfer of personal data to a third country or international organisation.</summary>
/// <param name="Destination">The country or organisation.</param>
/// <param name="Safeguards">The Art. 46/49 safeguards (or "EU/EEA member state: no transfer safeguards needed").</param>
public sealed record ProcessingTransfer(
    [property: JsonPropertyName("destination")] string Destination,
    [property: JsonPropertyName("safeguards")] string Safeguards);

/// <summary>One processing activity as configured.</summary>
/// <param name="Name">The activity (e.g. "Cross-border patient summary exchange").</param>
/// <param name="Purposes">The purposes of the processing (Art. 30(1)(b)).</param>
/// <param name="LegalBasis">The Art. 6 and Art. 9 bases.</param>
/// <param name="DataSubjects">Categories of data subjects (Art. 30(1)(c)).</param>
/// <param name="PersonalData">Categories of personal data (Art. 30(1)(c)).</param>
/// <param name="Recipients">Categories of recipients (Art. 30(1)(d)); the accepted requesting countries are added from the policy.</param>
/// <param name="Transfers">Transfers to third countries (Art. 30(1)(e)).</param>
/// <param name="Retention">Time limits for erasure (Art. 30(1)(f)); the policy's retention rules are added.</param>
/// <param name="SecurityMeasures">Technical and organisational measures (Art. 30(1)(g), Art. 32).</param>
public sealed record ProcessingActivity(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("purposes")] IReadOnlyList<string> Purposes,
    [property: JsonPropertyName("legalBasis")] string LegalBasis,
    [property: JsonPropertyName("dataSubjects")] IReadOnlyList<string> DataSubjects,
    [property: JsonPropertyName("personalData")] IReadOnlyList<string> PersonalData,
    [property: JsonPropertyName("recipients")] IReadOnlyList<string> Recipients,
    [property: JsonPropertyName("transfers")] IReadOnlyList<ProcessingTransfer> Transfers,
    [property: JsonPropertyName("retention")] IReadOnlyList<string> Retention,
    [property: JsonPropertyName("securityMeasures")] IReadOnlyList<string> SecurityMeasures);

/// <summary>The configuration the record of processing activities is generated from (a node's JSON settings).</summary>
/// <param name="Controller">The controller (Art. 30(1)(a)).</param>
/// <param name="DataProtectionOfficer">The DPO (Art. 30(1)(a)).</param>
/// <param name="Representative">The Art. 27 representative, if any.</param>
/// <param name="Activities">The processing activities.</param>
public sealed record ProcessingRecordConfiguration(
    [property: JsonPropertyName("controller")] ProcessingParty Controller,
    [property: JsonPropertyName("dataProtectionOfficer")] ProcessingParty DataProtectionOfficer,
    [property: JsonPropertyName("representative")] ProcessingParty? Representative,
    [property: JsonPropertyName("activities")] IReadOnlyList<ProcessingActivity> Activities)
{
    /// <summary>Reads the configuration from JSON; every problem is listed.</summary>
    /// <param name="json">The JSON text.</param>
    public static (ProcessingRecordConfiguration? Configuration, IReadOnlyList<string> Errors) FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        ProcessingRecordConfiguration? config;
        try
        {
            config = JsonSerializer.Deserialize(json, GdprJsonContext.Default.ProcessingRecordConfiguration);
        }
        catch (JsonException ex)
        {
            return (null, [$"not valid processing-record JSON: {ex.Message}"]);
        }

        if (config is null)
        {
            return (null, ["the configuration is JSON null"]);
        }

        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(config.Controller?.Name))
        {
            errors.Add("controller.name is missing");
        }

        if (string.IsNullOrWhiteSpace(config.DataProtectionOfficer?.Contact))
        {
            errors.Add("dataProtectionOfficer.contact is missing");
        }

        if (config.Activities is not { Count: > 0 })
        {
            errors.Add("no processing activity is configured");
        }
        else
        {
            for (var i = 0; i < config.Activities.Count; i++)
            {
                var a = config.Activities[i];
                if (string.IsNullOrWhiteSpace(a?.Name))
                {
                    errors.Add($"activities[{i}].name is missing");
                }
                else if (a.Purposes is not { Count: > 0 })
                {
                    errors.Add($"activities[{i}] ({a.Name}) has no purpose");
                }
            }
        }

        return errors.Count > 0 ? (null, errors) : (config, []);
    }
}

/// <summary>
/// A GDPR Art. 30(1) record of processing activities, generated from configuration and the
/// country policy in force (recipients from the accepted requesting countries, retention from the
/// retention rules), rendered as JSON and Markdown.
/// </summary>
/// <param name="GeneratedAt">When it was generated.</param>
/// <param name="PolicyCountry">The country whose policy was merged in.</param>
/// <param name="PolicyVersion">That policy's version.</param>
/// <param name="Controller">The controller.</param>
/// <param name="DataProtectionOfficer">The DPO.</param>
/// <param name="Representative">The representative, if any.</param>
/// <param name="Activities">The activities, with policy-derived entries merged in.</param>
public sealed record ProcessingRecord(
    [property: JsonPropertyName("generatedAt")] DateTimeOffset GeneratedAt,
    [property: JsonPropertyName("policyCountry")] string PolicyCountry,
    [property: JsonPropertyName("policyVersion")] string PolicyVersion,
    [property: JsonPropertyName("controller")] ProcessingParty Controller,
    [property: JsonPropertyName("dataProtectionOfficer")] ProcessingParty DataProtectionOfficer,
    [property: JsonPropertyName("representative")] ProcessingParty? Representative,
    [property: JsonPropertyName("activities")] IReadOnlyList<ProcessingActivity> Activities)
{
    /// <summary>Generates the record. Requires non-null arguments.</summary>
    /// <param name="configuration">The validated configuration.</param>
    /// <param name="policy">The country policy in force.</param>
    /// <param name="generatedAt">The generation time.</param>
    public static ProcessingRecord Generate(ProcessingRecordConfiguration configuration, CountryPolicy policy, DateTimeOffset generatedAt)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(policy);
        var recipients = policy.AcceptedRequestingCountries
            .Select(c => $"Health professionals in {c.Value}, through the {c.Value} national contact point")
            .ToArray();
        var retention = policy.Retention
            .Select(r => $"{r.DataCategory}: {FormatPeriod(r.Period)} ({r.LegalBasis})")
            .ToArray();
        var activities = configuration.Activities.Select(a => a with
        {
            Recipients = [.. a.Recipients ?? [], .. recipients.Where(r => !(a.Recipients ?? []).Contains(r))],
            Retention = [.. a.Retention ?? [], .. retention.Where(r => !(a.Retention ?? []).Contains(r))],
            Transfers = a.Transfers ?? [],
            SecurityMeasures = a.SecurityMeasures ?? [],
            DataSubjects = a.DataSubjects ?? [],
            PersonalData = a.PersonalData ?? [],
        }).ToArray();
        return new ProcessingRecord(generatedAt, policy.Country.Value, policy.Version, configuration.Controller,
            configuration.DataProtectionOfficer, configuration.Representative, activities);
    }

    /// <summary>The record as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, GdprJsonContext.Default.ProcessingRecord);

    /// <summary>The record as a Markdown document.</summary>
    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# Record of processing activities (GDPR Art. 30(1))").AppendLine();
        md.Append(CultureInfo.InvariantCulture, $"Generated {GeneratedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC from configuration and the {PolicyCountry} access policy version {PolicyVersion}.").AppendLine().AppendLine();
        md.AppendLine("## Controller").AppendLine();
        md.Append(CultureInfo.InvariantCulture, $"- **Controller:** {Escape(Controller.Name)} — {Escape(Controller.Contact)}").AppendLine();
        md.Append(CultureInfo.InvariantCulture, $"- **Data protection officer:** {Escape(DataProtectionOfficer.Name)} — {Escape(DataProtectionOfficer.Contact)}").AppendLine();
        if (Representative is not null)
        {
            md.Append(CultureInfo.InvariantCulture, $"- **Representative:** {Escape(Representative.Name)} — {Escape(Representative.Contact)}").AppendLine();
        }

        foreach (var activity in Activities)
        {
            md.AppendLine().Append(CultureInfo.InvariantCulture, $"## {Escape(activity.Name)}").AppendLine().AppendLine();
            md.Append(CultureInfo.InvariantCulture, $"**Legal basis:** {Escape(activity.LegalBasis)}").AppendLine().AppendLine();
            Section(md, "Purposes", activity.Purposes);
            Section(md, "Categories of data subjects", activity.DataSubjects);
            Section(md, "Categories of personal data", activity.PersonalData);
            Section(md, "Recipients", activity.Recipients);
            Section(md, "Transfers to third countries", activity.Transfers.Select(t => $"{t.Destination}: {t.Safeguards}").ToArray(), "None.");
            Section(md, "Retention (time limits for erasure)", activity.Retention);
            Section(md, "Technical and organisational security measures", activity.SecurityMeasures);
        }

        return md.ToString();
    }

    private static void Section(StringBuilder md, string title, IReadOnlyList<string> items, string empty = "Not stated.")
    {
        md.Append(CultureInfo.InvariantCulture, $"### {title}").AppendLine().AppendLine();
        if (items.Count == 0)
        {
            md.AppendLine(empty);
        }

        foreach (var item in items)
        {
            md.Append("- ").AppendLine(Escape(item));
        }

        md.AppendLine();
    }

    private static string Escape(string text) => text.Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string FormatPeriod(TimeSpan period)
    {
        var days = (int)Math.Round(period.TotalDays);
        var years = period.TotalDays / 365.25;
        return Math.Abs(years - Math.Round(years)) < 0.001 && years >= 1
            ? $"{Math.Round(years).ToString(CultureInfo.InvariantCulture)} years"
            : $"{days.ToString(CultureInfo.InvariantCulture)} days";
    }
}
