using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Konfido.Core;
using Konfido.Siem.Alerts;
using Konfido.Siem.Anomaly;
using Konfido.Siem.Ingestion;
using Konfido.Siem.Parsing;
using Konfido.Siem.Tests.Alerts;
using Konfido.Testing;

namespace Konfido.Siem.Tests.Node;

public sealed class SiemNodeTests : IDisposable
{
    private readonly TemporaryDirectory _dir = new();
    private readonly PatientPseudonymiser _pseudonymiser = new(new byte[32]);
    private static readonly DateTimeOffset T0 = new(2026, 4, 1, 9, 0, 0, TimeSpan.Zero);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _pseudonymiser.Dispose();
        _dir.Dispose();
    }

    private SiemNode CreateNode(IAlertSink sink, int capacity = 1024, AnomalyOptions? anomaly = null) =>
        new(new SiemOptions("DK", capacity, Anomaly: anomaly), BundledRules.Load(), SqliteAlertStore.ForFile(_dir.File($"alerts-{Guid.NewGuid():N}.db")), [sink], _pseudonymiser);

    private static SecurityEvent Login(string user, int second, EventOutcome outcome = EventOutcome.Failure) => new()
    {
        Timestamp = T0.AddSeconds(second),
        Node = "ES",
        Category = EventCategories.Identity,
        Action = "eid-login",
        Outcome = outcome,
        Actor = user,
        SourceIp = "203.0.113.5",
        Reason = outcome == EventOutcome.Failure ? "signature invalid" : null,
    };

    private static SecurityEvent Retrieval(string user, string patient, int second) => new()
    {
        Timestamp = T0.AddSeconds(second),
        Node = "DK",
        Category = EventCategories.Exchange,
        Action = "ips-retrieve",
        Actor = user,
        PatientId = patient,
        SourceCountry = "ES",
        TargetCountry = "DK",
        PurposeOfUse = "TREATMENT",
    };

    [Fact]
    public async Task Security_events_raise_brute_force_and_mass_lookup_alerts()
    {
        var sink = new AlertPipelineTests.RecordingSink();
        await using (var node = CreateNode(sink))
        {
            await node.StartAsync();
            for (var i = 0; i < 6; i++)
            {
                await node.PublishAsync(Login("mallory@es", i * 10));
            }

            for (var i = 0; i < 25; i++)
            {
                await node.PublishAsync(Retrieval("dr.curious@es", $"DK-{1000 + i}", 100 + i));
            }

            await node.DrainAsync();
            var counters = node.Counters;
            Assert.Equal(31, counters.Received);
            Assert.Equal(31, counters.Parsed);
            Assert.Equal(31, counters.Processed);
            Assert.Equal(0, counters.Dropped);
        }

        Assert.Contains(sink.Alerts, a => a.Title == "Brute-force eID logins against one account" && a.Group["user.name"] == "mallory@es");
        var mass = Assert.Single(sink.Alerts, a => a.Title == "One professional querying many patients");
        Assert.Equal("dr.curious@es", mass.Group["user.name"]);
        Assert.Equal(20, mass.Evidence.Count);
        Assert.All(sink.Alerts, a => Assert.Equal("DK", a.Node));
        // Patient identifiers never reach alerts.
        Assert.DoesNotContain(sink.Alerts, a => string.Join(",", a.Group.Values.Concat(a.Evidence)).Contains("DK-10", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Anomaly_alerts_come_out_beside_the_rules()
    {
        var sink = new AlertPipelineTests.RecordingSink();
        await using (var node = CreateNode(sink, anomaly: new AnomalyOptions(TimeSpan.FromMinutes(1), Alpha: 0.3, ZThreshold: 3, MinimumBuckets: 3, MinimumStdDev: 1)))
        {
            await node.StartAsync();
            var second = 0;
            for (var minute = 0; minute < 6; minute++)
            {
                await node.PublishAsync(Retrieval("dr.steady@es", $"P{minute}", minute * 60));
            }

            for (var i = 0; i < 12; i++)
            {
                await node.PublishAsync(Retrieval("dr.steady@es", "P1", (6 * 60) + second++));
            }

            await node.DrainAsync();
        }

        Assert.Contains(sink.Alerts, a => a.Kind == AlertKind.Anomaly && a.Group.TryGetValue("professional", out var p) && p == "dr.steady@es");
    }

    [Fact]
    public async Task Udp_lines_are_ingested_and_a_full_queue_drops_and_counts()
    {
        var sink = new AlertPipelineTests.RecordingSink();
        await using var node = CreateNode(sink, capacity: 2);
        // Not started: the queue fills up.
        Assert.True(node.TryIngestLine("a"));
        Assert.True(node.TryIngestLine("b"));
        Assert.False(node.TryIngestLine("c"));
        Assert.Equal(1, node.Counters.Dropped);
        Assert.Equal(3, node.Counters.Received);
        await node.StartAsync();
        await node.DrainAsync();
        Assert.Equal(2, node.Counters.Failed); // "a" and "b" are not log lines: error events, still counted

        await using var udp = new SyslogUdpListener(new IPEndPoint(IPAddress.Loopback, 0), node);
        using var client = new UdpClient();
        var datagram = Encoding.UTF8.GetBytes("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8");
        await client.SendAsync(datagram, datagram.Length, udp.LocalEndpoint);
        await WaitFor(() => node.Counters.Parsed >= 1);
        await node.DrainAsync();
        Assert.Equal(1, node.Counters.Parsed);
    }

    [Fact]
    public async Task Tcp_accepts_octet_counting_and_newline_framing()
    {
        var sink = new AlertPipelineTests.RecordingSink();
        await using var node = CreateNode(sink);
        await node.StartAsync();
        await using var tcp = new SyslogTcpListener(new IPEndPoint(IPAddress.Loopback, 0), node);
        const string m1 = "<34>1 2003-10-11T22:14:15.003Z host su - ID47 - first message";
        const string m2 = "<34>1 2003-10-11T22:14:16.003Z host su - ID47 - second\nwith a newline inside";
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(tcp.LocalEndpoint);
            var stream = client.GetStream();
            var payload = Encoding.UTF8.GetBytes($"{Encoding.UTF8.GetByteCount(m1)} {m1}{Encoding.UTF8.GetByteCount(m2)} {m2}");
            await stream.WriteAsync(payload);
        }

        using (var client = new TcpClient())
        {
            await client.ConnectAsync(tcp.LocalEndpoint);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.UTF8.GetBytes("<34>Oct 11 22:14:15 h su: one\n<34>Oct 11 22:14:16 h su: two\r\n<34>Oct 11 22:14:17 h su: three"));
        }

        await WaitFor(() => node.Counters.Received >= 5);
        await node.DrainAsync();
        Assert.Equal(5, node.Counters.Parsed);
        Assert.Equal(0, node.Counters.Failed);
    }

    [Fact]
    public async Task Tls_listener_receives_octet_counted_messages()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=siem.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        using var certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
        var sink = new AlertPipelineTests.RecordingSink();
        await using var node = CreateNode(sink);
        await node.StartAsync();
        await using var tls = new SyslogTcpListener(new IPEndPoint(IPAddress.Loopback, 0), node, certificate);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(tls.LocalEndpoint);
            await using var ssl = new SslStream(client.GetStream(), false, (_, cert, _, _) => cert?.GetCertHashString() == certificate.GetCertHashString());
            await ssl.AuthenticateAsClientAsync("siem.test");
            const string m = "<165>1 2026-04-01T09:00:00Z ncp-es eid - - [konfido@32473 node=\"ES\"] tls message";
            await ssl.WriteAsync(Encoding.UTF8.GetBytes($"{Encoding.UTF8.GetByteCount(m)} {m}"));
            await ssl.FlushAsync();
        }

        await WaitFor(() => node.Counters.Received >= 1);
        await node.DrainAsync();
        Assert.Equal(1, node.Counters.Parsed);
    }

    [Fact]
    public async Task A_malformed_octet_count_closes_the_connection_and_is_counted()
    {
        var sink = new AlertPipelineTests.RecordingSink();
        await using var node = CreateNode(sink);
        await node.StartAsync();
        await using var tcp = new SyslogTcpListener(new IPEndPoint(IPAddress.Loopback, 0), node);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(tcp.LocalEndpoint);
            await client.GetStream().WriteAsync(Encoding.UTF8.GetBytes("12x3 nonsense"));
        }

        await WaitFor(() => tcp.FramingErrors >= 1);
        Assert.Equal(0, node.Counters.Received);
    }

    [Fact]
    public void Metrics_expose_every_counter()
    {
        var metrics = new IngestionCounters(1, 2, 3, 4, 5, 6, 7, 8).ToMetrics();
        Assert.Equal(4, metrics["konfido_siem_events_dropped_total"]);
        Assert.Equal(8, metrics.Count);
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        for (var i = 0; i < 600 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition());
    }
}
