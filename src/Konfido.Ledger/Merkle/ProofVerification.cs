namespace Konfido.Ledger.Merkle;

/// <summary>Why a Merkle proof did not verify.</summary>
public enum ProofFailure
{
    /// <summary>The proof verified.</summary>
    None,

    /// <summary>The proof is well formed for the sizes given but leads to a different root hash.</summary>
    RootMismatch,

    /// <summary>
    /// The proof cannot be a proof for the given index and sizes: wrong number of elements, index out
    /// of range, sizes in the wrong order.
    /// </summary>
    MalformedProof,
}

/// <summary>The outcome of verifying an inclusion or consistency proof: valid, or a typed failure with a reason.</summary>
public readonly record struct ProofVerification
{
    private ProofVerification(ProofFailure failure, string? reason)
    {
        Failure = failure;
        Reason = reason;
    }

    /// <summary>The failure kind; <see cref="ProofFailure.None"/> when valid.</summary>
    public ProofFailure Failure { get; }

    /// <summary>A human-readable reason for a failure; null when valid.</summary>
    public string? Reason { get; }

    /// <summary>True if the proof verified.</summary>
    public bool IsValid => Failure == ProofFailure.None;

    /// <summary>The result of a proof that verified.</summary>
    public static ProofVerification Valid { get; } = new(ProofFailure.None, null);

    /// <summary>A root-mismatch failure.</summary>
    /// <param name="reason">What did not match.</param>
    public static ProofVerification Mismatch(string reason) => new(ProofFailure.RootMismatch, reason);

    /// <summary>A malformed-proof failure.</summary>
    /// <param name="reason">What is wrong with the proof.</param>
    public static ProofVerification Malformed(string reason) => new(ProofFailure.MalformedProof, reason);

    /// <inheritdoc />
    public override string ToString() => IsValid ? "valid" : $"{Failure}: {Reason}";
}
