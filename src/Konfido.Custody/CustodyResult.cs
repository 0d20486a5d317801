namespace Konfido.Custody;

/// <summary>Why a custody operation on untrusted input did not produce a value.</summary>
public enum CustodyFailure
{
    /// <summary>No failure.</summary>
    None = 0,

    /// <summary>No key with that id exists.</summary>
    KeyNotFound,

    /// <summary>The key existed and was destroyed (crypto-shredded): the data is gone for good.</summary>
    KeyDestroyed,

    /// <summary>The blob or ciphertext is malformed, was modified, or belongs to another key,
    /// machine or TPM: its authentication failed.</summary>
    Tampered,

    /// <summary>The blob's header binds it to a measurement other than the node's current one (another build or
    /// configuration, or an altered header): it is not opened, and with the TPM backend the TPM's PCR policy would
    /// refuse it too.</summary>
    WrongMeasurement,
}

/// <summary>
/// The outcome of a custody operation whose input may be untrusted (unsealing, decrypting): a value,
/// or a <see cref="CustodyFailure"/>. Failures are results, never exceptions.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
public readonly record struct CustodyResult<T>
{
    private readonly T? _value;

    private CustodyResult(T? value, CustodyFailure failure)
    {
        _value = value;
        Failure = failure;
    }

    /// <summary>Why the operation failed, or <see cref="CustodyFailure.None"/>.</summary>
    public CustodyFailure Failure { get; }

    /// <summary>True when <see cref="Value"/> holds the result.</summary>
    public bool Succeeded => Failure == CustodyFailure.None;

    /// <summary>The value. Throws <see cref="InvalidOperationException"/> if the operation failed.</summary>
    public T Value => Succeeded ? _value! : throw new InvalidOperationException($"The custody operation failed: {Failure}.");

    /// <summary>Describes the outcome without the value (which may be clear data).</summary>
    public override string ToString() => Succeeded ? "CustodyResult { Succeeded }" : $"CustodyResult {{ Failure = {Failure} }}";

    /// <summary>A successful result.</summary>
    /// <param name="value">The value.</param>
    public static CustodyResult<T> Success(T value) => new(value, CustodyFailure.None);

    /// <summary>A failed result. Requires <paramref name="failure"/> other than <see cref="CustodyFailure.None"/>.</summary>
    /// <param name="failure">Why.</param>
    public static CustodyResult<T> Fail(CustodyFailure failure) =>
        failure == CustodyFailure.None ? throw new ArgumentOutOfRangeException(nameof(failure)) : new(default, failure);
}
