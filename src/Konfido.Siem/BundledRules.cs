using Konfido.Siem.Sigma;

namespace Konfido.Siem;

/// <summary>
/// The eHealth Sigma rules shipped with Konfido (embedded <c>Rules/*.yml</c>, log source product
/// <c>konfido</c>) and the default engine configuration they are written for. Field names follow
/// <see cref="Parsing.SecurityEventNormaliser"/>.
/// </summary>
public static class BundledRules
{
    private const string Prefix = "Konfido.Siem.Rules.";

    /// <summary>The default configuration: log-source conditions and field mappings for the sources Konfido parses, and placeholders.</summary>
    public static SigmaConfiguration Configuration { get; } = CreateConfiguration(["he-key-holder", "he-key-holder@*"]);

    /// <summary>The default configuration with the given HE key-holder principals (placeholder <c>%HeDecryptors%</c>).</summary>
    /// <param name="heDecryptors">Principals (Sigma strings, wildcards allowed) expected to request HE decryptions. Requires at least one.</param>
    public static SigmaConfiguration CreateConfiguration(IReadOnlyList<string> heDecryptors)
    {
        ArgumentNullException.ThrowIfNull(heDecryptors);
        return new SigmaConfiguration
        {
            Placeholders = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { ["HeDecryptors"] = heDecryptors },
            LogSourceConditions =
            [
                new LogSourceCondition(new SigmaLogSource(null, "konfido", null), new Dictionary<string, string> { ["event.module"] = "konfido" }),
                new LogSourceCondition(new SigmaLogSource(null, "linux", null), new Dictionary<string, string> { ["event.module"] = "syslog" }),
                new LogSourceCondition(new SigmaLogSource("proxy", null, null), new Dictionary<string, string> { ["event.module"] = "cef" }),
                new LogSourceCondition(new SigmaLogSource("webserver", null, null), new Dictionary<string, string> { ["event.dataset"] = "webserver" }),
            ],
            FieldMappings =
            [
                // Sigma's proxy taxonomy onto the ECS fields the CEF parser fills.
                new FieldMapping(new SigmaLogSource("proxy", null, null), new Dictionary<string, IReadOnlyList<string>>
                {
                    ["c-uri"] = ["url.original"],
                    ["c-uri-query"] = ["url.original"],
                    ["c-uri-stem"] = ["url.original"],
                    ["c-uri-extension"] = ["url.original"],
                    ["c-useragent"] = ["user_agent.original"],
                    ["cs-method"] = ["http.request.method"],
                    ["cs-host"] = ["destination.domain"],
                    ["r-dns"] = ["destination.domain"],
                    ["c-ip"] = ["source.ip"],
                    ["dst_ip"] = ["destination.ip"],
                    ["sc-status"] = ["cef.extensions.status"],
                    ["cs-cookie"] = ["cef.extensions.cookie"],
                    ["cs-referrer"] = ["cef.extensions.requestContext"],
                }),
            ],
        };
    }

    /// <summary>The bundled rule files: name → YAML text.</summary>
    public static IReadOnlyDictionary<string, string> Files { get; } = ReadFiles();

    /// <summary>Adds every bundled rule to <paramref name="loader"/>.</summary>
    /// <param name="loader">The loader.</param>
    public static SigmaRuleLoader AddTo(SigmaRuleLoader loader)
    {
        ArgumentNullException.ThrowIfNull(loader);
        foreach (var (name, text) in Files)
        {
            loader.AddText(text, "bundled:" + name);
        }

        return loader;
    }

    /// <summary>Loads the bundled rules with <paramref name="configuration"/> (default: <see cref="Configuration"/>).</summary>
    /// <param name="configuration">The configuration.</param>
    public static SigmaRuleSet Load(SigmaConfiguration? configuration = null) =>
        AddTo(new SigmaRuleLoader(configuration ?? Configuration)).Build();

    private static Dictionary<string, string> ReadFiles()
    {
        var assembly = typeof(BundledRules).Assembly;
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            files[resource[Prefix.Length..]] = reader.ReadToEnd();
        }

        return files;
    }
}
