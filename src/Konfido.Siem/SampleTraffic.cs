using System.Globalization;
using System.Text.Json;

namespace Konfido.Siem;

/// <summary>
/// Deterministic synthetic log traffic for throughput measurements: Konfido security events as
/// RFC 5424 syslog with JSON payloads (50%), OpenSSH RFC 3164 lines (20%), proxy CEF (15%), web
/// server JSON lines (10%) and ATNA audit messages in syslog (5%). A small share is malicious so
/// that rules fire.
/// </summary>
public static class SampleTraffic
{
    private static readonly string[] Actions = ["patient-discovery", "ips-retrieve", "eprescription-retrieve", "eid-login", "consent-check", "eprescription-dispense"];
    private static readonly string[] Categories = ["exchange", "exchange", "exchange", "identity", "policy", "exchange"];
    private static readonly string[] Countries = ["DK", "ES", "IT"];
    private static readonly string[] Paths = ["/index.html", "/api/patients", "/login", "/static/app.js", "/search?q=aspirin", "/fhir/Patient/123", "/admin/../../etc/passwd", "/api?id=1%27%20OR%201=1"];
    private static readonly string[] Agents = ["Mozilla/5.0 (X11; Linux x86_64)", "curl/8.5.0", "python-requests/2.31", "sqlmap/1.7", "Mozilla/5.0 (Windows NT 10.0)"];

    /// <summary>Generates <paramref name="count"/> lines. Requires a positive count.</summary>
    /// <param name="count">How many lines.</param>
    /// <param name="seed">The random seed.</param>
    public static IReadOnlyList<string> Generate(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var random = new Random(seed);
        var start = new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
        var lines = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var time = start.AddMilliseconds(i * 50);
            var ts = time.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            var roll = random.Next(100);
            if (roll < 50)
            {
                var a = random.Next(Actions.Length);
                var failure = random.Next(20) == 0;
                var payload = JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["event"] = new Dictionary<string, string>
                    {
                        ["module"] = "konfido",
                        ["category"] = Categories[a],
                        ["action"] = Actions[a],
                        ["outcome"] = failure ? "failure" : "success",
                    },
                    ["user"] = new Dictionary<string, string> { ["name"] = $"hcp{random.Next(300)}@{Countries[random.Next(3)].ToLowerInvariant()}" },
                    ["patient"] = new Dictionary<string, string> { ["pseudonym"] = $"pp1:{random.Next(5000):x8}" },
                    ["source"] = new Dictionary<string, string> { ["ip"] = $"10.{random.Next(4)}.{random.Next(256)}.{random.Next(256)}", ["country"] = Countries[random.Next(3)] },
                    ["konfido"] = new Dictionary<string, string> { ["purpose_of_use"] = random.Next(50) == 0 ? "EMERGENCY" : "TREATMENT" },
                });
                lines.Add($"<134>1 {ts} ncp-{Countries[i % 3].ToLowerInvariant()} konfido {1000 + (i % 7)} - - {payload}");
            }
            else if (roll < 70)
            {
                var user = random.Next(10) == 0 ? "invalid user admin" : $"user{random.Next(50)}";
                var verb = random.Next(3) == 0 ? "Accepted password for" : "Failed password for";
                lines.Add($"{time.ToString("MMM", CultureInfo.InvariantCulture)} {time.Day,2} {time.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} bastion sshd[{2000 + i % 900}]: {verb} {user} from 203.0.113.{random.Next(256)} port {40000 + random.Next(20000)} ssh2");
            }
            else if (roll < 85)
            {
                var path = Paths[random.Next(Paths.Length)];
                lines.Add($"CEF:0|Squid|Proxy|6.1|TCP_MISS|proxy request|3|rt={time.ToUnixTimeMilliseconds()} src=10.1.{random.Next(256)}.{random.Next(256)} dst=198.51.100.{random.Next(256)} requestMethod=GET request=http://example.org{path} requestClientApplication={Agents[random.Next(Agents.Length)]} dhost=example.org act=TCP_MISS");
            }
            else if (roll < 95)
            {
                var path = Paths[random.Next(Paths.Length)];
                var q = path.IndexOf('?', StringComparison.Ordinal);
                lines.Add(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["@timestamp"] = ts,
                    ["event"] = new Dictionary<string, string> { ["dataset"] = "webserver" },
                    ["cs-method"] = "GET",
                    ["cs-uri-stem"] = q < 0 ? path : path[..q],
                    ["cs-uri-query"] = q < 0 ? "" : path[(q + 1)..],
                    ["c-ip"] = $"192.0.2.{random.Next(256)}",
                    ["sc-status"] = random.Next(10) == 0 ? 404 : 200,
                    ["cs-user-agent"] = Agents[random.Next(Agents.Length)],
                }));
            }
            else
            {
                lines.Add($"<85>1 {ts} ncp-dk openncp 77 IHE+RFC-3881 - <AuditMessage><EventIdentification EventActionCode=\"R\" EventDateTime=\"{ts}\" EventOutcomeIndicator=\"0\"><EventID csd-code=\"110110\" codeSystemName=\"DCM\" originalText=\"Patient Record\"/></EventIdentification><ActiveParticipant UserID=\"hcp{random.Next(300)}@es\" UserIsRequestor=\"true\" NetworkAccessPointID=\"192.0.2.10\" NetworkAccessPointTypeCode=\"2\"/><AuditSourceIdentification AuditSourceID=\"NCP-DK\"/><ParticipantObjectIdentification ParticipantObjectID=\"{random.Next(1_000_000, 9_999_999)}\" ParticipantObjectTypeCode=\"1\" ParticipantObjectTypeCodeRole=\"1\"/></AuditMessage>");
            }
        }

        return lines;
    }
}
