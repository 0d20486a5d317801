using System.Text.Json;

namespace Konfido.He.Compiler.Tests;

/// <summary>The example programs under examples/he and their input files.</summary>
internal static class ExampleFiles
{
    public static string Directory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "examples", "he");
                if (System.IO.Directory.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new InvalidOperationException("examples/he not found above the test directory.");
        }
    }

    public static string Source(string name) => File.ReadAllText(Path.Combine(Directory, name + ".he"));

    public static Dictionary<string, double[]> Inputs(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, name + ".inputs.json")));
        var inputs = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            inputs[property.Name] = property.Value.ValueKind == JsonValueKind.Array
                ? [.. property.Value.EnumerateArray().Select(v => v.GetDouble())]
                : [property.Value.GetDouble()];
        }

        return inputs;
    }
}
