namespace Konfido.Eid.Saml;

/// <summary>The eIDAS levels of assurance (Implementing Regulation (EU) 2015/1502), ordered.</summary>
public enum LevelOfAssurance
{
    /// <summary><c>http://eidas.europa.eu/LoA/low</c>.</summary>
    Low = 1,

    /// <summary><c>http://eidas.europa.eu/LoA/substantial</c>.</summary>
    Substantial = 2,

    /// <summary><c>http://eidas.europa.eu/LoA/high</c>.</summary>
    High = 3,
}

/// <summary>Conversions between <see cref="LevelOfAssurance"/> and its URI.</summary>
public static class LevelsOfAssurance
{
    private const string Prefix = "http://eidas.europa.eu/LoA/";

    /// <summary>The URI of <paramref name="level"/>.</summary>
    /// <param name="level">A defined level.</param>
    public static string ToUri(this LevelOfAssurance level) => level switch
    {
        LevelOfAssurance.Low => Prefix + "low",
        LevelOfAssurance.Substantial => Prefix + "substantial",
        LevelOfAssurance.High => Prefix + "high",
        _ => throw new ArgumentOutOfRangeException(nameof(level)),
    };

    /// <summary>The level named by <paramref name="uri"/>, or null if it names none.</summary>
    /// <param name="uri">An <c>AuthnContextClassRef</c> value.</param>
    public static LevelOfAssurance? FromUri(string? uri) => uri?.Trim() switch
    {
        Prefix + "low" => LevelOfAssurance.Low,
        Prefix + "substantial" => LevelOfAssurance.Substantial,
        Prefix + "high" => LevelOfAssurance.High,
        _ => null,
    };

    /// <summary>The short name (<c>low</c>, <c>substantial</c>, <c>high</c>).</summary>
    /// <param name="level">A defined level.</param>
    public static string ToShortName(this LevelOfAssurance level) => level.ToUri()[Prefix.Length..];
}
