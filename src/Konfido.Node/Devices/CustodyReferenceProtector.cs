using Konfido.Custody;
using Konfido.Puf.Protocol;

namespace Konfido.Node;

/// <summary>
/// Protects the node's PUF reference responses (the device verification records) with an AES-256-GCM key
/// generated inside the node's key custody (<c>konfido.node/puf-references</c>): the key never leaves
/// custody (TPM-sealed or software-sealed and bound to the node's measurement), so a copy of the device
/// database alone reveals no reference and cannot be used to impersonate a device.
/// </summary>
public sealed class CustodyReferenceProtector : IReferenceProtector
{
    /// <summary>The custody key id of the reference-protection key.</summary>
    public const string KeyName = "konfido.node/puf-references";

    private readonly IKeyCustody _custody;
    private readonly CustodyKeyId _key;

    /// <summary>Uses (creating on first use) the reference key in <paramref name="custody"/>.</summary>
    /// <param name="custody">The node's custody.</param>
    public CustodyReferenceProtector(IKeyCustody custody)
    {
        ArgumentNullException.ThrowIfNull(custody);
        _custody = custody;
        _key = CustodyKeyId.Parse(KeyName);
        if (custody.FindKey(_key) is null)
        {
            custody.CreateKey(_key, CustodyKeyKind.Aes256Gcm);
        }
    }

    /// <inheritdoc />
    public byte[] Protect(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData) => _custody.Encrypt(_key, plaintext, associatedData);

    /// <inheritdoc />
    public byte[]? Unprotect(ReadOnlySpan<byte> protectedData, ReadOnlySpan<byte> associatedData)
    {
        var result = _custody.Decrypt(_key, protectedData, associatedData);
        return result.Succeeded ? result.Value : null;
    }
}
