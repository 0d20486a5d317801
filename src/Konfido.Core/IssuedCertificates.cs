using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Konfido.Core;

/// <summary>
/// Short-lived certificates issued under one pinned issuer (a node's custody-held TLS identity): the check that peers, local
/// clients and devices make of a node's TLS certificate.
/// </summary>
public static class IssuedCertificates
{
    /// <summary>The longest validity accepted for a certificate issued under a pinned issuer.</summary>
    public static TimeSpan MaxLifetime { get; } = TimeSpan.FromDays(8);

    /// <summary>
    /// True if <paramref name="presented"/> is valid at <paramref name="now"/>, valid for at most <see cref="MaxLifetime"/>, and
    /// signed directly by <paramref name="issuer"/> (a one-link chain to exactly that certificate; no revocation or downloads).
    /// </summary>
    /// <param name="presented">The certificate a peer presented.</param>
    /// <param name="issuer">The pinned issuer.</param>
    /// <param name="now">The current time.</param>
    public static bool IsIssuedBy(X509Certificate2 presented, X509Certificate2 issuer, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(presented);
        ArgumentNullException.ThrowIfNull(issuer);
        if (presented.NotAfter - presented.NotBefore > MaxLifetime || now < presented.NotBefore.ToUniversalTime() || now > presented.NotAfter.ToUniversalTime())
        {
            return false;
        }

        try
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(issuer);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            chain.ChainPolicy.VerificationTime = now.UtcDateTime;
            return chain.Build(presented) && chain.ChainElements.Count == 2
                && chain.ChainElements[1].Certificate.RawData.AsSpan().SequenceEqual(issuer.RawData);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
