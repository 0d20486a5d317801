using System.Text;
using Konfido.Fuzzing;
using Konfido.Testing;

namespace Konfido.Fuzz.Tests;

/// <summary>
/// A deliberately fragile parser of "key=value;" records: it trusts a declared length ("#N:" prefix) and indexes
/// past the end when N exceeds the rest of the input; the documented failure is <see cref="FormatException"/>.
/// The fuzzer must find the planted <see cref="IndexOutOfRangeException"/> and shrink it.
/// </summary>
internal sealed class FragileRecordTarget : TextFuzzTarget
{
    public override string Name => "toy-fragile-records";

    public override string Description => "a parser with a planted out-of-bounds read";

    protected override IEnumerable<string> CreateTextSeeds() => ["#3:abc;name=value;", "#1:x;a=b;c=d;"];

    protected override FuzzResult Run(string text)
    {
        try
        {
            return Parse(text) ? FuzzResult.Accept : FuzzResult.Reject("no records");
        }
        catch (FormatException ex)
        {
            return FuzzResult.Reject(ex.Message);
        }
    }

    private static bool Parse(string text)
    {
        var chars = text.ToCharArray();
        if (chars.Length < 3 || chars[0] != '#')
        {
            throw new FormatException("missing length prefix");
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 2 || !int.TryParse(text.AsSpan(1, colon - 1), out var length) || length < 0)
        {
            throw new FormatException("bad length");
        }

        // The planted bug: the declared length is not checked against the input.
        var sum = 0;
        for (var i = 0; i < length; i++)
        {
            sum += chars[colon + 1 + i];
        }

        return sum >= 0 && text.Contains('=', StringComparison.Ordinal);
    }
}

/// <summary>A parser that never returns on a "loop" token: the fuzzer must report a hang.</summary>
internal sealed class HangingTarget : TextFuzzTarget
{
    public override string Name => "toy-hang";

    public override string Description => "a parser with a planted infinite loop";

    public override IReadOnlyList<string> Dictionary => ["loop"];

    protected override IEnumerable<string> CreateTextSeeds() => ["a line of text", "another lo op"];

    protected override FuzzResult Run(string text)
    {
        if (text.Contains("loop", StringComparison.Ordinal))
        {
            Thread.Sleep(Timeout.Infinite);
        }

        return FuzzResult.Accept;
    }
}

/// <summary>A "verifier" that accepts any text starting like the signed one: the fuzzer must report the invariant.</summary>
internal sealed class SloppyVerifierTarget : TextFuzzTarget
{
    private const string Signed = "amount=100\n";

    public override string Name => "toy-sloppy-verifier";

    public override string Description => "a verifier with a planted prefix check";

    protected override IEnumerable<string> CreateTextSeeds() => [Signed + "sig=ok"];

    protected override FuzzResult Run(string text)
    {
        var at = text.IndexOf("sig=ok", StringComparison.Ordinal);
        if (at < 0 || !text.StartsWith("amount=1", StringComparison.Ordinal))
        {
            return FuzzResult.Reject("bad signature");
        }

        if (text[..at] != Signed)
        {
            throw new FuzzInvariantException("signed-content", "verified a text that was never signed");
        }

        return FuzzResult.Accept;
    }
}

public sealed class PlantedBugTests
{
    [Fact]
    public void The_fuzzer_finds_and_minimises_a_planted_out_of_bounds_read()
    {
        using var dir = new TemporaryDirectory("konfido-fuzz-planted");
        var engine = new FuzzEngine(new FuzzOptions { Seed = 1, MaxInputs = 20_000, ReproducerDirectory = dir.Path });
        var report = engine.Run(new FragileRecordTarget());

        Assert.True(report.Crashes > 0, "the planted bug was not found");
        var crash = Assert.Single(report.UniqueCrashes, c => c.Signature.StartsWith("System.IndexOutOfRangeException@", StringComparison.Ordinal));
        Assert.Contains("FragileRecordTarget.Parse", crash.Signature, StringComparison.Ordinal);

        // Minimised: still crashes the same way, no longer than the input, and 1-minimal (no single byte can go).
        var target = new FragileRecordTarget();
        Assert.True(crash.Minimised.Length <= crash.Input.Length);
        Assert.Throws<IndexOutOfRangeException>(() => target.Run(crash.Minimised));
        for (var i = 0; i < crash.Minimised.Length; i++)
        {
            var shorter = crash.Minimised.Where((_, j) => j != i).ToArray();
            var stillCrashes = false;
            try
            {
                target.Run(shorter);
            }
            catch (IndexOutOfRangeException)
            {
                stillCrashes = true;
            }

            Assert.False(stillCrashes, $"byte {i} of the minimised input '{Encoding.UTF8.GetString(crash.Minimised)}' is not needed");
        }

        // The reproducer on disk is the minimised input.
        Assert.NotNull(crash.Reproducer);
        Assert.Equal(crash.Minimised, File.ReadAllBytes(crash.Reproducer!));
        Assert.True(File.Exists(Path.ChangeExtension(crash.Reproducer, ".txt")));
        Assert.Equal(report.InputsTried, report.Accepted + report.Rejected + report.Crashes);
    }

    [Fact]
    public void The_fuzzer_reports_a_planted_hang_as_a_crash_and_goes_on()
    {
        var engine = new FuzzEngine(new FuzzOptions { Seed = 2, MaxInputs = 5_000, InputTimeout = TimeSpan.FromMilliseconds(300), MaxHangs = 1 });
        var report = engine.Run(new HangingTarget());

        Assert.Equal(1, report.Hangs);
        var crash = Assert.Single(report.UniqueCrashes);
        Assert.Equal("hang", crash.Signature);
        Assert.Contains("loop", Encoding.UTF8.GetString(crash.Input), StringComparison.Ordinal);
    }

    [Fact]
    public void The_fuzzer_reports_a_broken_invariant_as_a_crash()
    {
        var engine = new FuzzEngine(new FuzzOptions { Seed = 3, MaxInputs = 20_000 });
        var report = engine.Run(new SloppyVerifierTarget());

        var crash = Assert.Single(report.UniqueCrashes);
        Assert.Equal("invariant:signed-content", crash.Signature);
        var minimised = Encoding.UTF8.GetString(crash.Minimised);
        Assert.StartsWith("amount=1", minimised, StringComparison.Ordinal);
        Assert.Contains("sig=ok", minimised, StringComparison.Ordinal);
    }
}
