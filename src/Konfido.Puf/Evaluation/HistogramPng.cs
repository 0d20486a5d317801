// A minimal PNG writer (ISO/IEC 15948 / W3C PNG 2nd ed.: signature, IHDR, zlib-compressed IDAT with
// filter type 0 per scanline, IEND; CRC-32 of ISO 3309) for the Hamming-distance histograms, so the
// evaluation needs no native graphics library. 8-bit RGB, 800×400.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Konfido.Puf.Evaluation;

/// <summary>Draws overlaid histograms of fractional Hamming distances (inter-device in blue, intra-device in red) as a PNG.</summary>
public static class HistogramPng
{
    private const int Width = 800;
    private const int Height = 400;
    private const int Margin = 40;

    /// <summary>Renders the histograms (100 bins over [0, 1]) and returns the PNG bytes.</summary>
    /// <param name="title">Stored in a tEXt chunk (Title).</param>
    /// <param name="inter">Inter-device fractional distances.</param>
    /// <param name="intra">Intra-device fractional distances.</param>
    public static byte[] Render(string title, IReadOnlyList<double> inter, IReadOnlyList<double> intra)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(inter);
        ArgumentNullException.ThrowIfNull(intra);
        const int bins = 100;
        var a = Bin(inter, bins);
        var b = Bin(intra, bins);
        var max = Math.Max(1e-12, Math.Max(a.Max(), b.Max()));
        var pixels = new byte[Height * Width * 3];
        Array.Fill(pixels, (byte)255);
        var plotWidth = Width - 2 * Margin;
        var plotHeight = Height - 2 * Margin;
        for (var bin = 0; bin < bins; bin++)
        {
            var x0 = Margin + bin * plotWidth / bins;
            var x1 = Margin + (bin + 1) * plotWidth / bins - 1;
            Bar(pixels, x0, x1, (int)(a[bin] / max * plotHeight), 40, 90, 200);
            Bar(pixels, x0, x1, (int)(b[bin] / max * plotHeight), 210, 50, 40);
        }

        // Axes with ticks every 0.1.
        for (var x = Margin; x < Width - Margin; x++)
        {
            Set(pixels, x, Height - Margin, 0, 0, 0);
        }

        for (var y = Margin; y <= Height - Margin; y++)
        {
            Set(pixels, Margin - 1, y, 0, 0, 0);
        }

        for (var tick = 0; tick <= 10; tick++)
        {
            var x = Margin + tick * plotWidth / 10;
            for (var y = Height - Margin; y < Height - Margin + (tick == 5 ? 10 : 6); y++)
            {
                Set(pixels, Math.Min(x, Width - 1), y, 0, 0, 0);
            }
        }

        return Encode(pixels, title);
    }

    private static double[] Bin(IReadOnlyList<double> values, int bins)
    {
        var counts = new double[bins];
        foreach (var v in values)
        {
            counts[Math.Clamp((int)(v * bins), 0, bins - 1)]++;
        }

        if (values.Count > 0)
        {
            for (var i = 0; i < bins; i++)
            {
                counts[i] /= values.Count; // normalised so that both distributions are visible
            }
        }

        return counts;
    }

    private static void Bar(byte[] pixels, int x0, int x1, int height, byte r, byte g, byte b)
    {
        for (var y = Height - Margin - height; y < Height - Margin; y++)
        {
            for (var x = x0; x <= x1; x++)
            {
                var i = (y * Width + x) * 3;
                // Blend with what is there so overlapping bars stay visible.
                pixels[i] = (byte)((pixels[i] + r) / 2);
                pixels[i + 1] = (byte)((pixels[i + 1] + g) / 2);
                pixels[i + 2] = (byte)((pixels[i + 2] + b) / 2);
            }
        }
    }

    private static void Set(byte[] pixels, int x, int y, byte r, byte g, byte b)
    {
        var i = (y * Width + x) * 3;
        pixels[i] = r;
        pixels[i + 1] = g;
        pixels[i + 2] = b;
    }

    private static byte[] Encode(byte[] rgb, string title)
    {
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), Height);
        header[8] = 8; // bit depth
        header[9] = 2; // colour type RGB
        Chunk(png, "IHDR", header);
        Chunk(png, "tEXt", Encoding.Latin1.GetBytes("Title\0" + title));
        using (var raw = new MemoryStream())
        {
            using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
            {
                for (var y = 0; y < Height; y++)
                {
                    z.WriteByte(0); // filter: none
                    z.Write(rgb, y * Width * 3, Width * 3);
                }
            }

            Chunk(png, "IDAT", raw.ToArray());
        }

        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream output, string type, byte[] data)
    {
        Span<byte> u32 = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(u32, data.Length);
        output.Write(u32);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        var crc = Crc32(typeBytes, data);
        BinaryPrimitives.WriteUInt32BigEndian(u32, crc);
        output.Write(u32);
    }

    private static uint Crc32(byte[] type, byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var part in new[] { type, data })
        {
            foreach (var b in part)
            {
                crc ^= b;
                for (var k = 0; k < 8; k++)
                {
                    crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
                }
            }
        }

        return ~crc;
    }
}
