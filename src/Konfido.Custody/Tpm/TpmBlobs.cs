namespace Konfido.Custody.Tpm;

/// <summary>Storage form of a <see cref="TpmObjectBlob"/>: TPM2B_PRIVATE ‖ TPM2B_PUBLIC (each a 16-bit size and bytes).</summary>
internal static class TpmBlobs
{
    public static byte[] Encode(TpmObjectBlob blob) => new TpmWriter().Sized(blob.Private).Sized(blob.Public).ToArray();

    /// <summary>Decodes a blob; <paramref name="consumed"/> is its length in <paramref name="data"/>.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, out TpmObjectBlob blob, out int consumed)
    {
        blob = default;
        consumed = 0;
        try
        {
            var r = new TpmReader(data);
            var priv = r.Sized().ToArray();
            var pub = r.Sized().ToArray();
            if (priv.Length == 0 || pub.Length == 0)
            {
                return false;
            }

            blob = new TpmObjectBlob(priv, pub);
            consumed = r.Position;
            return true;
        }
        catch (TpmFormatException)
        {
            return false;
        }
    }
}
