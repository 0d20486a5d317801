using System.Text;

namespace Konfido.Custody.Tests;

/// <summary>The gateway's decrypt → transform → re-encrypt boundary.</summary>
public sealed class TrustedTransformTests
{
    private static readonly CustodyKeyId Inbound = CustodyKeyId.Parse("gateway/inbound");
    private static readonly CustodyKeyId Outbound = CustodyKeyId.Parse("gateway/outbound");

    private static int Uppercase(ReadOnlySpan<byte> input, Span<byte> output, int unused)
    {
        for (var i = 0; i < input.Length; i++)
        {
            output[i] = (byte)char.ToUpperInvariant((char)input[i]);
        }

        return input.Length;
    }

    [Theory]
    [MemberData(nameof(CustodyFactory.Backends), MemberType = typeof(CustodyFactory))]
    public void Transforms_and_reencrypts_under_the_target_key(string backend)
    {
        using var scope = new CustodyScope(backend);
        var custody = scope.Custody;
        custody.CreateKey(Inbound, CustodyKeyKind.Aes256Gcm);
        custody.CreateKey(Outbound, CustodyKeyKind.Aes256Gcm);
        var ciphertext = custody.Encrypt(Inbound, "patient summary for es"u8, "from-dk"u8);

        var result = new TrustedTransform(custody).Run(Inbound, ciphertext, "from-dk"u8, Outbound, "to-es"u8, 64, 0, Uppercase);

        Assert.True(result.Succeeded);
        Assert.Equal("PATIENT SUMMARY FOR ES", Encoding.ASCII.GetString(custody.Decrypt(Outbound, result.Ciphertext.Span, "to-es"u8).Value));
        Assert.Equal(CustodyFailure.Tampered, custody.Decrypt(Inbound, result.Ciphertext.Span, "to-es"u8).Failure);
    }

    [Fact]
    public void Every_clear_buffer_is_zeroised_after_the_transform()
    {
        using var scope = new CustodyScope("software");
        var custody = scope.Custody;
        custody.CreateKey(Inbound, CustodyKeyKind.Aes256Gcm);
        custody.CreateKey(Outbound, CustodyKeyKind.Aes256Gcm);
        var ciphertext = custody.Encrypt(Inbound, "DK-0101801234 COPD salbutamol"u8, []);
        var released = new List<byte[]>();
        var seenInside = 0;
        var transform = new TrustedTransform(custody) { BufferReleased = released.Add };

        var result = transform.Run(Inbound, ciphertext, [], Outbound, [], 64, 0, (input, output, _) =>
        {
            seenInside = input.Length;
            Assert.Equal("DK-0101801234 COPD salbutamol", Encoding.ASCII.GetString(input));
            input.CopyTo(output);
            return input.Length;
        });

        Assert.True(result.Succeeded);
        Assert.Equal(29, seenInside);
        Assert.Equal(2, released.Count);
        Assert.Equal(29, released[0].Length);
        Assert.Equal(64, released[1].Length);
        Assert.All(released, buffer => Assert.All(buffer, b => Assert.Equal(0, b)));
    }

    [Fact]
    public void Buffers_are_zeroised_even_when_the_transform_throws()
    {
        using var scope = new CustodyScope("software");
        var custody = scope.Custody;
        custody.CreateKey(Inbound, CustodyKeyKind.Aes256Gcm);
        var ciphertext = custody.Encrypt(Inbound, "secret"u8, []);
        var released = new List<byte[]>();
        var transform = new TrustedTransform(custody) { BufferReleased = released.Add };

        Assert.Throws<FormatException>(() => transform.Run(Inbound, ciphertext, [], Inbound, [], 16, 0,
            (input, output, _) =>
            {
                input.CopyTo(output);
                throw new FormatException("bad document");
            }));

        Assert.Equal(2, released.Count);
        Assert.All(released, buffer => Assert.All(buffer, b => Assert.Equal(0, b)));
    }

    [Fact]
    public void Undecryptable_input_and_refusals_are_results()
    {
        using var scope = new CustodyScope("software");
        var custody = scope.Custody;
        custody.CreateKey(Inbound, CustodyKeyKind.Aes256Gcm);
        var ciphertext = custody.Encrypt(Inbound, "x"u8, []);
        var transform = new TrustedTransform(custody);

        var wrongData = transform.Run(Inbound, ciphertext, "other"u8, Inbound, [], 8, 0, Uppercase);
        var refused = transform.Run(Inbound, ciphertext, [], Inbound, [], 8, 0, static (_, _, _) => -1);
        custody.DestroyKey(Inbound);
        var shredded = transform.Run(Inbound, ciphertext, [], Inbound, [], 8, 0, Uppercase);

        Assert.Equal((TransformFailure.DecryptFailed, CustodyFailure.Tampered), (wrongData.Failure, wrongData.DecryptFailure));
        Assert.Equal(TransformFailure.Refused, refused.Failure);
        Assert.Equal((TransformFailure.DecryptFailed, CustodyFailure.KeyDestroyed), (shredded.Failure, shredded.DecryptFailure));
    }
}
