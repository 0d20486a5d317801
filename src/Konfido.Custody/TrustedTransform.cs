using System.Security.Cryptography;
using Konfido.Custody.Crypto;

namespace Konfido.Custody;

/// <summary>
/// Transforms clear data inside the custody boundary. It reads only <paramref name="input"/> and writes
/// only <paramref name="output"/>; both spans are zeroised when it returns, so it must not keep,
/// copy, log or store them.
/// </summary>
/// <typeparam name="TState">Caller state.</typeparam>
/// <param name="input">The decrypted data.</param>
/// <param name="output">Where to write the transformed data.</param>
/// <param name="state">The caller's state.</param>
/// <returns>The number of bytes written to <paramref name="output"/>, or a negative number to refuse the input.</returns>
public delegate int ClearTransform<in TState>(ReadOnlySpan<byte> input, Span<byte> output, TState state);

/// <summary>Why a trusted transformation produced no ciphertext.</summary>
public enum TransformFailure
{
    /// <summary>It succeeded.</summary>
    None = 0,

    /// <summary>The input did not decrypt (see <see cref="TransformResult.DecryptFailure"/>).</summary>
    DecryptFailed,

    /// <summary>The transformation refused the input (it returned a negative count).</summary>
    Refused,
}

/// <summary>The outcome of <see cref="TrustedTransform.Run{TState}"/>.</summary>
/// <param name="Failure">Why it failed, or <see cref="TransformFailure.None"/>.</param>
/// <param name="DecryptFailure">For <see cref="TransformFailure.DecryptFailed"/>: the custody's reason.</param>
/// <param name="Ciphertext">The re-encrypted output when it succeeded; empty otherwise.</param>
public readonly record struct TransformResult(TransformFailure Failure, CustodyFailure DecryptFailure, ReadOnlyMemory<byte> Ciphertext)
{
    /// <summary>True if <see cref="Ciphertext"/> holds the re-encrypted output.</summary>
    public bool Succeeded => Failure == TransformFailure.None;
}

/// <summary>The outcome of <see cref="O:Konfido.Custody.TrustedTransform.Reseal"/> and <see cref="TrustedTransform.RevealAsync{TState}"/>.</summary>
/// <param name="Failure">Why it failed, or <see cref="TransformFailure.None"/>.</param>
/// <param name="DecryptFailure">For <see cref="TransformFailure.DecryptFailed"/>: the custody's reason.</param>
/// <param name="Envelope">For <see cref="O:Konfido.Custody.TrustedTransform.Reseal"/>: the output sealed for the target when it succeeded.</param>
public readonly record struct EnvelopeTransformResult(TransformFailure Failure, CustodyFailure DecryptFailure, string? Envelope)
{
    /// <summary>True if the transformation ran and its output was sealed or delivered.</summary>
    public bool Succeeded => Failure == TransformFailure.None;
}

/// <summary>
/// The gateway's transformation boundary: decrypt with a custody key → transform (a delegate that sees
/// only spans of clear data) → re-encrypt with a custody key. The clear data lives only in pinned
/// buffers that are zeroised before <see cref="Run{TState}"/> returns, so it never reaches general
/// storage, logs or the managed heap's movable objects.
/// </summary>
public sealed class TrustedTransform
{
    private readonly IKeyCustody _custody;

    /// <summary>Creates the boundary over <paramref name="custody"/>.</summary>
    /// <param name="custody">The node's custody.</param>
    public TrustedTransform(IKeyCustody custody)
    {
        ArgumentNullException.ThrowIfNull(custody);
        _custody = custody;
    }

    /// <summary>Test seam: called with each clear buffer after it was zeroised.</summary>
    internal Action<byte[]>? BufferReleased { get; set; }

    /// <summary>Decrypts <paramref name="ciphertext"/> with <paramref name="sourceKey"/>, transforms it, and encrypts the result with
    /// <paramref name="targetKey"/>. Requires live AES-256-GCM keys and <paramref name="maxOutputLength"/> from 0 to <see cref="KeyCustody.MaxPayload"/>.</summary>
    /// <typeparam name="TState">Caller state.</typeparam>
    /// <param name="sourceKey">The key the input is encrypted under.</param>
    /// <param name="ciphertext">The input ciphertext (<see cref="IKeyCustody.Encrypt"/> format).</param>
    /// <param name="sourceAssociatedData">The input's associated data.</param>
    /// <param name="targetKey">The key to encrypt the output under.</param>
    /// <param name="targetAssociatedData">The output's associated data.</param>
    /// <param name="maxOutputLength">The size of the output buffer given to <paramref name="transform"/>.</param>
    /// <param name="state">Passed to <paramref name="transform"/>.</param>
    /// <param name="transform">The transformation.</param>
    public TransformResult Run<TState>(CustodyKeyId sourceKey, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> sourceAssociatedData,
        CustodyKeyId targetKey, ReadOnlySpan<byte> targetAssociatedData, int maxOutputLength, TState state, ClearTransform<TState> transform)
    {
        ArgumentNullException.ThrowIfNull(transform);
        ArgumentOutOfRangeException.ThrowIfNegative(maxOutputLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxOutputLength, KeyCustody.MaxPayload);
        if (ciphertext.Length < CustodyCiphertext.Overhead)
        {
            return new(TransformFailure.DecryptFailed, CustodyFailure.Tampered, default);
        }

        var input = new SecretBuffer(ciphertext.Length - CustodyCiphertext.Overhead);
        var output = new SecretBuffer(maxOutputLength);
        try
        {
            var decrypted = _custody.Decrypt(sourceKey, ciphertext, sourceAssociatedData, input.Span);
            if (!decrypted.Succeeded)
            {
                return new(TransformFailure.DecryptFailed, decrypted.Failure, default);
            }

            var written = transform(input.Span[..decrypted.Value], output.Span, state);
            if (written < 0)
            {
                return new(TransformFailure.Refused, CustodyFailure.None, default);
            }

            if (written > maxOutputLength)
            {
                throw new InvalidOperationException($"The transformation reported {written} bytes written into a {maxOutputLength}-byte buffer.");
            }

            return new(TransformFailure.None, CustodyFailure.None, _custody.Encrypt(targetKey, output.Span[..written], targetAssociatedData));
        }
        finally
        {
            Release(input);
            Release(output);
        }
    }

    /// <summary>
    /// Opens <paramref name="envelope"/> (a <see cref="PayloadEnvelope"/> addressed to custody key <paramref name="recipientKey"/>),
    /// transforms the payload, and seals the result for the holder of <paramref name="targetPublicKey"/>: end-to-end encryption
    /// through the gateway, whose general-purpose code only ever holds the two envelopes. Requires a live ECDH P-256 key,
    /// a P-256 target key and <paramref name="maxOutputLength"/> from 0 to <see cref="KeyCustody.MaxPayload"/>.
    /// </summary>
    /// <typeparam name="TState">Caller state.</typeparam>
    /// <param name="recipientKey">The custody key the input is addressed to.</param>
    /// <param name="envelope">The input envelope (compact JWE).</param>
    /// <param name="targetPublicKey">The next recipient's P-256 public key (SubjectPublicKeyInfo DER).</param>
    /// <param name="targetKeyId">The <c>kid</c> for the output envelope.</param>
    /// <param name="targetContentType">The output's <c>cty</c>, or null.</param>
    /// <param name="maxOutputLength">The size of the output buffer given to <paramref name="transform"/>.</param>
    /// <param name="state">Passed to <paramref name="transform"/>.</param>
    /// <param name="transform">The transformation.</param>
    public EnvelopeTransformResult Reseal<TState>(CustodyKeyId recipientKey, string envelope, ReadOnlySpan<byte> targetPublicKey, string targetKeyId,
        string? targetContentType, int maxOutputLength, TState state, ClearTransform<TState> transform)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetKeyId);
        using var target = PayloadEnvelope.ImportRecipient(targetPublicKey);
        return Reseal(recipientKey, envelope, target, targetKeyId, targetContentType, maxOutputLength, state, transform);
    }

    /// <summary>
    /// As <see cref="Reseal{TState}(CustodyKeyId, string, ReadOnlySpan{byte}, string, string?, int, TState, ClearTransform{TState})"/>,
    /// for a target key imported once with <see cref="PayloadEnvelope.ImportRecipient"/> (kept in a <see cref="PublicKeyPool{T}"/>).
    /// </summary>
    /// <typeparam name="TState">Caller state.</typeparam>
    /// <param name="recipientKey">The custody key the input is addressed to.</param>
    /// <param name="envelope">The input envelope (compact JWE).</param>
    /// <param name="target">The next recipient's P-256 public key.</param>
    /// <param name="targetKeyId">The <c>kid</c> for the output envelope.</param>
    /// <param name="targetContentType">The output's <c>cty</c>, or null.</param>
    /// <param name="maxOutputLength">The size of the output buffer given to <paramref name="transform"/>.</param>
    /// <param name="state">Passed to <paramref name="transform"/>.</param>
    /// <param name="transform">The transformation.</param>
    public EnvelopeTransformResult Reseal<TState>(CustodyKeyId recipientKey, string envelope, ECDiffieHellman target, string targetKeyId,
        string? targetContentType, int maxOutputLength, TState state, ClearTransform<TState> transform)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentException.ThrowIfNullOrEmpty(targetKeyId);
        var (input, output, failure) = OpenAndTransform(recipientKey, envelope, maxOutputLength, state, transform, out var written);
        try
        {
            return failure.Succeeded
                ? new(TransformFailure.None, CustodyFailure.None, PayloadEnvelope.Seal(output!.Span[..written], target, targetKeyId, targetContentType))
                : failure;
        }
        finally
        {
            Release(input);
            Release(output);
        }
    }

    /// <summary>
    /// Opens <paramref name="envelope"/> inside custody, transforms the payload and hands the clear output to
    /// <paramref name="deliver"/> (e.g. a TLS stream to a local client that brought no key of its own), then zeroises
    /// every clear buffer. <paramref name="deliver"/> must not keep, copy, log or store the memory it gets. Requires as
    /// <see cref="O:Konfido.Custody.TrustedTransform.Reseal"/>.
    /// </summary>
    /// <typeparam name="TState">Caller state.</typeparam>
    /// <param name="recipientKey">The custody key the input is addressed to.</param>
    /// <param name="envelope">The input envelope (compact JWE).</param>
    /// <param name="maxOutputLength">The size of the output buffer given to <paramref name="transform"/>.</param>
    /// <param name="state">Passed to <paramref name="transform"/>.</param>
    /// <param name="transform">The transformation.</param>
    /// <param name="deliver">Writes the output where it goes.</param>
    /// <param name="cancellationToken">Cancels the delivery.</param>
    public async Task<EnvelopeTransformResult> RevealAsync<TState>(CustodyKeyId recipientKey, string envelope, int maxOutputLength, TState state,
        ClearTransform<TState> transform, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> deliver, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deliver);
        var (input, output, failure) = OpenAndTransform(recipientKey, envelope, maxOutputLength, state, transform, out var written);
        try
        {
            Release(input);
            input = null;
            if (failure.Succeeded)
            {
                await deliver(output!.Array.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
            }

            return failure;
        }
        finally
        {
            Release(input);
            Release(output);
        }
    }

    private (SecretBuffer? Input, SecretBuffer? Output, EnvelopeTransformResult Failure) OpenAndTransform<TState>(CustodyKeyId recipientKey, string envelope,
        int maxOutputLength, TState state, ClearTransform<TState> transform, out int written)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(transform);
        ArgumentOutOfRangeException.ThrowIfNegative(maxOutputLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxOutputLength, KeyCustody.MaxPayload);
        written = 0;
        var length = PayloadEnvelope.PlaintextLength(envelope);
        if (length < 0 || length > KeyCustody.MaxPayload)
        {
            return (null, null, new(TransformFailure.DecryptFailed, CustodyFailure.Tampered, null));
        }

        var input = new SecretBuffer(length);
        SecretBuffer? output = null;
        try
        {
            var opened = _custody.OpenEnvelope(recipientKey, envelope, input.Span);
            if (!opened.Succeeded)
            {
                return (input, null, new(TransformFailure.DecryptFailed, opened.Failure, null));
            }

            output = new SecretBuffer(maxOutputLength);
            written = transform(input.Span[..opened.Value], output.Span, state);
            if (written < 0)
            {
                return (input, output, new(TransformFailure.Refused, CustodyFailure.None, null));
            }

            if (written > maxOutputLength)
            {
                throw new InvalidOperationException($"The transformation reported {written} bytes written into a {maxOutputLength}-byte buffer.");
            }

            return (input, output, new(TransformFailure.None, CustodyFailure.None, null));
        }
        catch
        {
            Release(input);
            Release(output);
            throw;
        }
    }

    private void Release(SecretBuffer? buffer)
    {
        if (buffer is null || buffer.IsDisposed)
        {
            return;
        }

        var array = buffer.Array;
        buffer.Dispose();
        BufferReleased?.Invoke(array);
    }
}
