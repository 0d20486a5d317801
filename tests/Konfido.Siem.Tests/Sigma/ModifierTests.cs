using Konfido.Siem.Sigma;
using static Konfido.Siem.Tests.Sigma.SigmaTestKit;

namespace Konfido.Siem.Tests.Sigma;

// Examples from the Sigma modifiers appendix v2.1.0 (SigmaHQ/sigma-specification,
// specification/sigma-appendix-modifiers.md) and the rules specification's placeholder section.
public sealed class ModifierTests
{
    private static SigmaRule Field(string key, string values) => Detection($"""
        selection:
          {key}: {values}
        """);

    private static bool On(SigmaRule rule, string value) =>
        rule.Matches(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["f"] = value }));

    [Fact]
    public void Contains_startswith_endswith()
    {
        Assert.True(On(Field("f|contains", "'evil'"), "very EVIL thing"));
        Assert.False(On(Field("f|contains", "'evil'"), "good"));
        Assert.True(On(Field("f|startswith", "'adm'"), "Administrator"));
        Assert.False(On(Field("f|startswith", "'adm'"), "xadm"));
        Assert.True(On(Field("f|endswith", @"'\cmd.exe'"), @"C:\Windows\System32\CMD.exe"));
        Assert.False(On(Field("f|endswith", @"'\cmd.exe'"), @"C:\cmd.exe.bak"));
        // Wildcards inside a contains value keep their meaning.
        Assert.True(On(Field("f|contains", "'a?c'"), "xxabcxx"));
    }

    [Fact]
    public void All_links_list_values_with_and()
    {
        var rule = Field("f|contains|all", "['-enc', 'hidden']");
        Assert.True(On(rule, "powershell -w hidden -enc AAA"));
        Assert.False(On(rule, "powershell -enc AAA"));
        var any = Field("f|contains", "['-enc', 'hidden']");
        Assert.True(On(any, "powershell -enc AAA"));
    }

    [Fact]
    public void Regular_expressions_are_case_sensitive_with_i_m_s_sub_modifiers()
    {
        Assert.True(On(Field("f|re", "'^ab+c$'"), "abbbc"));
        Assert.False(On(Field("f|re", "'^ab+c$'"), "ABBC"));
        Assert.True(On(Field("f|re|i", "'^ab+c$'"), "ABBC"));
        Assert.False(On(Field("f|re", "'^second$'"), "first\nsecond"));
        Assert.True(On(Field("f|re|m", "'^second$'"), "first\nsecond"));
        Assert.False(On(Field("f|re", "'a.b'"), "a\nb"));
        Assert.True(On(Field("f|re|s", "'a.b'"), "a\nb"));
        Assert.Contains("invalid regular expression", LoadFailure("""
            title: t
            detection:
              selection:
                f|re: '(unclosed'
              condition: selection
            """), StringComparison.Ordinal);
    }

    [Fact]
    public void Base64_encodes_the_value()
    {
        // "/bin/bash" → L2Jpbi9iYXNo
        Assert.True(On(Field("f|base64", "'/bin/bash'"), "L2Jpbi9iYXNo"));
        Assert.True(On(Field("f|base64|contains", "'/bin/bash'"), "echo L2Jpbi9iYXNo | base64 -d"));
    }

    [Fact]
    public void Base64offset_finds_the_value_at_any_byte_offset()
    {
        // The modifier appendix's example values for '/bin/bash' at offsets 0, 1, 2.
        var variants = DetectionCompiler.Base64Offsets("/bin/bash"u8.ToArray()).ToArray();
        Assert.Equal(["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"], variants);

        var rule = Field("f|base64offset|contains", "'/bin/bash'");
        foreach (var prefix in new[] { "", "x", "xy", "xyz" })
        {
            var encoded = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(prefix + "/bin/bash -c id"));
            Assert.True(On(rule, encoded), prefix);
        }

        Assert.False(On(rule, Convert.ToBase64String("/bin/sh -c id"u8.ToArray())));
    }

    [Fact]
    public void Utf16_modifiers_with_base64()
    {
        // 'cmd' as UTF-16LE: 63 00 6d 00 64 00 → base64 YwBtAGQA
        Assert.True(On(Field("f|utf16le|base64", "'cmd'"), "YwBtAGQA"));
        Assert.True(On(Field("f|wide|base64", "'cmd'"), "YwBtAGQA"));
        // UTF-16BE: 00 63 00 6d 00 64 → AGMAbQBk
        Assert.True(On(Field("f|utf16be|base64", "'cmd'"), "AGMAbQBk"));
        // With a BOM: FF FE 63 00 6d 00 64 00 → //5jAG0AZAA=
        Assert.True(On(Field("f|utf16|base64", "'cmd'"), "//5jAG0AZAA="));
        // PowerShell -EncodedCommand style.
        var encoded = Convert.ToBase64String(System.Text.Encoding.Unicode.GetBytes("IEX (New-Object Net.WebClient).DownloadString('x')"));
        Assert.True(On(Field("f|wide|base64offset|contains", "'DownloadString'"), "powershell -enc " + encoded));
    }

    [Fact]
    public void Windash_accepts_every_dash_form()
    {
        var rule = Field("f|windash|contains", "' -exec '");
        foreach (var dash in new[] { "-", "/", "\u2013", "\u2014", "\u2015" })
        {
            Assert.True(On(rule, $"psexec {dash}exec bypass"), dash);
        }

        Assert.False(On(rule, "psexec +exec bypass"));
    }

    [Fact]
    public void Cidr_matches_ipv4_and_ipv6_networks()
    {
        var rule = Field("f|cidr", "['10.0.0.0/8', '192.168.1.0/24', '2001:db8::/32']");
        Assert.True(On(rule, "10.1.2.3"));
        Assert.True(On(rule, "192.168.1.200"));
        Assert.False(On(rule, "192.168.2.1"));
        Assert.True(On(rule, "2001:db8:1::5"));
        Assert.False(On(rule, "2001:db9::1"));
        Assert.False(On(rule, "not-an-ip"));
        Assert.True(On(Field("f|cidr", "'172.16.0.0/12'"), "172.31.255.255"));
        Assert.False(On(Field("f|cidr", "'172.16.0.0/12'"), "172.32.0.0"));
    }

    [Fact]
    public void Numeric_comparisons()
    {
        var rule = Detection("""
            selection:
              n|gte: 10
              m|lt: 5
            """);
        Assert.True(rule.Matches("""{"n":10,"m":4}"""));
        Assert.True(rule.Matches("""{"n":"11.5","m":"-1"}"""));
        Assert.False(rule.Matches("""{"n":9,"m":4}"""));
        Assert.False(rule.Matches("""{"n":10,"m":5}"""));
        Assert.True(Field("n|gt", "3").Matches("""{"n":4}"""));
        Assert.False(Field("n|gt", "3").Matches("""{"n":3}"""));
        Assert.True(Field("n|lte", "3").Matches("""{"n":3}"""));
    }

    [Fact]
    public void Neq_is_different_from_every_value()
    {
        var rule = Field("f|neq", "['a', 'b']");
        Assert.True(On(rule, "c"));
        Assert.False(On(rule, "A"));
    }

    [Fact]
    public void Time_modifiers_extract_parts_of_dates()
    {
        var rule = Detection("""
            selection:
              '@timestamp|hour|gte': 22
            """);
        Assert.True(rule.Matches("""{"@timestamp":"2026-01-05T23:10:00Z"}"""));
        Assert.False(rule.Matches("""{"@timestamp":"2026-01-05T09:10:00Z"}"""));
        Assert.True(Field("t|month", "12").Matches("""{"t":"2025-12-24T10:00:00Z"}"""));
    }

    [Fact]
    public void Fieldref_compares_two_fields()
    {
        var rule = Field("user.name|fieldref", "'target.user.name'");
        Assert.True(rule.Matches("""{"user":{"name":"Alice"},"target":{"user":{"name":"alice"}}}"""));
        Assert.False(rule.Matches("""{"user":{"name":"Alice"},"target":{"user":{"name":"bob"}}}"""));
        Assert.False(rule.Matches("""{"user":{"name":"Alice"}}"""));
        var contains = Field("cmd|fieldref|contains", "'user'");
        Assert.True(contains.Matches("""{"cmd":"runas alice","user":"ALICE"}"""));
        var different = Field("a|fieldref|neq", "'b'");
        Assert.True(different.Matches("""{"a":"x","b":"y"}"""));
    }

    [Fact]
    public void Expand_replaces_placeholders_from_configuration()
    {
        var configuration = new SigmaConfiguration
        {
            Placeholders = new Dictionary<string, IReadOnlyList<string>> { ["Administrators"] = ["admin", "root*"] },
        };
        var rule = Detection("""
            selection:
              user|expand: '%Administrators%'
            """, configuration: configuration);
        Assert.True(On2(rule, "ADMIN"));
        Assert.True(On2(rule, "root-backup"));
        Assert.False(On2(rule, "alice"));

        // Without |expand the placeholder is a literal; an escaped percent stays plain.
        Assert.True(Field("user", "'%Administrators%'").Matches("""{"user":"%Administrators%"}"""));
        var escaped = Detection("""
            selection:
              user|expand: '\%plain%Administrators%'
            """, configuration: configuration);
        Assert.True(escaped.Matches("""{"user":"%plainadmin"}"""));

        var unknown = LoadFailure("""
            title: t
            detection:
              selection:
                user|expand: '%Nope%'
              condition: selection
            """);
        Assert.Contains("unknown placeholder", unknown, StringComparison.Ordinal);

        static bool On2(SigmaRule r, string v) => r.Matches($$"""{"user":"{{v}}"}""");
    }

    [Fact]
    public void Unsupported_modifier_is_reported()
    {
        var reason = LoadFailure("""
            title: t
            detection:
              selection:
                f|frobnicate: x
              condition: selection
            """);
        Assert.Contains("unsupported modifier 'frobnicate'", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Field_mappings_per_log_source_and_strict_unknown_fields()
    {
        var configuration = new SigmaConfiguration
        {
            FieldMappings =
            [
                new FieldMapping(new SigmaLogSource(null, "konfido", null),
                    new Dictionary<string, IReadOnlyList<string>> { ["User"] = ["user.name"], ["Ip"] = ["source.ip", "client.ip"] },
                    Strict: true),
            ],
        };
        var rule = Rule("""
            title: t
            logsource:
              product: konfido
            detection:
              selection:
                User: alice
                Ip: 10.0.0.1
              condition: selection
            """, configuration);
        Assert.True(rule.Matches("""{"user":{"name":"alice"},"client":{"ip":"10.0.0.1"}}"""));
        Assert.False(rule.Matches("""{"User":"alice","Ip":"10.0.0.1"}"""));

        var set = Load("""
            title: t
            logsource:
              product: konfido
            detection:
              selection:
                Unmapped: x
              condition: selection
            """, configuration);
        Assert.Contains("unknown field mapping", set.Report.Single().Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_configuration_is_refused_with_every_reason()
    {
        var configuration = new SigmaConfiguration
        {
            Placeholders = new Dictionary<string, IReadOnlyList<string>> { ["%bad%"] = [] },
        };
        var ex = Assert.Throws<ArgumentException>(() => new SigmaRuleLoader(configuration));
        Assert.Contains("without '%'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("at least one value", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Log_source_conditions_restrict_rules_to_their_events()
    {
        var configuration = new SigmaConfiguration
        {
            LogSourceConditions = [new LogSourceCondition(new SigmaLogSource(null, "linux", null), new Dictionary<string, string> { ["event.module"] = "syslog" })],
        };
        var rule = Rule("""
            title: t
            logsource:
              product: linux
            detection:
              keywords:
                - 'session opened'
              condition: keywords
            """, configuration);
        Assert.True(rule.Matches("""{"event":{"module":"syslog"},"message":"session opened for root"}"""));
        Assert.False(rule.Matches("""{"event":{"module":"cef"},"message":"session opened for root"}"""));
    }
}
