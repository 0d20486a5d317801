// C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the body of a signed note,
//   <origin>\n<decimal tree size>\n<base64 root hash>\n[<extension line>\n]*
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Konfido.Ledger.Merkle;

namespace Konfido.Ledger.Notes;

/// <summary>A transparency-log checkpoint: origin, tree size, root hash and optional extension lines.</summary>
public sealed record Checkpoint
{
    /// <summary>Creates a checkpoint. Requires a non-empty origin without newline and size &gt;= 0.</summary>
    /// <param name="origin">The log's origin line, e.g. <c>ledger.dk.konfido.example</c>.</param>
    /// <param name="size">The tree size.</param>
    /// <param name="root">The root hash.</param>
    /// <param name="extensions">Extension lines (non-empty, no newline), or none.</param>
    public Checkpoint(string origin, long size, MerkleHash root, IReadOnlyList<string>? extensions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(origin);
        if (origin.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("The origin is one line.", nameof(origin));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var lines = extensions?.ToArray() ?? [];
        if (lines.Any(l => l.Length == 0 || l.Contains('\n', StringComparison.Ordinal)))
        {
            throw new ArgumentException("Extension lines are non-empty single lines.", nameof(extensions));
        }

        Origin = origin;
        Size = size;
        Root = root;
        Extensions = lines;
    }

    /// <summary>The origin line.</summary>
    public string Origin { get; }

    /// <summary>The tree size.</summary>
    public long Size { get; }

    /// <summary>The root hash.</summary>
    public MerkleHash Root { get; }

    /// <summary>The extension lines.</summary>
    public IReadOnlyList<string> Extensions { get; }

    /// <summary>The note text of this checkpoint.</summary>
    public string ToText()
    {
        var builder = new StringBuilder()
            .Append(Origin).Append('\n')
            .Append(Size.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(Root.ToBase64()).Append('\n');
        foreach (var line in Extensions)
        {
            builder.Append(line).Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>Parses a checkpoint note text; false with a reason if it is malformed.</summary>
    /// <param name="text">The note text.</param>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <param name="error">Why it is malformed.</param>
    public static bool TryParse(string? text, [NotNullWhen(true)] out Checkpoint? checkpoint, [NotNullWhen(false)] out string? error)
    {
        checkpoint = null;
        if (string.IsNullOrEmpty(text) || text[^1] != '\n')
        {
            error = "a checkpoint ends in a newline";
            return false;
        }

        var lines = text[..^1].Split('\n');
        if (lines.Length < 3)
        {
            error = "a checkpoint has an origin, a size and a root line";
            return false;
        }

        if (lines[0].Length == 0)
        {
            error = "the origin line is empty";
            return false;
        }

        if (lines[1].Length == 0 || (lines[1].Length > 1 && lines[1][0] == '0') || !lines[1].All(char.IsAsciiDigit)
            || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            error = $"the size line '{lines[1]}' is not a decimal without leading zeros";
            return false;
        }

        // Canonical base64 only: an encoding whose unused trailing bits are set decodes to the same hash, and one
        // checkpoint would have several texts (found by konfido fuzz).
        if (!MerkleHash.TryParseBase64(lines[2], out var root) || root.ToBase64() != lines[2])
        {
            error = "the root line is not the canonical base64 of a 32-byte hash";
            return false;
        }

        var extensions = lines[3..];
        if (extensions.Any(l => l.Length == 0))
        {
            error = "an extension line is empty";
            return false;
        }

        checkpoint = new Checkpoint(lines[0], size, root, extensions);
        error = null;
        return true;
    }
}
