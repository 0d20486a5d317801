using System.Net;
using System.Net.Sockets;

namespace Konfido.Node.Tests;

public sealed class LoopbackPortsTests
{
    [Fact]
    public void Ports_are_distinct_below_the_kernels_ephemeral_range_and_free()
    {
        var ports = LoopbackPorts.Reserve(12);
        Assert.Equal(12, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, LoopbackPorts.RangeStart, LoopbackPorts.RangeEnd));
        const string ephemeral = "/proc/sys/net/ipv4/ip_local_port_range";
        if (File.Exists(ephemeral))
        {
            var first = int.Parse(File.ReadAllText(ephemeral).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.All(ports, p => Assert.True(p < first, $"{p} is in the ephemeral range from {first}"));
        }

        foreach (var port in ports)
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
        }
    }

    [Fact]
    public void A_reserved_port_is_not_handed_out_again_while_its_reservation_lasts()
    {
        var first = LoopbackPorts.Reserve(20);
        var second = LoopbackPorts.Reserve(20);
        Assert.Empty(first.Intersect(second));
        Assert.All(first, p => Assert.True(File.Exists(Path.Combine(LoopbackPorts.ReservationDirectory, p.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
    }

    [Fact]
    public void A_port_someone_listens_on_is_never_handed_out()
    {
        // A port outside the reservation scheme (the kernel's choice) that something listens on, then a scan that starts at it.
        var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            var port = ((IPEndPoint)taken.LocalEndpoint).Port;
            var chosen = LoopbackPorts.Reserve(1, port, Math.Min(port + 50, 65535), 0);
            Assert.NotEqual(port, chosen[0]);
            Assert.InRange(chosen[0], port + 1, port + 50);
        }
        finally
        {
            taken.Stop();
        }
    }
}
