using Konfido.Fuzzing;
using Konfido.Fuzzing.Targets;
using Konfido.Policy.Rules;
using Konfido.Siem.Events;
using Konfido.Siem.Parsing;
using Konfido.Siem.Sigma;

namespace Konfido.Fuzz.Tests;

/// <summary>
/// Regression tests for the bugs the fuzzer found, each with its minimised reproducer: they failed before the fix.
/// </summary>
public sealed class FoundBugsTests
{
    // YamlDotNet throws InvalidOperationException (not YamlException) from its scanner/parser on these inputs; the
    // Sigma loader and the policy loader let it escape instead of reporting a bad file.
    public static TheoryData<string> YamlScannerCrashes => ["...\n:", "...\nn", ": [\ns", "\0: d"];

    [Theory]
    [MemberData(nameof(YamlScannerCrashes))]
    public void Sigma_loader_reports_yaml_that_crashes_the_yaml_scanner(string yaml)
    {
        var set = new SigmaRuleLoader().AddText(yaml, "bad.yml").Build();
        Assert.Equal(0, set.LoadedCount);
        var report = Assert.Single(set.Report);
        Assert.False(report.Loaded);
        Assert.StartsWith("bad YAML", report.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(YamlScannerCrashes))]
    public void Policy_loader_reports_yaml_that_crashes_the_yaml_scanner(string yaml)
    {
        var result = CountryPolicyLoader.Load(yaml, "bad.yaml");
        Assert.False(result.Succeeded);
        Assert.Contains("YAML syntax error", Assert.Single(result.Errors).Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(YamlScannerCrashes))]
    public void Rule_variants_refuse_yaml_that_crashes_the_yaml_scanner(string yaml) =>
        Assert.Throws<FormatException>(() => RuleVariants.Generate(yaml, 1));

    // EventObject read every JSON integer as a double (the conditional "TryGetInt64(out l) ? l : GetDouble()" has
    // type double), so integers above 2^53 changed value: found as an event whose JSON did not parse back the same.
    [Theory]
    [InlineData(9223372036854775L)]
    [InlineData(9007199254740993L)]
    [InlineData(long.MaxValue)]
    public void Event_json_keeps_integers_exact(long value)
    {
        var json = $"{{\"source\":{{\"port\":{value}}},\"list\":[{value}]}}";
        var parsed = EventObject.ParseJson(json);
        Assert.Equal(value, parsed.TryGet("source.port", out var port) ? port : null);
        Assert.IsType<long>(port);
        Assert.Equal(json, parsed.ToJson());
    }

    [Fact]
    public void Syslog_line_with_a_large_port_round_trips_through_event_json()
    {
        var target = new LogLineTarget(LogFormat.Auto);
        Assert.Equal(FuzzOutcome.Accepted, target.Run("Mar  2 08:00:00 sshd: Failed password for port 9223372036854775"u8.ToArray()).Outcome);
    }
}

/// <summary>Attestation quotes with a PCR value but no PCR index parsed, and lost the value when written again.</summary>
public sealed class FoundQuoteBugsTests
{
    [Theory]
    [InlineData("{\"format\":\"\",\"measurement\":\"BQU=\",\"nonce\":\"\",\"evidence\":\"BwcH\",\"signature\":\"CAgI\",\"pcr_value\":\"CQkJ\"}")]
    [InlineData("{\"format\":\"tpm2-quote-v1\",\"measurement\":\"\",\"nonce\":\"\",\"evidence\":\"\",\"signature\":\"\",\"pcr\":-3,\"pcr_value\":\"CQkJ\"}")]
    [InlineData("{\"format\":\"tpm2-quote-v1\",\"measurement\":\"\",\"nonce\":\"\",\"evidence\":\"\",\"signature\":\"\",\"pcr\":16}")]
    public void Quotes_with_half_a_pcr_are_refused(string json)
    {
        Assert.False(Konfido.Custody.Attestation.AttestationQuote.TryParseJson(json, out var quote, out var reason));
        Assert.Null(quote);
        Assert.Contains("pcr", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tpm_quote_with_its_pcr_still_parses()
    {
        var json = "{\"format\":\"tpm2-quote-v1\",\"measurement\":\"AA==\",\"nonce\":\"AQ==\",\"evidence\":\"Ag==\",\"signature\":\"Aw==\",\"pcr\":16,\"pcr_value\":\"BA==\"}";
        Assert.True(Konfido.Custody.Attestation.AttestationQuote.TryParseJson(json, out var quote, out _));
        Assert.Equal(16, quote!.Pcr);
        Assert.Equal(json, quote.ToJson());
    }
}

/// <summary>
/// ATNA messages went to XDocument.Load, whose time grows with the square of the nesting depth: a 256 KB line of
/// nested elements (found as a hang in siem-auto) took 9 s. Such documents are now refused before loading.
/// </summary>
public sealed class FoundAtnaBugsTests
{
    [Fact]
    public void Deeply_nested_atna_is_refused_without_building_the_tree()
    {
        var parser = new LogParser(LogFormat.Auto, new PatientPseudonymiser(new byte[32]));
        var deep = string.Concat(Enumerable.Repeat("<a>", 20_000)) + string.Concat(Enumerable.Repeat("</a>", 20_000));
        var e = parser.Parse(deep);
        Assert.True(LogParser.IsError(e));
        Assert.Contains("nested deeper", e.GetString("error.message"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_normal_atna_message_with_many_elements_still_parses()
    {
        var parser = new LogParser(LogFormat.Atna, new PatientPseudonymiser(new byte[32]));
        var participants = string.Concat(Enumerable.Range(0, 60).Select(i => $"<ActiveParticipant UserID=\"u{i}\" UserIsRequestor=\"false\"/>"));
        var xml = "<AuditMessage><EventIdentification EventActionCode=\"R\" EventDateTime=\"2026-03-02T09:00:00Z\" EventOutcomeIndicator=\"0\"><EventID csd-code=\"110110\" codeSystemName=\"DCM\"/></EventIdentification>"
            + participants + "<AuditSourceIdentification AuditSourceID=\"NCP-DK\"/></AuditMessage>";
        var e = parser.Parse(xml);
        Assert.False(LogParser.IsError(e), e.GetString("error.message"));
        Assert.Equal("atna", e.GetString("event.module"));
    }
}

/// <summary>
/// Checkpoints accepted a root hash in non-canonical base64 (unused trailing bits set), so one checkpoint had several
/// texts: found as a checkpoint that re-serialised to a different text.
/// </summary>
public sealed class FoundCheckpointBugsTests
{
    [Fact]
    public void A_root_in_non_canonical_base64_is_refused()
    {
        // Minimised reproducer: the last character before '=' is '6' where the canonical encoding has '4'.
        Assert.False(Konfido.Ledger.Notes.Checkpoint.TryParse("e\n1\nqsurq6urq6urq6urq6urq6urq6urq6urq6urq6urq66=\n", out _, out var error));
        Assert.Contains("canonical", error, StringComparison.Ordinal);
        Assert.True(Konfido.Ledger.Notes.Checkpoint.TryParse("e\n1\nqsurq6urq6urq6urq6urq6urq6urq6urq6urq6urq64=\n", out var checkpoint, out _));
        Assert.Equal("e\n1\nqsurq6urq6urq6urq6urq6urq6urq6urq6urq6urq64=\n", checkpoint.ToText());
    }
}

/// <summary>
/// An HE program with an identifier longer than 64 characters: the tokenizer accepted it and the program builder
/// threw ArgumentException out of HeProgramParser.Parse, whose documented failure is HeSyntaxException.
/// </summary>
public sealed class FoundHeProgramBugsTests
{
    [Fact]
    public void An_over_long_identifier_is_a_syntax_error_with_its_position()
    {
        var name = "dk" + new string('9', 70) + "int";
        var ex = Assert.Throws<Konfido.He.Compiler.HeSyntaxException>(() => Konfido.He.Compiler.HeProgramParser.Parse($"slots 1\nsecret {name} in[0,1]\n"));
        Assert.Equal(2, ex.Line);
        Assert.Equal(8, ex.Column);
        Assert.NotNull(Konfido.He.Compiler.HeProgramParser.Parse($"slots 1\nsecret {new string('x', 64)} in[0,1]\noutput y = {new string('x', 64)}\n"));
    }
}

/// <summary>
/// HE program expressions nested thousands deep (<c>sum(sum(...))</c>, found 6,092 deep) overflowed the parser's
/// stack and killed the process. Nesting is now bounded; long flat expressions still parse and compile.
/// </summary>
public sealed class FoundHeNestingBugsTests
{
    [Theory]
    [InlineData("sum(", ")")]
    [InlineData("(", ")")]
    [InlineData("-(", ")")]
    [InlineData("- ", "")]
    public void Deep_nesting_is_a_syntax_error(string open, string close)
    {
        var expression = string.Concat(Enumerable.Repeat(open, 10_000)) + "x" + string.Concat(Enumerable.Repeat(close, 10_000));
        var ex = Assert.Throws<Konfido.He.Compiler.HeSyntaxException>(() => Konfido.He.Compiler.HeProgramParser.Parse($"slots 4\nsecret x in [0, 1]\noutput y = {expression}\n"));
        Assert.Contains("nested deeper", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_trees_from_long_chains_and_chained_lets_are_syntax_errors()
    {
        // Found after the nesting bound: 60,000 terms overflowed the stack of the program printer.
        var sum = string.Join("+", Enumerable.Repeat("x", 60_000));
        Assert.Throws<Konfido.He.Compiler.HeSyntaxException>(() => Konfido.He.Compiler.HeProgramParser.Parse($"slots 4\nsecret x in [0, 1]\noutput y = {sum}\n"));
        var lets = "slots 4\nsecret x in [0, 1]\nlet a0 = x\n" + string.Concat(Enumerable.Range(1, 5000).Select(i => $"let a{i} = a{i - 1} * 1 + x\n")) + "output y = a5000\n";
        Assert.Throws<Konfido.He.Compiler.HeSyntaxException>(() => Konfido.He.Compiler.HeProgramParser.Parse(lets));
    }

    [Fact]
    public void A_sum_of_four_hundred_terms_still_parses_prints_and_compiles()
    {
        var sum = string.Join(" + ", Enumerable.Repeat("x", 400));
        var program = Konfido.He.Compiler.HeProgramParser.Parse($"slots 4\nsecret x in [0, 1]\noutput y = {sum}\n");
        Assert.Equal(program.ToSource(), Konfido.He.Compiler.HeProgramParser.Parse(program.ToSource()).ToSource());
        Assert.NotNull(Konfido.He.Compiler.HeCompiler.Compile(program));
    }

    [Fact]
    public void Nesting_within_the_bound_still_parses()
    {
        var expression = string.Concat(Enumerable.Repeat("(", 200)) + "x" + string.Concat(Enumerable.Repeat(")", 200));
        Assert.NotNull(Konfido.He.Compiler.HeProgramParser.Parse($"slots 4\nsecret x in [0, 1]\noutput y = {expression}\n"));
    }
}

/// <summary>Bugs found by the second run (seed 2, 15 s per target).</summary>
public sealed class FoundSecondRunBugsTests
{
    // Firely's JSON deserialiser threw IndexOutOfRangeException out of FhirJson.Parse (documented: FhirFormatException).
    [Fact]
    public void Fhir_wire_parser_reports_a_firely_index_out_of_range_as_a_format_error()
    {
        var reproducer = "{\"resourceType\":\"\",\"\":\"it\":{\"ng\":\":\"},\"n\":\"20\",\"r\":{\"\":{"u8.ToArray();
        Assert.Throws<Konfido.Exchange.FhirFormatException>(() => Konfido.Exchange.FhirJson.Parse<Hl7.Fhir.Model.MedicationRequest>(reproducer));
        Assert.Equal(FuzzOutcome.Rejected, new FhirMedicationTarget().Run(reproducer).Outcome);
    }

    // YamlDotNet's representation model recursed once per nested collection: thousands of nested flow sequences
    // overflowed the stack and killed the process (sigma-rules).
    public static TheoryData<string> DeepYaml =>
    [
        "title: x\ndetection: " + new string('[', 20_000) + new string(']', 20_000) + "\n",
        "x: " + string.Concat(Enumerable.Repeat("{a: ", 20_000)) + "1" + new string('}', 20_000) + "\n",
    ];

    [Theory]
    [MemberData(nameof(DeepYaml))]
    public void Sigma_loader_refuses_deeply_nested_yaml(string yaml)
    {
        var set = new SigmaRuleLoader().AddText(yaml, "deep.yml").Build();
        Assert.Contains("nested deeper", Assert.Single(set.Report).Reason, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => RuleVariants.Generate(yaml, 1));
    }

    [Theory]
    [MemberData(nameof(DeepYaml))]
    public void Policy_loader_refuses_deeply_nested_yaml(string yaml) =>
        Assert.Contains("nested deeper", Assert.Single(CountryPolicyLoader.Load(yaml, "deep.yaml").Errors).Message, StringComparison.Ordinal);

    [Fact]
    public void Bundled_rules_and_policies_still_load()
    {
        Assert.All(Konfido.Siem.BundledRules.Load().Report, r => Assert.True(r.Loaded, r.Reason));
        Assert.All(ExamplePolicies.Countries, c => Assert.True(CountryPolicyLoader.Load(ExamplePolicies.Text(c), "p.yaml").Succeeded));
    }
}

/// <summary>Bugs found by the third run (seed 2 again, after the fixes).</summary>
public sealed class FoundThirdRunBugsTests
{
    // An entry length near int.MaxValue overflowed "offset + length" and the slice threw ArgumentOutOfRangeException.
    [Fact]
    public void He_bundle_with_a_huge_entry_length_is_a_format_error()
    {
        byte[] reproducer = [0x4b, 0x48, 0x45, 0x42, 0x01, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x7f];
        Assert.Throws<Konfido.He.Serialization.HeFormatException>(() => Konfido.He.Compiler.Runtime.HeBundle.Deserialize(reproducer));
    }

    // A tree of the largest accepted depth printed to source nested deeper than the parser accepted (-(...) adds two
    // levels per operation): the printed program did not parse back.
    [Fact]
    public void The_deepest_accepted_program_prints_to_source_that_parses_back()
    {
        var expression = "x";
        for (var i = 0; i < 240; i++)
        {
            expression = $"-({expression} + x)";
        }

        var program = Konfido.He.Compiler.HeProgramParser.Parse($"slots 4\nsecret x in [0, 1]\noutput y = {expression}\n");
        var printed = program.ToSource();
        Assert.Equal(printed, Konfido.He.Compiler.HeProgramParser.Parse(printed).ToSource());
    }
}
