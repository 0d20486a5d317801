namespace Konfido.Custody.Tests;

/// <summary>Core dumps of the node process cannot carry keys if there are no core dumps.</summary>
public sealed class ProcessHardeningTests
{
    [Fact]
    public void After_hardening_the_process_is_not_dumpable_and_its_core_limit_is_zero()
    {
        Assert.True(OperatingSystem.IsLinux(), "Process hardening is implemented for Linux.");
        Assert.True(ProcessHardening.DisableCoreDumps());
        Assert.False(ProcessHardening.IsDumpable);
        var coreLine = File.ReadAllLines("/proc/self/limits").Single(l => l.StartsWith("Max core file size", StringComparison.Ordinal));
        var fields = coreLine["Max core file size".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["0", "0"], fields[..2]);
    }
}
