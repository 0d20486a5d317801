using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace Konfido.Siem.Sigma;

/// <summary>
/// Generates structurally identical variants of Sigma rules (new ids and names, string values
/// suffixed) to load realistic rule counts for throughput measurements. Values that are numbers,
/// booleans, CIDR networks or null are kept, so every variant still compiles.
/// </summary>
public static class RuleVariants
{
    /// <summary>Variant <paramref name="variant"/> (≥ 1) of a rule file's YAML text; <see cref="FormatException"/> if it is not valid YAML.</summary>
    /// <param name="yaml">The rule file (one or more documents).</param>
    /// <param name="variant">The variant number.</param>
    public static string Generate(string yaml, int variant)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentOutOfRangeException.ThrowIfLessThan(variant, 1);
        if (YamlNesting.TooDeep(yaml))
        {
            throw new FormatException($"not valid YAML: collections nested deeper than {YamlNesting.MaxDepth}");
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (Exception ex) when (ex is YamlDotNet.Core.YamlException or InvalidOperationException or ArgumentException)
        {
            // InvalidOperationException, ArgumentException: YamlDotNet on some malformed input (found by konfido fuzz).
            throw new FormatException($"not valid YAML: {ex.Message}", ex);
        }
        var renames = new Dictionary<string, string>(StringComparer.Ordinal);
        var suffix = "_v" + variant.ToString(CultureInfo.InvariantCulture);
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is not YamlMappingNode root)
            {
                continue;
            }

            if (Scalar(root, "id") is { } id)
            {
                var newId = DerivedId(id.Value!, variant);
                renames[id.Value!] = newId;
                id.Value = newId;
            }

            if (Scalar(root, "name") is { } name)
            {
                renames[name.Value!] = name.Value + suffix;
                name.Value += suffix;
            }

            if (Scalar(root, "title") is { } title)
            {
                title.Value += $" (variant {variant.ToString(CultureInfo.InvariantCulture)})";
            }

            if (root.Children.TryGetValue(new YamlScalarNode("detection"), out var detection) && detection is YamlMappingNode detectionMap)
            {
                foreach (var (key, value) in detectionMap.Children)
                {
                    if (((YamlScalarNode)key).Value != "condition")
                    {
                        Perturb(value, null, suffix);
                    }
                }
            }
        }

        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlMappingNode root && root.Children.TryGetValue(new YamlScalarNode("correlation"), out var c)
                && c is YamlMappingNode correlation && correlation.Children.TryGetValue(new YamlScalarNode("rules"), out var rules) && rules is YamlSequenceNode list)
            {
                foreach (var reference in list.Children.OfType<YamlScalarNode>())
                {
                    if (renames.TryGetValue(reference.Value!, out var renamed))
                    {
                        reference.Value = renamed;
                    }
                }
            }
        }

        var writer = new StringWriter(CultureInfo.InvariantCulture);
        stream.Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    private static void Perturb(YamlNode node, string? key, string suffix)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (k, v) in map.Children)
                {
                    Perturb(v, ((YamlScalarNode)k).Value, suffix);
                }

                break;
            case YamlSequenceNode seq:
                foreach (var item in seq.Children)
                {
                    Perturb(item, key, suffix);
                }

                break;
            case YamlScalarNode scalar:
                var value = scalar.Value;
                if (string.IsNullOrEmpty(value) || value is "null" or "~" or "true" or "false"
                    || double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
                    || (key is not null && (key.Contains("|cidr", StringComparison.Ordinal) || key.Contains("|exists", StringComparison.Ordinal)
                        || key.Contains("|fieldref", StringComparison.Ordinal) || key.Contains("|expand", StringComparison.Ordinal))))
                {
                    return;
                }

                scalar.Value = value.EndsWith('\\') ? value + "\\" + suffix : value + suffix;
                break;
        }
    }

    private static YamlScalarNode? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode { Value: not null } s ? s : null;

    private static string DerivedId(string id, int variant)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(id + "#" + variant.ToString(CultureInfo.InvariantCulture)), hash);
        return new Guid(hash[..16]).ToString();
    }
}
