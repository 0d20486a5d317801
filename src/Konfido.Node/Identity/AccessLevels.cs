using Konfido.Eid.Saml;
using Konfido.Exchange;

namespace Konfido.Node;

/// <summary>The lowest eIDAS level of assurance country A accepts for each transaction.</summary>
public sealed class AccessLevels
{
    private readonly Dictionary<ExchangeTransaction, LevelOfAssurance> _levels;

    /// <summary>Creates the table: <paramref name="minimum"/> for every transaction, raised by <paramref name="overrides"/>.</summary>
    /// <param name="minimum">The floor for every transaction.</param>
    /// <param name="overrides">Stricter levels for some transactions, or null.</param>
    public AccessLevels(LevelOfAssurance minimum, IReadOnlyDictionary<ExchangeTransaction, LevelOfAssurance>? overrides = null)
    {
        _levels = Enum.GetValues<ExchangeTransaction>().ToDictionary(t => t, _ => minimum);
        foreach (var (transaction, level) in overrides ?? new Dictionary<ExchangeTransaction, LevelOfAssurance>())
        {
            _levels[transaction] = level > minimum ? level : minimum;
        }
    }

    /// <summary>Substantial for every transaction: the eHDSI default.</summary>
    public static AccessLevels Default { get; } = new(LevelOfAssurance.Substantial);

    /// <summary>The level <paramref name="transaction"/> requires.</summary>
    public LevelOfAssurance For(ExchangeTransaction transaction) => _levels[transaction];

    /// <summary>Reads the levels of <paramref name="settings"/>.</summary>
    /// <param name="settings">Validated eID settings, or null for <see cref="Default"/>.</param>
    public static AccessLevels From(EidSettings? settings) =>
        settings is null
            ? Default
            : new AccessLevels(Parse(settings.MinimumLevel, "eid.minimumLevel", "config"),
                (settings.Levels ?? []).ToDictionary(kv => Enum.Parse<ExchangeTransaction>(kv.Key), kv => Parse(kv.Value, $"eid.levels.{kv.Key}", "config")));

    /// <summary>Parses <c>low</c>, <c>substantial</c>, <c>high</c> or the full eIDAS URI.</summary>
    /// <exception cref="NodeConfigurationException">Anything else.</exception>
    public static LevelOfAssurance Parse(string? value, string field, string source) =>
        value?.Trim().ToLowerInvariant() switch
        {
            "low" => LevelOfAssurance.Low,
            "substantial" => LevelOfAssurance.Substantial,
            "high" => LevelOfAssurance.High,
            _ => LevelsOfAssurance.FromUri(value)
                ?? throw new NodeConfigurationException($"{source}: '{field}' must be low, substantial or high (or the eIDAS LoA URI), got '{value}'"),
        };
}
