namespace Konfido.He.Compiler;

/// <summary>The example programs shipped in examples/he (embedded in the library).</summary>
public static class HeExamplePrograms
{
    /// <summary>The names of the examples.</summary>
    public static IReadOnlyList<string> Names { get; } = ["vital_signs", "copd_risk", "glucose_histogram", "cross_border"];

    /// <summary>The source text of example <paramref name="name"/>. Requires one of <see cref="Names"/>.</summary>
    public static string Source(string name)
    {
        if (!Names.Contains(name))
        {
            throw new ArgumentException($"no example program '{name}' (known: {string.Join(", ", Names)}).", nameof(name));
        }

        using var stream = typeof(HeExamplePrograms).Assembly.GetManifestResourceStream($"Konfido.He.Compiler.Examples.{name}.he")
            ?? throw new InvalidOperationException($"the example '{name}' is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
