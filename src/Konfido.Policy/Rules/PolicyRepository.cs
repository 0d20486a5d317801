using System.Collections.Immutable;
using Konfido.Core;

namespace Konfido.Policy.Rules;

/// <summary>
/// The policies in force, one per country. A (re)load that fails leaves the last good policy of
/// that country in force and reports the errors (and a <c>policy-load</c> security event).
/// Thread-safe: readers see either the old or the new policy, never a mix.
/// </summary>
public sealed class PolicyRepository
{
    private ImmutableDictionary<CountryCode, CountryPolicy> _policies = ImmutableDictionary<CountryCode, CountryPolicy>.Empty;
    private readonly ISecurityEventSink? _events;
    private readonly string _node;

    /// <summary>Creates an empty repository.</summary>
    /// <param name="events">Receives <c>policy-load</c> events, if given.</param>
    /// <param name="node">The node's country code, for events.</param>
    public PolicyRepository(ISecurityEventSink? events = null, string node = "--")
    {
        _events = events;
        _node = node ?? "--";
    }

    /// <summary>The countries with a policy in force.</summary>
    public IReadOnlyCollection<CountryCode> Countries => Volatile.Read(ref _policies).Keys.ToArray();

    /// <summary>The policy in force for <paramref name="country"/>, or null.</summary>
    public CountryPolicy? Get(CountryCode country) =>
        Volatile.Read(ref _policies).TryGetValue(country, out var policy) ? policy : null;

    /// <summary>
    /// Loads policy text; on success it replaces the country's policy, on failure the previous one
    /// stays in force. Requires non-null arguments.
    /// </summary>
    /// <param name="yaml">The policy file text.</param>
    /// <param name="source">Its name, for error messages.</param>
    /// <param name="cancellationToken">Cancels the event hand-over.</param>
    public async Task<PolicyLoadResult> LoadAsync(string yaml, string source, CancellationToken cancellationToken = default)
    {
        var result = CountryPolicyLoader.Load(yaml, source);
        await ApplyAsync(result, source, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>Loads a policy file from disk (see <see cref="LoadAsync"/>).</summary>
    public async Task<PolicyLoadResult> LoadFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var result = CountryPolicyLoader.LoadFile(path);
        await ApplyAsync(result, Path.GetFileName(path), cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>Loads every <c>*.yaml</c>/<c>*.yml</c> file of a directory, in name order; returns each result.</summary>
    public async Task<IReadOnlyList<PolicyLoadResult>> LoadDirectoryAsync(string directory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var results = new List<PolicyLoadResult>();
        var files = Directory.EnumerateFiles(directory, "*.yaml").Concat(Directory.EnumerateFiles(directory, "*.yml")).Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            results.Add(await LoadFileAsync(file, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    private async Task ApplyAsync(PolicyLoadResult result, string source, CancellationToken cancellationToken)
    {
        if (result.Policy is { } policy)
        {
            ImmutableInterlocked.Update(ref _policies, (map, p) => map.SetItem(p.Country, p), policy);
        }

        if (_events is null)
        {
            return;
        }

        var attributes = new Dictionary<string, string> { ["policy.source"] = source };
        if (result.Policy is { } loaded)
        {
            attributes["policy.country"] = loaded.Country.Value;
            attributes["policy.version"] = loaded.Version;
        }

        await _events.PublishAsync(new SecurityEvent
        {
            Node = _node,
            Category = EventCategories.Policy,
            Action = "policy-load",
            Outcome = result.Succeeded ? EventOutcome.Success : EventOutcome.Failure,
            Reason = result.Succeeded ? null : $"{result.Errors.Count} error(s), last good policy kept; first: {result.Errors[0]}",
            Attributes = attributes,
        }, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The example country policies bundled with the library (DK opt-in, ES opt-out, IT opt-in without break-the-glass).</summary>
public static class ExamplePolicies
{
    /// <summary>The countries with a bundled policy.</summary>
    public static IReadOnlyList<CountryCode> Countries { get; } = [CountryCode.Parse("DK"), CountryCode.Parse("ES"), CountryCode.Parse("IT")];

    /// <summary>The YAML text of the bundled policy of <paramref name="country"/>. Requires one of <see cref="Countries"/>.</summary>
    public static string Text(CountryCode country)
    {
        var name = $"Konfido.Policy.Policies.{country.Value.ToLowerInvariant()}.yaml";
        using var stream = typeof(ExamplePolicies).Assembly.GetManifestResourceStream(name)
            ?? throw new ArgumentException($"no bundled policy for {country}", nameof(country));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The compiled bundled policy of <paramref name="country"/>. Requires one of <see cref="Countries"/>.</summary>
    public static CountryPolicy Load(CountryCode country)
    {
        var result = CountryPolicyLoader.Load(Text(country), $"{country.Value.ToLowerInvariant()}.yaml");
        return result.Policy ?? throw new InvalidOperationException($"the bundled policy for {country} does not load: {result.Errors[0]}");
    }

    /// <summary>Loads every bundled policy into <paramref name="repository"/>.</summary>
    public static async Task LoadAllAsync(PolicyRepository repository, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        foreach (var country in Countries)
        {
            await repository.LoadAsync(Text(country), $"{country.Value.ToLowerInvariant()}.yaml", cancellationToken).ConfigureAwait(false);
        }
    }
}
