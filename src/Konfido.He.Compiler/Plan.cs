namespace Konfido.He.Compiler;

/// <summary>An instruction of the encrypted part of a compiled program.</summary>
internal enum PlanCode
{
    /// <summary>Loads the encrypted input <see cref="PlanStep.Input"/>.</summary>
    LoadInput,
    Add,
    Sub,
    Negate,

    /// <summary>ciphertext + clear operand.</summary>
    AddPlain,

    /// <summary>ciphertext - clear operand.</summary>
    SubPlain,

    /// <summary>clear operand - ciphertext.</summary>
    PlainSub,
    Multiply,
    MultiplyPlain,
    Rotate,
    Relinearize,
    Rescale,

    /// <summary>
    /// Moves down to <see cref="PlanStep.Level"/> (levels count consumed primes from the top). CKKS:
    /// per level, a multiplication by the constant 1 at a chosen scale and a rescale, so that the
    /// result lands exactly on the target level's canonical scale; BFV never needs it.
    /// </summary>
    ModSwitch,
}

/// <summary>How a clear operand is encoded for a CKKS plaintext operation.</summary>
internal enum PlainScale
{
    /// <summary>At the ciphertext's scale (additions).</summary>
    MatchCiphertext,

    /// <summary>At the ciphertext level's canonical scale: the product has the canonical squared scale.</summary>
    Canonical,

    /// <summary>At scale 1 (a uniform integer constant: no rescale needed).</summary>
    One,
}

/// <summary>One instruction; registers are SSA (each instruction writes a new one).</summary>
internal sealed record PlanStep(PlanCode Code, int Result, int A = -1, int B = -1, int Plain = -1, int Steps = 0, int Level = 0,
    PlainScale Scale = PlainScale.MatchCiphertext, string? Input = null);

/// <summary>
/// A program output: an encrypted register, or (when nothing secret touches it) a clear graph node.
/// A packed output (PhysicalSlot >= 0) is the value at that physical slot, broadcast to the vector.
/// </summary>
internal sealed record PlanOutput(string Name, int Register, int ClearNode, int PhysicalSlot = -1);

/// <summary>What the scheduler knows of a register at compile time.</summary>
internal sealed record RegisterInfo(int Level, int ScaleExponent, int Size, int MagnitudeBits, int Node);
