using BenchmarkDotNet.Attributes;
using Konfido.Core;
using Konfido.Policy;
using Konfido.Policy.Consent;
using Konfido.Policy.Decisions;
using Konfido.Policy.Rules;

namespace Konfido.Policy.Benchmarks;

/// <summary>
/// One cross-border decision: the compiled engine alone, consent resolution plus engine over
/// Consents patient consents, and the full decision point (FHIR consent read from the in-memory
/// store, decision event, no break-the-glass).
/// </summary>
[MemoryDiagnoser]
public class DecisionBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private CountryPolicy _policy = null!;
    private AccessRequest _request = null!;
    private AccessRequestAttributes _attributes = null!;
    private ConsentTerms[] _consents = [];
    private ConsentResolution _resolved = null!;
    private PolicyDecisionPoint _pdp = null!;
    private string _policyText = string.Empty;

    /// <summary>The home country's policy.</summary>
    [Params("DK", "ES")]
    public string Country { get; set; } = "DK";

    /// <summary>How many consents the patient has (all but one expired, the last a permit).</summary>
    [Params(1, 10)]
    public int Consents { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        var home = CountryCode.Parse(Country);
        _policy = ExamplePolicies.Load(home);
        _policyText = ExamplePolicies.Text(home);
        _attributes = new AccessRequestAttributes("hcp-1", "221", "Hospital", "TREATMENT", "substantial", "patient-summary",
            Country == "DK" ? "ES" : "DK", Country, "P-1", "P-1", "TREATMENT", Now);
        _request = AccessRequest.Create(_attributes).Request!;
        _consents = Enumerable.Range(0, Consents).Select(i => new ConsentTerms
        {
            Id = $"c{i}",
            PatientId = "P-1",
            Active = true,
            Effect = ConsentEffect.Permit,
            Purposes = new HashSet<PurposeOfUse> { PurposeOfUse.Treatment },
            ValidFrom = Now.AddYears(-2),
            ValidUntil = i == Consents - 1 ? null : Now.AddYears(-1),
        }).ToArray();
        _resolved = ConsentResolver.Resolve(_consents, _request.Purpose, _request.RequestingCountry, Now);

        var events = new NullSink();
        var policies = new PolicyRepository();
        await policies.LoadAsync(_policyText, "bench.yaml");
        var store = new InMemoryConsentStore();
        foreach (var consent in _consents)
        {
            await store.SaveAsync(ConsentDocument.Create(consent));
        }

        var registry = new ConsentRegistry(store, events, home);
        var reviews = new BreakTheGlassReviewQueue($"Data Source=bench-{Guid.NewGuid():N};Mode=Memory;Cache=Shared");
        _pdp = new PolicyDecisionPoint(policies, registry, reviews, events, home);
    }

    [Benchmark(Baseline = true)]
    public AccessDecision Evaluate() => AccessPolicyEngine.Evaluate(_policy, _request, _resolved);

    [Benchmark]
    public AccessDecision ResolveAndEvaluate() =>
        AccessPolicyEngine.Evaluate(_policy, _request, ConsentResolver.Resolve(_consents, _request.Purpose, _request.RequestingCountry, Now));

    [Benchmark]
    public AccessDecision ValidateResolveAndEvaluate() =>
        AccessPolicyEngine.Evaluate(_policy, AccessRequest.Create(_attributes).Request!, ConsentResolver.Resolve(_consents, _request.Purpose, _request.RequestingCountry, Now));

    [Benchmark]
    public Task<AccessDecision> DecisionPoint() => _pdp.DecideAsync(_attributes);

    [Benchmark]
    public CountryPolicy? LoadPolicyFile() => CountryPolicyLoader.Load(_policyText, "bench.yaml").Policy;

    private sealed class NullSink : ISecurityEventSink
    {
        public ValueTask PublishAsync(SecurityEvent securityEvent, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
