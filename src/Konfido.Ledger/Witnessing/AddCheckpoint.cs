// The add-checkpoint exchange of C2SP tlog-witness (https://c2sp.org/tlog-witness), transport-agnostic:
// request body "old <size>\n" + base64 consistency proof lines + "\n" + signed checkpoint; response
// 200 with cosignature lines, 409 with "<size>\n" (text/x.tlog.size), or 400/403/404/422.
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Konfido.Ledger.Merkle;

namespace Konfido.Ledger.Witnessing;

/// <summary>An add-checkpoint request: the old size, a consistency proof from it, and the signed checkpoint.</summary>
/// <param name="OldSize">The size of the latest checkpoint the witness cosigned (0 if none).</param>
/// <param name="Proof">The consistency proof from <paramref name="OldSize"/> to the checkpoint's size.</param>
/// <param name="SignedCheckpoint">The log-signed checkpoint note.</param>
public sealed record AddCheckpointRequest(long OldSize, IReadOnlyList<MerkleHash> Proof, string SignedCheckpoint)
{
    /// <summary>The most proof lines a request may carry.</summary>
    public const int MaxProofLines = 63;

    /// <summary>The request body.</summary>
    public string ToBody()
    {
        var builder = new StringBuilder("old ").Append(OldSize.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var hash in Proof)
        {
            builder.Append(hash.ToBase64()).Append('\n');
        }

        return builder.Append('\n').Append(SignedCheckpoint).ToString();
    }

    /// <summary>Parses a request body; false with a reason (a 400) if it is malformed.</summary>
    /// <param name="body">The body.</param>
    /// <param name="request">The request.</param>
    /// <param name="error">Why it is malformed.</param>
    public static bool TryParse(string? body, [NotNullWhen(true)] out AddCheckpointRequest? request, [NotNullWhen(false)] out string? error)
    {
        request = null;
        if (body is null || !body.StartsWith("old ", StringComparison.Ordinal))
        {
            error = "the body must start with an old size line";
            return false;
        }

        var end = body.IndexOf('\n', StringComparison.Ordinal);
        var sizeText = end < 0 ? string.Empty : body[4..end];
        if (sizeText.Length == 0 || (sizeText.Length > 1 && sizeText[0] == '0') || !sizeText.All(char.IsAsciiDigit)
            || !long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var oldSize))
        {
            error = "the old size is not a decimal without leading zeros";
            return false;
        }

        var proof = new List<MerkleHash>();
        var position = end + 1;
        while (true)
        {
            var next = body.IndexOf('\n', position);
            if (next < 0)
            {
                error = "the proof lines are not followed by an empty line";
                return false;
            }

            if (next == position)
            {
                position++;
                break;
            }

            if (!MerkleHash.TryParseBase64(body[position..next], out var hash))
            {
                error = $"proof line {proof.Count + 1} is not a base64 hash";
                return false;
            }

            proof.Add(hash);
            if (proof.Count > MaxProofLines)
            {
                error = $"more than {MaxProofLines} proof lines";
                return false;
            }

            position = next + 1;
        }

        request = new AddCheckpointRequest(oldSize, proof, body[position..]);
        error = null;
        return true;
    }
}

/// <summary>The outcome of an add-checkpoint request, as the HTTP status the protocol assigns it.</summary>
public enum AddCheckpointStatus
{
    /// <summary>200: cosigned.</summary>
    Cosigned = 200,

    /// <summary>400: malformed request, or old size above the checkpoint size.</summary>
    BadRequest = 400,

    /// <summary>403: no signature from a trusted log key verifies.</summary>
    Forbidden = 403,

    /// <summary>404: unknown log origin.</summary>
    UnknownLog = 404,

    /// <summary>409: the old size is not the latest cosigned size, or same size with a different root.</summary>
    Conflict = 409,

    /// <summary>422: the consistency proof does not verify.</summary>
    InconsistentProof = 422,
}

/// <summary>The evidence that a log showed two incompatible views: both log-signed checkpoints.</summary>
/// <param name="Origin">The log origin.</param>
/// <param name="Earlier">The checkpoint seen first.</param>
/// <param name="Later">The conflicting checkpoint.</param>
/// <param name="Reason">Why they conflict (same size and different roots, or an inconsistent pair).</param>
public sealed record ForkEvidence(string Origin, string Earlier, string Later, string Reason);

/// <summary>A witness's answer to add-checkpoint.</summary>
/// <param name="Status">The outcome.</param>
/// <param name="Cosignatures">On success, the cosignature lines (without newlines).</param>
/// <param name="LatestSize">On a size conflict, the latest cosigned size.</param>
/// <param name="Reason">A human-readable reason for a refusal.</param>
/// <param name="Evidence">Fork evidence when the log contradicted what the witness cosigned.</param>
public sealed record AddCheckpointResponse(AddCheckpointStatus Status, IReadOnlyList<string> Cosignatures, long? LatestSize, string? Reason, ForkEvidence? Evidence)
{
    /// <summary>The HTTP status code.</summary>
    public int HttpStatus => (int)Status;

    /// <summary>The response content type (<c>text/x.tlog.size</c> for a size conflict).</summary>
    public string ContentType => LatestSize is not null ? "text/x.tlog.size" : "text/plain; charset=utf-8";

    /// <summary>The HTTP response body.</summary>
    public string ToBody() => Status switch
    {
        AddCheckpointStatus.Cosigned => string.Concat(Cosignatures.Select(l => l + "\n")),
        _ when LatestSize is { } size => size.ToString(CultureInfo.InvariantCulture) + "\n",
        _ => (Reason ?? Status.ToString()) + "\n",
    };

    /// <summary>Interprets an HTTP status and body received from a remote witness.</summary>
    /// <param name="httpStatus">The HTTP status code.</param>
    /// <param name="body">The body.</param>
    public static AddCheckpointResponse FromHttp(int httpStatus, string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var status = Enum.IsDefined(typeof(AddCheckpointStatus), httpStatus) ? (AddCheckpointStatus)httpStatus : AddCheckpointStatus.BadRequest;
        if (status == AddCheckpointStatus.Cosigned)
        {
            return new(status, body.Split('\n', StringSplitOptions.RemoveEmptyEntries), null, null, null);
        }

        long? latest = status == AddCheckpointStatus.Conflict && long.TryParse(body.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : null;
        return new(status, [], latest, body.Trim(), null);
    }
}
