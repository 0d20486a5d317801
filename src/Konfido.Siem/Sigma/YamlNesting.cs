using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Konfido.Siem.Sigma;

/// <summary>
/// YamlDotNet's representation model loads nested collections recursively: a rule file of a few thousand nested
/// flow sequences (<c>[[[[...</c>) overflowed the stack and killed the process (found by konfido fuzz). The event
/// parser is iterative, so one pass over its events measures the nesting before the model is built.
/// </summary>
internal static class YamlNesting
{
    /// <summary>The deepest nesting of collections accepted (Sigma rules and policies need fewer than ten).</summary>
    public const int MaxDepth = 64;

    /// <summary>True if collections in <paramref name="yaml"/> nest deeper than <see cref="MaxDepth"/>; malformed YAML is left to the loader.</summary>
    public static bool TooDeep(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var depth = 0;
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case SequenceStart or MappingStart:
                        if (++depth > MaxDepth)
                        {
                            return true;
                        }

                        break;
                    case SequenceEnd or MappingEnd:
                        depth--;
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is YamlException or InvalidOperationException or ArgumentException)
        {
            return false;
        }

        return false;
    }
}
