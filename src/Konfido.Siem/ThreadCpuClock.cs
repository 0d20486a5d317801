namespace Konfido.Siem;

/// <summary>
/// CPU time consumed by the calling thread, from Linux <c>/proc/thread-self/schedstat</c> (first
/// field: nanoseconds on CPU). Throughput per CPU-second is what "per core" means on a machine
/// shared with other work; elsewhere the clock is unavailable and callers fall back to wall time.
/// </summary>
internal static class ThreadCpuClock
{
    public static bool IsAvailable { get; } = OperatingSystem.IsLinux() && File.Exists("/proc/thread-self/schedstat");

    /// <summary>Nanoseconds of CPU time of the calling thread, or -1 when unavailable.</summary>
    public static long Now()
    {
        if (!IsAvailable)
        {
            return -1;
        }

        try
        {
            var text = File.ReadAllText("/proc/thread-self/schedstat");
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            return long.Parse(space < 0 ? text : text[..space], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }
}
