using Konfido.Custody;
using Konfido.Policy.Gdpr;

namespace Konfido.Node;

/// <summary>
/// The master key that wraps per-patient data keys (<see cref="PatientDataKeys"/>), held in the node's
/// custody as an AES-256-GCM key: data keys are wrapped and unwrapped inside the custody, the master key
/// never enters the node's memory (software backend: only for the call), and destroying it shreds every
/// patient's data at once.
/// </summary>
public sealed class CustodyMasterKey : IMasterKey
{
    /// <summary>The custody key id the node uses for its patient-data master key.</summary>
    public const string DefaultKeyId = "konfido.node/patient-data-master";

    private readonly IKeyCustody _custody;
    private readonly CustodyKeyId _id;

    /// <summary>Uses (creating it on first use) AES-256-GCM custody key <paramref name="id"/>.</summary>
    /// <param name="custody">The node's custody.</param>
    /// <param name="id">The key id.</param>
    public CustodyMasterKey(IKeyCustody custody, string id = DefaultKeyId)
    {
        ArgumentNullException.ThrowIfNull(custody);
        _custody = custody;
        _id = CustodyKeyId.Parse(id);
        var key = custody.FindKey(_id) ?? custody.CreateKey(_id, CustodyKeyKind.Aes256Gcm);
        if (key.Kind != CustodyKeyKind.Aes256Gcm)
        {
            throw new ArgumentException($"Custody key '{id}' is {CustodyKeyKinds.Name(key.Kind)}, not an AES-256-GCM key.", nameof(id));
        }
    }

    /// <inheritdoc />
    public string KeyId => _id.ToString();

    /// <inheritdoc />
    public byte[] Wrap(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> context)
    {
        if (dataKey.Length != 32)
        {
            throw new ArgumentException("A data key is 32 bytes.", nameof(dataKey));
        }

        return _custody.Encrypt(_id, dataKey, context);
    }

    /// <inheritdoc />
    public bool TryUnwrap(ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> context, Span<byte> dataKey)
    {
        if (dataKey.Length != 32 || wrapped.Length != 32 + CustodyCiphertext.Overhead)
        {
            return false;
        }

        var result = _custody.Decrypt(_id, wrapped, context, dataKey);
        return result.Succeeded && result.Value == 32;
    }
}
