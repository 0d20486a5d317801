using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using Konfido.Testing;

namespace Konfido.Sdk.Tests;

/// <summary>`dotnet pack` makes a package with the metadata NuGet users see.</summary>
public sealed class PackageTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    public async Task The_package_carries_its_version_description_readme_docs_and_dependencies()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Konfido.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("the repository root was not found");
        }

        using var output = new TemporaryDirectory("konfido-pack");
        // The test build already built the SDK in this configuration: pack only.
        using var pack = Process.Start(new ProcessStartInfo("dotnet", ["pack", Path.Combine(root, "src", "Konfido.Sdk", "Konfido.Sdk.csproj"), "-c", Configuration, "--no-build", "-o", output.Path, "-v", "q"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var log = await pack.StandardOutput.ReadToEndAsync() + await pack.StandardError.ReadToEndAsync();
        await pack.WaitForExitAsync();
        Assert.True(pack.ExitCode == 0, log);

        using var package = ZipFile.OpenRead(Path.Combine(output.Path, "Konfido.Sdk.1.0.0.nupkg"));
        Assert.Contains(package.Entries, e => e.FullName == "lib/net10.0/Konfido.Sdk.dll");
        Assert.Contains(package.Entries, e => e.FullName == "lib/net10.0/Konfido.Sdk.xml");
        Assert.Contains(package.Entries, e => e.FullName == "README.md");
        using var nuspecStream = package.Entries.Single(e => e.FullName == "Konfido.Sdk.nuspec").Open();
        var nuspec = XDocument.Load(nuspecStream);
        var ns = nuspec.Root!.GetDefaultNamespace();
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        string Field(string name) => metadata.Element(ns + name)?.Value ?? string.Empty;
        Assert.Equal("Konfido.Sdk", Field("id"));
        Assert.Equal("1.0.0", Field("version"));
        Assert.Equal("Konfido contributors", Field("authors"));
        Assert.Contains("mHealth", Field("description"), StringComparison.Ordinal);
        Assert.Equal("README.md", Field("readme"));
        Assert.Equal("EUPL-1.2", Field("license"));
        Assert.Contains("puf", Field("tags"), StringComparison.Ordinal);
        var dependencies = metadata.Descendants(ns + "dependency").Select(d => d.Attribute("id")!.Value).ToArray();
        Assert.Contains("Konfido.Puf", dependencies);
        Assert.Contains("Konfido.He.Compiler", dependencies);
        Assert.Contains("BouncyCastle.Cryptography", dependencies);
        Assert.DoesNotContain(dependencies, d => d.StartsWith("Konfido.Node", StringComparison.Ordinal) || d.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }
}
