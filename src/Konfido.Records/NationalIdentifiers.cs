using System.Globalization;
using System.Text;

namespace Konfido.Records;

/// <summary>
/// The Danish personal identification number (CPR-nummer), <c>DDMMYY-SSSS</c>.
/// </summary>
/// <remarks>
/// References: CPR-Kontoret, "Personnummeret i CPR" (2008): the 7th digit with YY gives the century
/// (0–3: 1900–1999; 4 and 9: 2000–2036 for YY 00–36, else 1937–1999; 5–8: 2000–2057 for YY 00–57, else 1858–1899);
/// the last digit is odd for men and even for women. Numbers issued before October 2007 satisfy the modulus-11
/// rule (weights 4,3,2,7,6,5,4,3,2,1; the weighted digit sum is divisible by 11); later numbers need not, so the
/// rule is reported, not required. The synthetic patients all have numbers that satisfy it.
/// </remarks>
public static class DanishCpr
{
    /// <summary>The identifier system of the CPR number (OID 1.2.208.176.1.2).</summary>
    public const string System = "urn:oid:1.2.208.176.1.2";

    private static readonly int[] Weights = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];

    /// <summary>Checks the form (10 digits, optional hyphen after the 6th), the date with its century, and returns what it encodes.</summary>
    /// <param name="text">The number, <c>DDMMYY-SSSS</c> or <c>DDMMYYSSSS</c>.</param>
    /// <param name="birthDate">The encoded birth date.</param>
    /// <param name="male">True if the last digit is odd.</param>
    /// <param name="passesModulus11">True if the (pre-2007) modulus-11 rule holds.</param>
    /// <returns>True if the number is well formed and encodes a real date.</returns>
    public static bool TryParse(string? text, out DateOnly birthDate, out bool male, out bool passesModulus11)
    {
        birthDate = default;
        male = false;
        passesModulus11 = false;
        var digits = text?.Length == 11 && text[6] == '-' ? text.Remove(6, 1) : text;
        if (digits is not { Length: 10 } || !digits.All(char.IsAsciiDigit))
        {
            return false;
        }

        var day = int.Parse(digits.AsSpan(0, 2), CultureInfo.InvariantCulture);
        var month = int.Parse(digits.AsSpan(2, 2), CultureInfo.InvariantCulture);
        var yy = int.Parse(digits.AsSpan(4, 2), CultureInfo.InvariantCulture);
        var centuryDigit = digits[6] - '0';
        var year = centuryDigit switch
        {
            <= 3 => 1900 + yy,
            4 or 9 => yy <= 36 ? 2000 + yy : 1900 + yy,
            _ => yy <= 57 ? 2000 + yy : 1800 + yy,
        };
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        birthDate = new DateOnly(year, month, day);
        male = (digits[9] - '0') % 2 == 1;
        var sum = 0;
        for (var i = 0; i < 10; i++)
        {
            sum += (digits[i] - '0') * Weights[i];
        }

        passesModulus11 = sum % 11 == 0;
        return true;
    }

    /// <summary>True if <paramref name="text"/> is a well-formed CPR number that also satisfies the modulus-11 rule.</summary>
    /// <param name="text">The number.</param>
    public static bool IsValidWithCheckDigit(string? text) => TryParse(text, out _, out _, out var mod11) && mod11;

    /// <summary>
    /// Makes a CPR number for a person born 1900–1999 that satisfies the modulus-11 rule, searching serial numbers
    /// from <paramref name="serialStart"/>. Requires a 1900–1999 birth date and 0 &lt;= serialStart &lt; 4000.
    /// </summary>
    /// <param name="birthDate">The date of birth (1900–1999).</param>
    /// <param name="male">The sex encoded in the last digit.</param>
    /// <param name="serialStart">Where to start searching the serial (0–3999).</param>
    public static string Create(DateOnly birthDate, bool male, int serialStart)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(birthDate.Year, 1900);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(birthDate.Year, 1999);
        ArgumentOutOfRangeException.ThrowIfNegative(serialStart);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(serialStart, 4000);
        var date = birthDate.ToString("ddMMyy", CultureInfo.InvariantCulture);
        for (var k = 0; k < 4000; k++)
        {
            var serial = (serialStart + k) % 4000;
            var candidate = date + "-" + serial.ToString("D4", CultureInfo.InvariantCulture);
            if (TryParse(candidate, out _, out var isMale, out var mod11) && mod11 && isMale == male)
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("No modulus-11 serial exists for that date and sex."); // cannot happen: 1 in 11 serials fits
    }
}

/// <summary>
/// The Spanish national identity number (DNI/NIF): eight digits and a check letter, and the NIE of foreign
/// residents (X, Y or Z, seven digits and the letter).
/// </summary>
/// <remarks>
/// Reference: Ministerio del Interior, "Cálculo del dígito de control del NIF/NIE": the letter is
/// <c>TRWAGMYFPDXBNJZSQVHLCKE</c>[number mod 23]; for an NIE, X, Y and Z stand for 0, 1 and 2 before the digits.
/// Konfido's Spanish node names the identifier system <see cref="System"/>.
/// </remarks>
public static class SpanishDni
{
    /// <summary>The identifier system Konfido's Spanish back end uses for the DNI/NIE.</summary>
    public const string System = "urn:oid:2.16.724.4.40";

    private const string Letters = "TRWAGMYFPDXBNJZSQVHLCKE";

    /// <summary>The check letter for an 8-digit number. Requires 0 &lt;= number &lt;= 99,999,999.</summary>
    /// <param name="number">The number.</param>
    public static char CheckLetter(int number)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(number);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(number, 99_999_999);
        return Letters[number % 23];
    }

    /// <summary>True if <paramref name="text"/> is a DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter) with the right letter.</summary>
    /// <param name="text">The identifier, upper case.</param>
    public static bool IsValid(string? text)
    {
        if (text is not { Length: 9 } || !char.IsAsciiLetterUpper(text[8]))
        {
            return false;
        }

        var digits = text[0] switch
        {
            'X' => "0" + text[1..8],
            'Y' => "1" + text[1..8],
            'Z' => "2" + text[1..8],
            _ => text[..8],
        };
        return digits.All(char.IsAsciiDigit) && CheckLetter(int.Parse(digits, CultureInfo.InvariantCulture)) == text[8];
    }

    /// <summary>Makes a DNI from an 8-digit number. Requires 0 &lt;= number &lt;= 99,999,999.</summary>
    /// <param name="number">The number.</param>
    public static string Create(int number) => number.ToString("D8", CultureInfo.InvariantCulture) + CheckLetter(number);
}

/// <summary>The Italian tax code of natural persons (codice fiscale), 16 characters with a check character.</summary>
/// <remarks>
/// Reference: Decreto Ministeriale 23 dicembre 1976, n. 13813 (anagrafe tributaria): 3 letters from the surname
/// (consonants, then vowels, then X), 3 from the name (with four or more consonants: the 1st, 3rd and 4th), 2 year
/// digits, a month letter (ABCDEHLMPRST), the day (+40 for women), the 4-character cadastral code of the place of
/// birth, and a check letter: the characters in odd positions (1st, 3rd, ...) map through the "dispari" table, those
/// in even positions through the "pari" table (digits 0–9, letters 0–25); the sum mod 26 is the letter A–Z.
/// Omocodia (digits replaced by letters for duplicate codes) is accepted by <see cref="IsValid"/>.
/// </remarks>
public static class ItalianCodiceFiscale
{
    /// <summary>The identifier system of the codice fiscale (OID 2.16.840.1.113883.2.9.4.3.2).</summary>
    public const string System = "urn:oid:2.16.840.1.113883.2.9.4.3.2";

    private const string Months = "ABCDEHLMPRST";

    // Values of 0-9 then A-Z in odd positions (DM 23/12/1976, table "caratteri dispari").
    private static readonly int[] OddDigits = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21];
    private static readonly int[] OddLetters = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

    /// <summary>The check character of the first 15 characters. Requires 15 characters, digits or upper-case letters.</summary>
    /// <param name="first15">The first 15 characters.</param>
    public static char CheckCharacter(string first15)
    {
        ArgumentNullException.ThrowIfNull(first15);
        if (first15.Length != 15 || !first15.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterUpper(c)))
        {
            throw new ArgumentException("Requires 15 digits or upper-case letters.", nameof(first15));
        }

        var sum = 0;
        for (var i = 0; i < 15; i++)
        {
            var c = first15[i];
            var odd = i % 2 == 0; // positions are counted from 1
            sum += odd
                ? (char.IsAsciiDigit(c) ? OddDigits[c - '0'] : OddLetters[c - 'A'])
                : (char.IsAsciiDigit(c) ? c - '0' : c - 'A');
        }

        return (char)('A' + (sum % 26));
    }

    /// <summary>True if <paramref name="text"/> has the codice fiscale's shape and the right check character.</summary>
    /// <param name="text">The code, upper case.</param>
    public static bool IsValid(string? text) =>
        text is { Length: 16 }
        && text.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterUpper(c))
        && text[..6].All(char.IsAsciiLetterUpper)
        && Months.Contains(text[8], StringComparison.Ordinal)
        && CheckCharacter(text[..15]) == text[15];

    /// <summary>
    /// Computes the codice fiscale. Requires non-empty names and a 4-character cadastral code (e.g. <c>H501</c> for Rome).
    /// </summary>
    /// <param name="familyName">The (maiden) surname.</param>
    /// <param name="givenName">The given name(s).</param>
    /// <param name="birthDate">The date of birth.</param>
    /// <param name="male">The sex (women's day of birth is increased by 40).</param>
    /// <param name="placeCode">The cadastral (Belfiore) code of the place of birth.</param>
    public static string Create(string familyName, string givenName, DateOnly birthDate, bool male, string placeCode)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(familyName);
        ArgumentException.ThrowIfNullOrWhiteSpace(givenName);
        ArgumentNullException.ThrowIfNull(placeCode);
        if (placeCode.Length != 4)
        {
            throw new ArgumentException("A cadastral code has 4 characters.", nameof(placeCode));
        }

        var sb = new StringBuilder(16);
        sb.Append(NamePart(familyName, isGivenName: false));
        sb.Append(NamePart(givenName, isGivenName: true));
        sb.Append((birthDate.Year % 100).ToString("D2", CultureInfo.InvariantCulture));
        sb.Append(Months[birthDate.Month - 1]);
        sb.Append((birthDate.Day + (male ? 0 : 40)).ToString("D2", CultureInfo.InvariantCulture));
        sb.Append(placeCode.ToUpperInvariant());
        sb.Append(CheckCharacter(sb.ToString()));
        return sb.ToString();
    }

    private static string NamePart(string name, bool isGivenName)
    {
        var letters = Fold(name);
        var consonants = letters.Where(c => !"AEIOU".Contains(c, StringComparison.Ordinal)).ToList();
        var vowels = letters.Where(c => "AEIOU".Contains(c, StringComparison.Ordinal)).ToList();
        if (isGivenName && consonants.Count >= 4)
        {
            return new string([consonants[0], consonants[2], consonants[3]]);
        }

        var chosen = consonants.Concat(vowels).Concat("XXX").Take(3);
        return new string(chosen.ToArray());
    }

    /// <summary>Upper-case ASCII letters of a name, with accents dropped (à → A) and spaces/apostrophes removed.</summary>
    private static string Fold(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var raw in name.ToUpperInvariant())
        {
            var c = raw switch
            {
                'À' or 'Á' or 'Â' or 'Ä' or 'Å' => 'A',
                'È' or 'É' or 'Ê' or 'Ë' => 'E',
                'Ì' or 'Í' or 'Î' or 'Ï' => 'I',
                'Ò' or 'Ó' or 'Ô' or 'Ö' => 'O',
                'Ù' or 'Ú' or 'Û' or 'Ü' => 'U',
                _ => raw,
            };
            if (char.IsAsciiLetterUpper(c))
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}
