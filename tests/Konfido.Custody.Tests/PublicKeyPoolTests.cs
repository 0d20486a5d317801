using System.Security.Cryptography;
using System.Text;
using Konfido.Custody;

namespace Konfido.Custody.Tests;

public sealed class PublicKeyPoolTests
{
    [Fact]
    public void A_returned_key_is_reused_and_callers_at_the_same_time_get_their_own_object()
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = Convert.ToBase64String(signer.ExportSubjectPublicKeyInfo());
        using var pool = PublicKeyPool<ECDsa>.ForECDsa();
        var data = Encoding.UTF8.GetBytes("signed answer");
        var signature = signer.SignData(data, HashAlgorithmName.SHA256);

        ECDsa first;
        using (var lease = pool.Rent(spki))
        {
            first = lease.Key;
            Assert.True(lease.Key.VerifyData(data, signature, HashAlgorithmName.SHA256));
        }

        using (var again = pool.Rent(spki))
        using (var meanwhile = pool.Rent(spki))
        {
            Assert.Same(first, again.Key);
            Assert.NotSame(again.Key, meanwhile.Key);
            Assert.True(meanwhile.Key.VerifyData(data, signature, HashAlgorithmName.SHA256));
        }

        Assert.Equal(1, pool.KeysKept);
    }

    [Fact]
    public void Keys_it_does_not_accept_are_refused_as_an_import_would_refuse_them()
    {
        using var recipients = PublicKeyPool<ECDiffieHellman>.ForEnvelopeRecipients();
        using var p384 = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        Assert.Throws<ArgumentException>(() => recipients.Rent(p384.ExportSubjectPublicKeyInfo()));
        Assert.Throws<ArgumentException>(() => recipients.Rent([0x30, 0x03, 0x02, 0x01, 0x00]));
        using var verifiers = PublicKeyPool<ECDsa>.ForECDsa();
        Assert.Throws<FormatException>(() => verifiers.Rent("not base64!"));
        Assert.ThrowsAny<CryptographicException>(() => verifiers.Rent(Convert.ToBase64String([0x30, 0x03, 0x02, 0x01, 0x00])));
        Assert.Equal(0, recipients.KeysKept);
        Assert.Equal(0, verifiers.KeysKept);
    }

    [Fact]
    public void It_keeps_at_most_its_number_of_keys_and_disposes_what_it_does_not_keep()
    {
        var imported = new List<ECDsa>();
        using var pool = new PublicKeyPool<ECDsa>(spki =>
        {
            var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(spki, out _);
            imported.Add(key);
            return key;
        }, maxKeys: 2, maxIdlePerKey: 1);
        var keys = Enumerable.Range(0, 3).Select(_ => { using var k = ECDsa.Create(ECCurve.NamedCurves.nistP256); return k.ExportSubjectPublicKeyInfo(); }).ToArray();
        foreach (var key in keys)
        {
            using var lease = pool.Rent(key);
        }

        Assert.Equal(2, pool.KeysKept);
        Assert.Throws<ObjectDisposedException>(() => imported[2].ExportParameters(false)); // the third was not kept
        var one = pool.Rent(keys[0]);
        var two = pool.Rent(keys[0]);
        two.Dispose();
        one.Dispose(); // one idle object per key: the second returned is disposed
        Assert.Throws<ObjectDisposedException>(() => one.Key.ExportParameters(false));
        imported[1].ExportParameters(false);

        var leased = pool.Rent(keys[1]);
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => imported[3].ExportParameters(false)); // idle ones go with the pool
        leased.Key.ExportParameters(false); // the leased one still works for its caller…
        leased.Dispose();
        Assert.Throws<ObjectDisposedException>(() => leased.Key.ExportParameters(false)); // …and is disposed when returned
        Assert.Throws<ObjectDisposedException>(() => pool.Rent(keys[1]));
    }

    [Fact]
    public void An_envelope_sealed_with_a_pooled_recipient_key_opens_with_the_recipients_private_key()
    {
        using var doctor = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var pool = PublicKeyPool<ECDiffieHellman>.ForEnvelopeRecipients();
        var payload = Encoding.UTF8.GetBytes("{\"resourceType\":\"Bundle\"}");
        string first, second;
        using (var lease = pool.Rent(doctor.ExportSubjectPublicKeyInfo()))
        {
            first = PayloadEnvelope.Seal(payload, lease.Key, "client");
        }

        using (var lease = pool.Rent(doctor.ExportSubjectPublicKeyInfo()))
        {
            second = PayloadEnvelope.Seal(payload, lease.Key, "client");
        }

        Assert.NotEqual(first, second); // a fresh ephemeral key each time, though the recipient's key object is the same
        Assert.Equal(payload, PayloadEnvelope.Open(first, doctor).Value);
        Assert.Equal(payload, PayloadEnvelope.Open(second, doctor).Value);
    }
}
