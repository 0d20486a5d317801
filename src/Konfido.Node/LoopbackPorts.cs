using System.Net;
using System.Net.Sockets;

namespace Konfido.Node;

/// <summary>
/// Chooses free loopback TCP ports for a federation whose trust list must name its ports before any node listens.
/// </summary>
/// <remarks>
/// A port that was free when chosen can be taken before the node binds it. Two things do that: the kernel, which hands
/// out ports of its ephemeral range to outgoing connections and to every <c>bind(0)</c>; and another process choosing at
/// the same moment. So ports are chosen below the ephemeral range, where the kernel never hands them out by itself, and
/// each is reserved with a file created exclusively in <see cref="ReservationDirectory"/>, which every Konfido process
/// on the machine honours for <see cref="ReservationLifetime"/>: long enough for a federation to bind what it chose.
/// </remarks>
public static class LoopbackPorts
{
    /// <summary>The lowest port chosen.</summary>
    public const int RangeStart = 20000;

    /// <summary>The highest port chosen, unless the kernel's ephemeral range starts lower.</summary>
    public const int RangeEnd = 32767;

    /// <summary>How long a reservation keeps other Konfido processes off a port.</summary>
    public static readonly TimeSpan ReservationLifetime = TimeSpan.FromMinutes(10);

    /// <summary>Where reservations are kept: a folder of this user's under the temporary folder (other users' ports are left to the bind check).</summary>
    public static string ReservationDirectory => Path.Combine(Path.GetTempPath(), $"konfido-ports-{Environment.UserName}");

    /// <summary>Finds and reserves <paramref name="count"/> distinct free loopback ports (each bound once to prove it free, then released).</summary>
    /// <exception cref="IOException">Fewer than <paramref name="count"/> free ports were found.</exception>
    public static int[] Reserve(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var (low, high) = Range();
        if (high - low + 1 < count)
        {
            return KernelAssigned(count);
        }

        return Reserve(count, low, high, Random.Shared.Next(high - low + 1));
    }

    /// <summary>Reserves <paramref name="count"/> ports of <paramref name="low"/>..<paramref name="high"/>, scanning from offset <paramref name="start"/>.</summary>
    internal static int[] Reserve(int count, int low, int high, int start)
    {
        var ports = Hold(count, Scan(low, high, start));
        return ports.Length == count
            ? ports
            : throw new IOException($"Only {ports.Length} of {count} loopback ports between {low} and {high} are free.");
    }

    /// <summary>A listener on each port of the range, from offset <paramref name="start"/>, that is reserved for this process and free.</summary>
    private static IEnumerable<TcpListener> Scan(int low, int high, int start)
    {
        var size = high - low + 1;
        for (var i = 0; i < size; i++)
        {
            var port = low + (start + i) % size;
            if (TryReserve(port) && TryListen(port) is { } listener)
            {
                yield return listener;
            }
        }
    }

    /// <summary>Takes up to <paramref name="count"/> listeners at once (so that their ports are distinct), then releases them and returns their ports.</summary>
    private static int[] Hold(int count, IEnumerable<TcpListener> listeners)
    {
        var held = new List<TcpListener>(count);
        try
        {
            foreach (var listener in listeners)
            {
                held.Add(listener);
                if (held.Count == count)
                {
                    break;
                }
            }

            return held.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in held)
            {
                listener.Stop();
            }
        }
    }

    /// <summary>The ports to choose from: <see cref="RangeStart"/>..<see cref="RangeEnd"/>, ending below the kernel's ephemeral range where Linux reports it.</summary>
    private static (int Low, int High) Range()
    {
        var high = RangeEnd;
        const string ephemeral = "/proc/sys/net/ipv4/ip_local_port_range";
        try
        {
            if (File.Exists(ephemeral))
            {
                var parts = File.ReadAllText(ephemeral).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2 && int.TryParse(parts[0], out var first) && int.TryParse(parts[1], out var last)
                    && first <= high && last >= RangeStart)
                {
                    high = first - 1;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return (RangeStart, high);
    }

    /// <summary>Claims <paramref name="port"/> for this process unless another claimed it within <see cref="ReservationLifetime"/>.</summary>
    private static bool TryReserve(int port)
    {
        string file;
        try
        {
            Directory.CreateDirectory(ReservationDirectory);
            file = Path.Combine(ReservationDirectory, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true; // no shared folder: the bind check alone must do
        }

        for (var attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                using var created = new FileStream(file, FileMode.CreateNew, FileAccess.Write);
                created.Write(BitConverter.GetBytes(Environment.ProcessId));
                return true;
            }
            catch (IOException) when (File.Exists(file))
            {
                try
                {
                    if (DateTime.UtcNow - File.GetLastWriteTimeUtc(file) < ReservationLifetime)
                    {
                        return false;
                    }

                    File.Delete(file); // expired: whoever reserved it has bound it or given up
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return false;
                }
            }
            catch (UnauthorizedAccessException)
            {
                return true; // the folder cannot be written: the bind check alone must do
            }
        }

        return false;
    }

    private static TcpListener? TryListen(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return listener;
        }
        catch (SocketException)
        {
            listener.Stop();
            return null;
        }
    }

    /// <summary>Ports from the kernel (when no range outside its ephemeral range is left).</summary>
    private static int[] KernelAssigned(int count) => Hold(count, Enumerable.Range(0, count).Select(_ =>
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }));
}
