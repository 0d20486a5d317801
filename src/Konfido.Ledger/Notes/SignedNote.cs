// C2SP signed-note (https://c2sp.org/signed-note): a UTF-8 text ending in a newline, a blank line,
// then one or more signature lines "— <key name> base64(uint32 BE key ID || signature)\n".
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Konfido.Ledger.Notes;

/// <summary>One signature line of a signed note.</summary>
/// <param name="Name">The key name.</param>
/// <param name="KeyId">The 32-bit key ID (the first 4 bytes of the decoded signature).</param>
/// <param name="Signature">The signature bytes after the key ID.</param>
public sealed record NoteSignature(string Name, uint KeyId, byte[] Signature)
{
    /// <summary>The signature line without its newline: em dash, space, name, space, base64.</summary>
    public string ToLine()
    {
        var blob = new byte[4 + Signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(blob, KeyId);
        Signature.CopyTo(blob, 4);
        return $"\u2014 {Name} {Convert.ToBase64String(blob)}";
    }
}

/// <summary>A C2SP signed note: its text and its signature lines (not yet verified).</summary>
public sealed class SignedNote
{
    /// <summary>The most signatures a note may carry here (the spec requires accepting at least 16).</summary>
    public const int MaxSignatures = 64;

    private SignedNote(string text, IReadOnlyList<NoteSignature> signatures)
    {
        Text = text;
        Signatures = signatures;
    }

    /// <summary>The note text, including its final newline.</summary>
    public string Text { get; }

    /// <summary>The signature lines, in order.</summary>
    public IReadOnlyList<NoteSignature> Signatures { get; }

    /// <summary>Creates an unsigned note. Requires text that <see cref="IsValidText"/> accepts.</summary>
    /// <param name="text">The text, ending in a newline.</param>
    public static SignedNote Unsigned(string text)
    {
        if (!IsValidText(text, out var reason))
        {
            throw new ArgumentException($"Not a valid note text: {reason}.", nameof(text));
        }

        return new SignedNote(text, []);
    }

    /// <summary>Whether <paramref name="text"/> can be a note text: non-empty, ends in a newline, no control characters but newline.</summary>
    /// <param name="text">The candidate text.</param>
    /// <param name="reason">Why not.</param>
    public static bool IsValidText([NotNullWhen(true)] string? text, [NotNullWhen(false)] out string? reason)
    {
        reason = null;
        if (string.IsNullOrEmpty(text) || text[^1] != '\n')
        {
            reason = "the text must end in a newline";
            return false;
        }

        foreach (var c in text)
        {
            if (c < 0x20 && c != '\n')
            {
                reason = $"control character U+{(int)c:X4}";
                return false;
            }
        }

        return true;
    }

    /// <summary>A copy of this note with <paramref name="extra"/> signatures appended.</summary>
    /// <param name="extra">The signatures to add.</param>
    public SignedNote WithSignatures(IEnumerable<NoteSignature> extra)
    {
        ArgumentNullException.ThrowIfNull(extra);
        var all = Signatures.Concat(extra).ToArray();
        if (all.Length > MaxSignatures)
        {
            throw new ArgumentException($"A note carries at most {MaxSignatures} signatures.", nameof(extra));
        }

        return new SignedNote(Text, all);
    }

    /// <summary>Signs the note text with each signer and returns the note with the new signatures appended.</summary>
    /// <param name="signers">The signers.</param>
    public SignedNote Sign(params IEnumerable<INoteSigner> signers)
    {
        ArgumentNullException.ThrowIfNull(signers);
        var bytes = Encoding.UTF8.GetBytes(Text);
        return WithSignatures(signers.Select(s => new NoteSignature(s.Name, s.KeyId, s.Sign(bytes))));
    }

    /// <summary>The serialised note: text, blank line, signature lines.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder(Text).Append('\n');
        foreach (var signature in Signatures)
        {
            builder.Append(signature.ToLine()).Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>Parses a serialised signed note; false with a reason if it is malformed (this checks no signature).</summary>
    /// <param name="serialised">The note.</param>
    /// <param name="note">The parsed note.</param>
    /// <param name="error">Why it is malformed.</param>
    public static bool TryParse(string? serialised, [NotNullWhen(true)] out SignedNote? note, [NotNullWhen(false)] out string? error)
    {
        note = null;
        if (string.IsNullOrEmpty(serialised))
        {
            error = "the note is empty";
            return false;
        }

        if (serialised[^1] != '\n')
        {
            error = "the note does not end in a newline";
            return false;
        }

        // The text is separated from the signatures by the last blank line.
        var split = serialised.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            error = "the note has no blank line before its signatures";
            return false;
        }

        var text = serialised[..(split + 1)];
        if (!IsValidText(text, out var reason))
        {
            error = $"the note text is invalid: {reason}";
            return false;
        }

        var block = serialised[(split + 2)..];
        var lines = block.Split('\n');
        var signatures = new List<NoteSignature>();
        // The block ends in '\n', so the last split element is empty.
        for (var i = 0; i < lines.Length - 1; i++)
        {
            if (!TryParseSignatureLine(lines[i], out var signature, out error))
            {
                error = $"signature line {i + 1}: {error}";
                return false;
            }

            signatures.Add(signature);
            if (signatures.Count > MaxSignatures)
            {
                error = $"the note has more than {MaxSignatures} signatures";
                return false;
            }
        }

        if (signatures.Count == 0)
        {
            error = "the note has no signature lines";
            return false;
        }

        note = new SignedNote(text, signatures);
        error = null;
        return true;
    }

    /// <summary>Parses one signature line (without its newline).</summary>
    /// <param name="line">The line.</param>
    /// <param name="signature">The parsed signature.</param>
    /// <param name="error">Why it is malformed.</param>
    public static bool TryParseSignatureLine(string line, [NotNullWhen(true)] out NoteSignature? signature, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(line);
        signature = null;
        if (!line.StartsWith("\u2014 ", StringComparison.Ordinal))
        {
            error = "it does not start with an em dash and a space";
            return false;
        }

        var rest = line[2..];
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0)
        {
            error = "it has no key name followed by a space";
            return false;
        }

        var name = rest[..space];
        if (!NoteKeys.IsValidName(name))
        {
            error = $"invalid key name '{name}'";
            return false;
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(rest[(space + 1)..]);
        }
        catch (FormatException)
        {
            error = "the signature is not valid base64";
            return false;
        }

        if (blob.Length < 5)
        {
            error = "the signature is shorter than a key ID and one byte";
            return false;
        }

        signature = new NoteSignature(name, BinaryPrimitives.ReadUInt32BigEndian(blob), blob[4..]);
        error = null;
        return true;
    }
}
