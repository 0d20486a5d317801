// Keeping secrets out of core dumps on Linux: setrlimit(RLIMIT_CORE, 0) (POSIX getrlimit(2)) and
// prctl(PR_SET_DUMPABLE, 0) (prctl(2)), which also stops non-root processes of the same user from
// attaching with ptrace or reading /proc/<pid>/mem.
using System.Runtime.InteropServices;

namespace Konfido.Custody;

/// <summary>Process-level protection of the secrets custody handles in memory.</summary>
public static partial class ProcessHardening
{
    private const int RlimitCore = 4;
    private const int PrSetDumpable = 4;
    private const int PrGetDumpable = 3;

    /// <summary>
    /// Stops this process from writing core dumps and from being inspected by other processes of
    /// the same user (Linux). A node calls it once at start-up, before it opens custody.
    /// </summary>
    /// <returns>True if both protections are in force; false on other platforms or if the kernel refused.</returns>
    public static bool DisableCoreDumps()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        var limit = new ResourceLimit(0, 0);
        var limited = SetResourceLimit(RlimitCore, in limit) == 0;
        var undumpable = Prctl(PrSetDumpable, 0, 0, 0, 0) == 0;
        return limited && undumpable;
    }

    /// <summary>True if this process may currently be dumped (Linux <c>PR_GET_DUMPABLE</c>); false elsewhere.</summary>
    public static bool IsDumpable => OperatingSystem.IsLinux() && Prctl(PrGetDumpable, 0, 0, 0, 0) > 0;

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct ResourceLimit(ulong current, ulong maximum)
    {
        public readonly ulong Current = current;
        public readonly ulong Maximum = maximum;
    }

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetResourceLimit(int resource, in ResourceLimit limit);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
