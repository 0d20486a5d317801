using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Konfido.Puf.Simulation;

/// <summary>
/// One challenge to a photonic PUF: a binary phase pattern on the spatial light modulator (SLM), 8×8
/// macro-pixels, bit i = macro-pixel (row i / 8, column i % 8) with phase 0 or pi, and the laser
/// wavelength channel.
/// </summary>
/// <param name="SlmPattern">The 64 SLM macro-pixel bits.</param>
/// <param name="WavelengthChannel">The laser wavelength channel, 0..7.</param>
public readonly record struct PufChallenge(ulong SlmPattern, int WavelengthChannel)
{
    /// <summary>The number of laser wavelength channels.</summary>
    public const int WavelengthChannels = 8;

    /// <summary>
    /// Expands a challenge seed into <paramref name="count"/> challenges (SHA-256 of seed ‖ index), so
    /// that protocols can name a whole set of frames by a short seed. Requires count &gt;= 0.
    /// </summary>
    /// <param name="seed">The seed (any length; 16 bytes from a CSPRNG in the protocols).</param>
    /// <param name="count">How many challenges.</param>
    public static PufChallenge[] Expand(ReadOnlySpan<byte> seed, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var result = new PufChallenge[count];
        var input = new byte[seed.Length + 4];
        seed.CopyTo(input);
        Span<byte> digest = stackalloc byte[32];
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(input.AsSpan(seed.Length), i);
            SHA256.HashData(input, digest);
            result[i] = new PufChallenge(
                BinaryPrimitives.ReadUInt64BigEndian(digest),
                digest[8] % WavelengthChannels);
        }

        return result;
    }
}

/// <summary>A raw detector frame: photo-electron counts, row-major, <see cref="Width"/>×<see cref="Height"/>.</summary>
/// <param name="Width">Pixels per row.</param>
/// <param name="Height">Rows.</param>
/// <param name="Pixels">The counts (length Width·Height).</param>
public sealed record ResponseFrame(int Width, int Height, double[] Pixels);

/// <summary>
/// A PUF device as the software sees it: a challenge in, a raw response frame out. The photonic
/// simulator is the default implementation; a driver for real hardware (SLM + laser + camera)
/// implements the same interface.
/// </summary>
public interface IPufDriver
{
    /// <summary>The width of every frame this device returns.</summary>
    int FrameWidth { get; }

    /// <summary>The height of every frame this device returns.</summary>
    int FrameHeight { get; }

    /// <summary>Applies <paramref name="challenge"/> and captures one (noisy) frame.</summary>
    /// <param name="challenge">The challenge.</param>
    ResponseFrame Measure(PufChallenge challenge);
}
