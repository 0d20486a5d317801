using Konfido.Custody;
using Konfido.He.Compiler.Runtime;

namespace Konfido.Node;

/// <summary>
/// HE secret keys kept in a key custody: a data owner's key is imported as a custody secret
/// (<c>konfido.he/&lt;name&gt;</c>) the moment it is generated, and lent back only for one decryption,
/// after which the custody zeroises its clear copy. Destroying the custody key crypto-shreds every
/// result encrypted for it.
/// </summary>
/// <param name="custody">The custody.</param>
public sealed class CustodyHeSecretKeyVault(IKeyCustody custody) : IHeSecretKeyVault
{
    /// <summary>The custody key id prefix of HE secret keys.</summary>
    public const string Prefix = "konfido.he/";

    /// <summary>The custody key id of HE secret key <paramref name="name"/>.</summary>
    /// <param name="name">The key's name.</param>
    public static CustodyKeyId KeyId(string name) => CustodyKeyId.Parse(Prefix + name);

    /// <inheritdoc />
    public void Store(string name, ReadOnlySpan<byte> secretKey) => custody.ImportSecret(KeyId(name), secretKey);

    /// <inheritdoc />
    public TResult Use<TResult>(string name, HeSecretKeyUse<TResult> use)
    {
        ArgumentNullException.ThrowIfNull(use);
        return custody.UseSecret(KeyId(name), use, static (secret, lent) => lent(secret));
    }
}
