// The concatenated code of the code-offset sketch: B blocks of an outer binary BCH(n, k, t) code,
// each codeword bit repeated r times (inner repetition code, majority decoding, r odd).
// References: C. Bösch, J. Guajardo, A.-R. Sadeghi, J. Shokrollahi, P. Tuyls, "Efficient helper
// data key extractor on FPGAs", CHES 2008 (concatenated repetition + BCH/RM codes for PUF keys);
// G. D. Forney, "Concatenated Codes" (1966). Sizes: message B·k bits, codeword B·n·r bits.
namespace Konfido.Puf.Coding;

/// <summary>
/// B blocks of BCH(n, k, t) with every codeword bit repeated r times. Bits are unpacked (one per byte).
/// Immutable and thread-safe.
/// </summary>
public sealed class ConcatenatedCode
{
    /// <summary>Creates the code. Requires repetition odd and &gt;= 1, blocks &gt;= 1.</summary>
    /// <param name="outer">The outer BCH code (used at full length n).</param>
    /// <param name="repetition">The inner repetition factor r (odd).</param>
    /// <param name="blocks">The number of BCH blocks B.</param>
    public ConcatenatedCode(BchCode outer, int repetition, int blocks)
    {
        ArgumentNullException.ThrowIfNull(outer);
        ArgumentOutOfRangeException.ThrowIfLessThan(repetition, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 1);
        if (repetition % 2 == 0)
        {
            throw new ArgumentException("the repetition factor must be odd (majority decoding)", nameof(repetition));
        }

        Outer = outer;
        Repetition = repetition;
        Blocks = blocks;
    }

    /// <summary>The outer BCH code.</summary>
    public BchCode Outer { get; }

    /// <summary>The inner repetition factor r.</summary>
    public int Repetition { get; }

    /// <summary>The number of outer blocks B.</summary>
    public int Blocks { get; }

    /// <summary>Message bits: B·k.</summary>
    public int MessageBits => Blocks * Outer.MaxDataBits;

    /// <summary>Codeword bits: B·n·r.</summary>
    public int CodewordBits => Blocks * Outer.Length * Repetition;

    /// <summary>Encodes <see cref="MessageBits"/> message bits into <see cref="CodewordBits"/> codeword bits.</summary>
    /// <param name="message">The message bits.</param>
    /// <param name="codeword">Receives the codeword.</param>
    public void Encode(ReadOnlySpan<byte> message, Span<byte> codeword)
    {
        if (message.Length != MessageBits || codeword.Length != CodewordBits)
        {
            throw new ArgumentException($"expected {MessageBits} message and {CodewordBits} codeword bits");
        }

        var n = Outer.Length;
        var k = Outer.MaxDataBits;
        var outer = new byte[n];
        for (var b = 0; b < Blocks; b++)
        {
            Outer.Encode(message.Slice(b * k, k), outer);
            var target = codeword.Slice(b * n * Repetition, n * Repetition);
            for (var i = 0; i < n; i++)
            {
                target.Slice(i * Repetition, Repetition).Fill(outer[i]);
            }
        }
    }

    /// <summary>
    /// Decodes a noisy word to the nearest codeword in place (majority per repetition group, then BCH per block).
    /// Returns the number of outer bits corrected, or -1 if some block is uncorrectable (word then unspecified).
    /// </summary>
    /// <param name="word">The noisy word of <see cref="CodewordBits"/> bits; becomes the codeword.</param>
    public int DecodeToCodeword(Span<byte> word)
    {
        if (word.Length != CodewordBits)
        {
            throw new ArgumentException($"expected {CodewordBits} bits", nameof(word));
        }

        var n = Outer.Length;
        var outer = new byte[n];
        var corrected = 0;
        for (var b = 0; b < Blocks; b++)
        {
            var block = word.Slice(b * n * Repetition, n * Repetition);
            for (var i = 0; i < n; i++)
            {
                var ones = 0;
                foreach (var bit in block.Slice(i * Repetition, Repetition))
                {
                    ones += bit & 1;
                }

                outer[i] = ones * 2 > Repetition ? (byte)1 : (byte)0;
            }

            var result = Outer.Decode(outer);
            if (result < 0)
            {
                return -1;
            }

            corrected += result;
            for (var i = 0; i < n; i++)
            {
                block.Slice(i * Repetition, Repetition).Fill(outer[i]);
            }
        }

        return corrected;
    }
}
