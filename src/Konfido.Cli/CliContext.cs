using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Konfido.Cli;

/// <summary>
/// What a command writes to: <see cref="Out"/> carries the result (exactly one JSON document with
/// <c>--json</c>), <see cref="Err"/> carries human text and progress. Commands never touch
/// <see cref="Console"/> directly so that tests can run them in-process and in parallel.
/// </summary>
internal sealed class CliContext(TextWriter stdout, TextWriter stderr)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The result stream (stdout).</summary>
    public TextWriter Out { get; } = stdout;

    /// <summary>The human/progress stream (stderr).</summary>
    public TextWriter Err { get; } = stderr;

    /// <summary>Writes one JSON document to <see cref="Out"/>.</summary>
    public void WriteJson(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        Out.WriteLine(node.ToJsonString(JsonOptions));
    }

    /// <summary>Reads a whole text file, turning I/O failures into a usage error naming the file.</summary>
    public static string ReadText(string path, string what)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliInputException($"cannot read {what} '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>Reads a whole binary file, turning I/O failures into a usage error naming the file.</summary>
    public static byte[] ReadBytes(string path, string what)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliInputException($"cannot read {what} '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>Parses hex (either case), turning bad input into a usage error naming the option.</summary>
    public static byte[] ParseHex(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            return Convert.FromHexString(text.Trim());
        }
        catch (FormatException)
        {
            throw new CliInputException($"{what} is not valid hex: '{Truncate(text)}'");
        }
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..77] + "...";
}
