// A node's measurement: SHA-256 (FIPS 180-4) over a canonical description of its build (the
// SHA-256 of every measured assembly file, by name) and its configuration bytes.
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Konfido.Custody.Attestation;

/// <summary>
/// What a node runs, as one 32-byte digest: its build (assembly hashes) and configuration. Peers
/// compare it with the federation's expected measurements before they exchange data.
/// </summary>
public sealed class NodeMeasurement : IEquatable<NodeMeasurement>
{
    /// <summary>The digest size in bytes (SHA-256).</summary>
    public const int Size = 32;

    private readonly byte[] _digest;

    private NodeMeasurement(byte[] digest, string description)
    {
        _digest = digest;
        Description = description;
    }

    /// <summary>The 32-byte measurement.</summary>
    public ReadOnlyMemory<byte> Digest => _digest;

    /// <summary>What was measured, for people (e.g. <c>7 assemblies + configuration</c>).</summary>
    public string Description { get; }

    /// <summary>The measurement as lowercase hex.</summary>
    public string Hex => Convert.ToHexStringLower(_digest);

    /// <summary>A measurement given as a digest (e.g. an expected value from the federation's configuration).
    /// Requires exactly 32 bytes.</summary>
    /// <param name="digest">The digest.</param>
    /// <param name="description">What it stands for.</param>
    public static NodeMeasurement FromDigest(ReadOnlySpan<byte> digest, string description = "given digest")
    {
        if (digest.Length != Size)
        {
            throw new ArgumentException($"A measurement is {Size} bytes, not {digest.Length}.", nameof(digest));
        }

        return new NodeMeasurement(digest.ToArray(), description);
    }

    /// <summary>Measures named build components (e.g. assembly files) and the configuration. Requires unique names.</summary>
    /// <param name="components">Each component's name and content.</param>
    /// <param name="configuration">The node's configuration, as the bytes it was read from.</param>
    public static NodeMeasurement FromComponents(IEnumerable<KeyValuePair<string, byte[]>> components, ReadOnlySpan<byte> configuration)
    {
        ArgumentNullException.ThrowIfNull(components);
        var text = new StringBuilder("konfido-measurement-v1\n");
        var count = 0;
        string? previous = null;
        foreach (var (name, content) in components.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            if (name == previous)
            {
                throw new ArgumentException($"Component '{name}' appears twice.", nameof(components));
            }

            previous = name;
            count++;
            text.Append(name).Append('\n').Append(Convert.ToHexStringLower(SHA256.HashData(content))).Append('\n');
        }

        text.Append("configuration\n").Append(Convert.ToHexStringLower(SHA256.HashData(configuration))).Append('\n');
        return new NodeMeasurement(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), $"{count} components + configuration");
    }

    /// <summary>Measures the files of <paramref name="assemblies"/> (an assembly without a file is measured by its
    /// module version id) and the configuration.</summary>
    /// <param name="assemblies">The node's assemblies.</param>
    /// <param name="configuration">The node's configuration bytes.</param>
    public static NodeMeasurement FromAssemblies(IEnumerable<Assembly> assemblies, ReadOnlySpan<byte> configuration)
    {
        ArgumentNullException.ThrowIfNull(assemblies);
        var components = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var assembly in assemblies)
        {
            var name = assembly.GetName().Name ?? assembly.FullName ?? "?";
            var location = assembly.Location;
            components[name] = string.IsNullOrEmpty(location)
                ? assembly.ManifestModule.ModuleVersionId.ToByteArray()
                : File.ReadAllBytes(location);
        }

        return FromComponents(components, configuration);
    }

    /// <summary>Measures the files matching <paramref name="searchPattern"/> in <paramref name="directory"/> (not
    /// recursive; named by file name), e.g. a node's <c>Konfido*.dll</c> in <see cref="AppContext.BaseDirectory"/>,
    /// and the configuration. Requires an existing directory.</summary>
    /// <param name="directory">The build output or installation folder.</param>
    /// <param name="searchPattern">Which files make up the build (e.g. <c>Konfido*.dll</c>).</param>
    /// <param name="configuration">The node's configuration bytes.</param>
    public static NodeMeasurement FromDirectory(string directory, string searchPattern, ReadOnlySpan<byte> configuration)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(searchPattern);
        var components = Directory.EnumerateFiles(directory, searchPattern, SearchOption.TopDirectoryOnly)
            .Select(path => new KeyValuePair<string, byte[]>(Path.GetFileName(path), File.ReadAllBytes(path)));
        return FromComponents(components, configuration);
    }

    /// <summary>True if <paramref name="digest"/> equals this measurement.</summary>
    /// <param name="digest">A digest.</param>
    public bool Matches(ReadOnlySpan<byte> digest) => digest.SequenceEqual(_digest);

    /// <inheritdoc />
    public bool Equals(NodeMeasurement? other) => other is not null && Matches(other._digest);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as NodeMeasurement);

    /// <inheritdoc />
    public override int GetHashCode() => BitConverter.ToInt32(_digest, 0);

    /// <inheritdoc />
    public override string ToString() => $"{Hex} ({Description})";
}
