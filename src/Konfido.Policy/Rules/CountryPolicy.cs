using Konfido.Core;

namespace Konfido.Policy.Rules;

/// <summary>How a country treats the absence of a consent record.</summary>
public enum ConsentModel
{
    /// <summary>Access needs an explicit, valid permit (the patient opted in).</summary>
    OptIn,

    /// <summary>Access is allowed unless the patient recorded a refusal (opt-out).</summary>
    OptOut,

    /// <summary>Consent is not consulted (e.g. for patient discovery).</summary>
    NotRequired,
}

/// <summary>One access rule of a country policy after compilation.</summary>
/// <param name="Id">The rule id from the policy file.</param>
/// <param name="MinimumLoa">The lowest level of assurance the rule accepts.</param>
/// <param name="Consent">How consent is handled for requests this rule covers.</param>
/// <param name="Line">The line of the rule in the policy file (1-based), for explanations.</param>
public sealed record PolicyRule(string Id, LevelOfAssurance MinimumLoa, ConsentModel Consent, int Line);

/// <summary>The break-the-glass section of a country policy.</summary>
/// <param name="Id">The rule id reported when break-the-glass fires.</param>
/// <param name="Allowed">Whether EMERGENCY access without consent is possible at all.</param>
/// <param name="MinimumLoa">The lowest level of assurance accepted for break-the-glass.</param>
/// <param name="OverridesRefusal">Whether break-the-glass also overrides an explicit refusal (deny consent).</param>
public sealed record BreakTheGlassRule(string Id, bool Allowed, LevelOfAssurance MinimumLoa, bool OverridesRefusal);

/// <summary>A retention obligation: data of a category must be kept for a period after it was created.</summary>
/// <param name="DataCategory">The data category (e.g. <c>prescriptions</c>).</param>
/// <param name="Period">How long it must be kept.</param>
/// <param name="LegalBasis">The law that requires it, quoted in refusals.</param>
public sealed record RetentionRule(string DataCategory, TimeSpan Period, string LegalBasis);

/// <summary>
/// A country's compiled access policy: the rules of its policy file turned into lookup tables so
/// that a decision is a handful of array reads. Immutable; build it with <see cref="CountryPolicyLoader"/>.
/// </summary>
public sealed class CountryPolicy
{
    internal static readonly int Transactions = Enum.GetValues<TransactionType>().Length;
    internal static readonly int Roles = Enum.GetValues<HcpRole>().Length;
    internal static readonly int Purposes = Enum.GetValues<PurposeOfUse>().Length;

    private readonly PolicyRule?[] _rules;          // [transaction, role, purpose]: first matching rule
    private readonly bool[] _breakTheGlass;         // [transaction, role]
    private readonly bool[] _purposes;              // [purpose]
    private readonly bool[] _requestingCountries;   // [26 * letter0 + letter1]

    internal CountryPolicy(
        CountryCode country,
        string version,
        string source,
        ConsentModel consentModel,
        bool requireTrc,
        IReadOnlyCollection<CountryCode> requestingCountries,
        IReadOnlyCollection<PurposeOfUse> purposes,
        PolicyRule?[] rules,
        IReadOnlyList<PolicyRule> ruleList,
        BreakTheGlassRule breakTheGlass,
        bool[] breakTheGlassTable,
        IReadOnlyList<RetentionRule> retention)
    {
        Country = country;
        Version = version;
        Source = source;
        ConsentModel = consentModel;
        RequireTrc = requireTrc;
        AcceptedRequestingCountries = requestingCountries;
        AcceptedPurposes = purposes;
        _rules = rules;
        Rules = ruleList;
        BreakTheGlass = breakTheGlass;
        _breakTheGlass = breakTheGlassTable;
        Retention = retention;
        _purposes = new bool[Purposes];
        foreach (var purpose in purposes)
        {
            _purposes[(int)purpose] = true;
        }

        _requestingCountries = new bool[26 * 26];
        foreach (var code in requestingCountries)
        {
            _requestingCountries[CountryIndex(code)] = true;
        }
    }

    /// <summary>The country whose policy this is (country A).</summary>
    public CountryCode Country { get; }

    /// <summary>The policy version from the file.</summary>
    public string Version { get; }

    /// <summary>Where the policy was loaded from (file name or resource).</summary>
    public string Source { get; }

    /// <summary>The default consent model (opt-in or opt-out).</summary>
    public ConsentModel ConsentModel { get; }

    /// <summary>Whether a TRC naming the patient and purpose is required (for every transaction but discovery).</summary>
    public bool RequireTrc { get; }

    /// <summary>The countries whose professionals may ask.</summary>
    public IReadOnlyCollection<CountryCode> AcceptedRequestingCountries { get; }

    /// <summary>The purposes of use accepted.</summary>
    public IReadOnlyCollection<PurposeOfUse> AcceptedPurposes { get; }

    /// <summary>The access rules in file order.</summary>
    public IReadOnlyList<PolicyRule> Rules { get; }

    /// <summary>The break-the-glass rule.</summary>
    public BreakTheGlassRule BreakTheGlass { get; }

    /// <summary>Retention obligations (legal holds against erasure).</summary>
    public IReadOnlyList<RetentionRule> Retention { get; }

    /// <summary>True if professionals of <paramref name="country"/> may ask.</summary>
    public bool AcceptsRequestingCountry(CountryCode country) =>
        country.Value is { Length: 2 } && _requestingCountries[CountryIndex(country)];

    /// <summary>True if <paramref name="purpose"/> is accepted.</summary>
    public bool AcceptsPurpose(PurposeOfUse purpose) => _purposes[(int)purpose];

    /// <summary>The first rule (in file order) that lets <paramref name="role"/> perform <paramref name="transaction"/> for <paramref name="purpose"/>, or null.</summary>
    public PolicyRule? FindRule(TransactionType transaction, HcpRole role, PurposeOfUse purpose) =>
        _rules[RuleIndex(transaction, role, purpose)];

    /// <summary>True if break-the-glass is allowed for <paramref name="role"/> performing <paramref name="transaction"/>.</summary>
    public bool AllowsBreakTheGlass(TransactionType transaction, HcpRole role) =>
        BreakTheGlass.Allowed && _breakTheGlass[((int)transaction * Roles) + (int)role];

    internal static int RuleIndex(TransactionType transaction, HcpRole role, PurposeOfUse purpose) =>
        (((int)transaction * Roles) + (int)role) * Purposes + (int)purpose;

    private static int CountryIndex(CountryCode code) => ((code.Value[0] - 'A') * 26) + (code.Value[1] - 'A');
}
