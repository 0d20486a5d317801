using Konfido.Core;
using Konfido.Policy.Rules;

namespace Konfido.Policy.Tests;

public sealed class PolicyLoaderTests
{
    private const string Valid = """
        country: DK
        version: "1"
        consent_model: opt-in
        accepted_requesting_countries: [ES]
        accepted_purposes: [TREATMENT, EMERGENCY]
        rules:
          - id: r1
            transactions: [patient-summary]
            roles: [doctor]
            purposes: [TREATMENT]
            min_loa: substantial
        """;

    private static PolicyFileError SingleError(string yaml)
    {
        var result = CountryPolicyLoader.Load(yaml, "test.yaml");
        Assert.False(result.Succeeded);
        Assert.Null(result.Policy);
        return Assert.Single(result.Errors);
    }

    [Theory]
    [InlineData("DK")]
    [InlineData("ES")]
    [InlineData("IT")]
    public void Bundled_policies_load(string country)
    {
        var policy = ExamplePolicies.Load(CountryCode.Parse(country));
        Assert.Equal(country, policy.Country.Value);
        Assert.NotEmpty(policy.Rules);
        Assert.NotEmpty(policy.Retention);
    }

    [Fact]
    public void Valid_minimal_policy_loads_with_defaults()
    {
        var result = CountryPolicyLoader.Load(Valid, "test.yaml");
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var policy = result.Policy!;
        Assert.True(policy.RequireTrc);
        Assert.False(policy.BreakTheGlass.Allowed);
        Assert.Equal("r1", policy.FindRule(TransactionType.PatientSummary, HcpRole.Doctor, PurposeOfUse.Treatment)!.Id);
        Assert.Null(policy.FindRule(TransactionType.PatientSummary, HcpRole.Nurse, PurposeOfUse.Treatment));
        Assert.Equal(7, policy.Rules[0].Line);
    }

    [Fact]
    public void Unknown_role_is_reported_at_its_line_and_column()
    {
        var error = SingleError(Valid.Replace("roles: [doctor]", "roles: [doctor, surgeon]", StringComparison.Ordinal));
        Assert.Equal((9, 21), (error.Line, error.Column));
        Assert.Contains("unknown role 'surgeon'", error.Message, StringComparison.Ordinal);
        Assert.Equal("test.yaml:9:21: " + error.Message, error.ToString());
    }

    [Fact]
    public void Unknown_purpose_is_reported_at_its_line()
    {
        var error = SingleError(Valid.Replace("purposes: [TREATMENT]", "purposes: [RESEARCH]", StringComparison.Ordinal));
        Assert.Equal((10, 16), (error.Line, error.Column));
        Assert.Contains("unknown purpose 'RESEARCH'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_transaction_is_reported_at_its_line()
    {
        var error = SingleError(Valid.Replace("transactions: [patient-summary]", "transactions: [lab-results]", StringComparison.Ordinal));
        Assert.Equal((8, 20), (error.Line, error.Column));
        Assert.Contains("unknown transaction 'lab-results'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_level_of_assurance_is_reported_at_its_line()
    {
        var error = SingleError(Valid.Replace("min_loa: substantial", "min_loa: medium", StringComparison.Ordinal));
        Assert.Equal((11, 14), (error.Line, error.Column));
        Assert.Contains("bad level of assurance 'medium'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_rule_id_is_reported_at_the_second_definition()
    {
        var yaml = Valid + """

              - id: r1
                transactions: [discovery]
                roles: [nurse]
                purposes: [TREATMENT]
                min_loa: low
            """;
        var error = SingleError(yaml);
        Assert.Equal((12, 9), (error.Line, error.Column));
        Assert.Contains("duplicate rule id 'r1' (first defined at line 7)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_key_missing_field_and_bad_country_are_all_reported()
    {
        var yaml = Valid
            .Replace("country: DK", "country: Denmark", StringComparison.Ordinal)
            .Replace("consent_model: opt-in", "consent_modle: opt-in", StringComparison.Ordinal);
        var result = CountryPolicyLoader.Load(yaml, "test.yaml");
        Assert.False(result.Succeeded);
        Assert.Contains(result.Errors, e => e.Line == 1 && e.Message.Contains("'Denmark' is not a two-letter country code", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Line == 3 && e.Column == 1 && e.Message.Contains("unknown key 'consent_modle'", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Message.Contains("missing 'consent_model'", StringComparison.Ordinal));
    }

    [Fact]
    public void Yaml_syntax_error_is_reported_with_its_position()
    {
        var error = SingleError("country: DK\nrules: [unclosed\n");
        Assert.Contains("YAML syntax error", error.Message, StringComparison.Ordinal);
        Assert.True(error.Line >= 2);
    }

    [Fact]
    public void Duplicate_yaml_key_is_rejected()
    {
        var error = SingleError(Valid + "\ncountry: ES\n");
        Assert.Equal(12, error.Line);
        Assert.Contains("duplicate key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rule_purpose_outside_accepted_purposes_is_an_error()
    {
        var error = SingleError(Valid.Replace("accepted_purposes: [TREATMENT, EMERGENCY]", "accepted_purposes: [EMERGENCY]", StringComparison.Ordinal));
        Assert.Contains("not in accepted_purposes", error.Message, StringComparison.Ordinal);
        Assert.Equal(10, error.Line);
    }

    [Fact]
    public void Break_the_glass_with_unknown_role_is_an_error()
    {
        var error = SingleError(Valid + "\nbreak_the_glass:\n  allowed: true\n  roles: [janitor]\n  transactions: [patient-summary]\n");
        Assert.Contains("unknown role 'janitor'", error.Message, StringComparison.Ordinal);
        Assert.Equal((14, 11), (error.Line, error.Column));
    }

    [Fact]
    public void Empty_file_and_non_mapping_are_errors()
    {
        Assert.Contains("empty", SingleError("").Message, StringComparison.Ordinal);
        Assert.Contains("must be a mapping", SingleError("- a\n- b\n").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Retention_needs_a_period_and_a_basis()
    {
        var result = CountryPolicyLoader.Load(Valid + "\nretention:\n  - data: prescriptions\n    years: many\n  - data: x\n    days: 3\n", "test.yaml");
        Assert.Contains(result.Errors, e => e.Line == 14 && e.Message.Contains("whole number", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Line == 15 && e.Message.Contains("missing 'basis'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Repository_keeps_the_last_good_policy_when_a_reload_fails()
    {
        var events = new InMemorySecurityEventSink();
        var repository = new PolicyRepository(events, "DK");
        Assert.True((await repository.LoadAsync(Valid, "dk.yaml")).Succeeded);
        var good = repository.Get(Fixtures.DK);
        Assert.NotNull(good);

        var broken = await repository.LoadAsync(Valid.Replace("version: \"1\"", "version: \"2\"", StringComparison.Ordinal).Replace("min_loa: substantial", "min_loa: extreme", StringComparison.Ordinal), "dk.yaml");
        Assert.False(broken.Succeeded);
        Assert.Equal(11, broken.Errors[0].Line);
        Assert.Same(good, repository.Get(Fixtures.DK));
        Assert.Equal("1", repository.Get(Fixtures.DK)!.Version);

        var fixedResult = await repository.LoadAsync(Valid.Replace("version: \"1\"", "version: \"3\"", StringComparison.Ordinal), "dk.yaml");
        Assert.True(fixedResult.Succeeded);
        Assert.Equal("3", repository.Get(Fixtures.DK)!.Version);

        var loads = events.Events.Where(e => e.Action == "policy-load").ToArray();
        Assert.Equal([EventOutcome.Success, EventOutcome.Failure, EventOutcome.Success], loads.Select(e => e.Outcome));
        Assert.Contains("dk.yaml:11:", loads[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Repository_loads_a_directory_and_reports_each_file()
    {
        using var dir = new Konfido.Testing.TemporaryDirectory();
        foreach (var country in ExamplePolicies.Countries)
        {
            await File.WriteAllTextAsync(dir.File($"{country.Value.ToLowerInvariant()}.yaml"), ExamplePolicies.Text(country));
        }

        await File.WriteAllTextAsync(dir.File("zz.yaml"), "country: [");
        var repository = new PolicyRepository();
        var results = await repository.LoadDirectoryAsync(dir.Path);
        Assert.Equal([true, true, true, false], results.Select(r => r.Succeeded));
        Assert.Equal("zz.yaml", results[3].Errors[0].Source);
        Assert.Equal(3, repository.Countries.Count);
    }
}
