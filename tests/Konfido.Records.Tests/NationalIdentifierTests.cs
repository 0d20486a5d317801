using Konfido.Records;

namespace Konfido.Records.Tests;

/// <summary>National identifier formats, against published examples and against their own generators.</summary>
public sealed class NationalIdentifierTests
{
    // CPR-Kontoret, "Personnummeret i CPR" (1 July 2008) uses 070761-4285 to explain the modulus-11 check
    // (weighted sum 154 = 14 x 11); 310111-0469 passes and 051002-4321 fails it (both from the Kattis problem
    // "cprnummer", which quotes that publication).
    [Theory]
    [InlineData("070761-4285", true)]
    [InlineData("0707614285", true)]
    [InlineData("310111-0469", true)]
    [InlineData("051002-4321", false)]
    public void Cpr_modulus_11_matches_the_published_examples(string cpr, bool passes)
    {
        Assert.True(DanishCpr.TryParse(cpr, out _, out _, out var mod11));
        Assert.Equal(passes, mod11);
        Assert.Equal(passes, DanishCpr.IsValidWithCheckDigit(cpr));
    }

    [Theory]
    [InlineData("070761-4285", 1961, 7, 7, true)]   // 7th digit 4, YY 61 > 36: 1900s; last digit odd: male
    [InlineData("010100-4000", 2000, 1, 1, false)]  // 7th digit 4, YY 00: 2000s; even: female
    [InlineData("010137-9001", 1937, 1, 1, true)]   // 7th digit 9, YY 37: 1900s
    [InlineData("010157-5002", 2057, 1, 1, false)]  // 7th digit 5, YY 57: 2000s
    [InlineData("010158-5002", 1858, 1, 1, false)]  // 7th digit 5, YY 58: 1800s
    [InlineData("290200-0001", 1900, 2, 29, true)]  // no: 1900 is not a leap year (checked below)
    public void Cpr_decodes_century_date_and_sex(string cpr, int year, int month, int day, bool male)
    {
        var ok = DanishCpr.TryParse(cpr, out var birth, out var isMale, out _);
        if (!DateTime.IsLeapYear(year) && month == 2 && day == 29)
        {
            Assert.False(ok);
            return;
        }

        Assert.True(ok);
        Assert.Equal(new DateOnly(year, month, day), birth);
        Assert.Equal(male, isMale);
    }

    [Theory]
    [InlineData("")]
    [InlineData("07076-14285")]
    [InlineData("320161-4285")]
    [InlineData("071361-4285")]
    [InlineData("070761+4285")]
    [InlineData("07076l-4285")]
    public void Cpr_rejects_malformed_numbers(string cpr) => Assert.False(DanishCpr.TryParse(cpr, out _, out _, out _));

    [Fact]
    public void Cpr_create_gives_numbers_that_decode_to_the_inputs_and_pass_modulus_11()
    {
        var date = new DateOnly(1930, 1, 1);
        for (var i = 0; i < 400; i++, date = date.AddDays(60))
        {
            var male = i % 3 != 0;
            var cpr = DanishCpr.Create(date, male, (i * 37) % 4000);
            Assert.True(DanishCpr.TryParse(cpr, out var birth, out var isMale, out var mod11), cpr);
            Assert.Equal(date, birth);
            Assert.Equal(male, isMale);
            Assert.True(mod11);
        }
    }

    // The DNI letter table of the Ministerio del Interior: the letter is TRWAGMYFPDXBNJZSQVHLCKE[n mod 23].
    // 12345678Z and X1234567L are widely circulated sample DNI/NIE values (X counts as 0); the others follow the table.
    [Theory]
    [InlineData("12345678Z", true)]
    [InlineData("00000000T", true)]
    [InlineData("00000022E", true)]
    [InlineData("X1234567L", true)]
    [InlineData("Y1234567X", true)]
    [InlineData("12345678A", false)]
    [InlineData("1234567Z", false)]
    [InlineData("X1234567Z", false)]
    [InlineData("12345678z", false)]
    public void Dni_and_nie_check_letters(string id, bool valid) => Assert.Equal(valid, SpanishDni.IsValid(id));

    [Fact]
    public void Dni_letter_is_the_number_mod_23_in_the_published_table()
    {
        const string table = "TRWAGMYFPDXBNJZSQVHLCKE";
        for (var n = 0; n < 23 * 5; n++)
        {
            Assert.Equal(table[n % 23], SpanishDni.CheckLetter(n));
            Assert.True(SpanishDni.IsValid(SpanishDni.Create(n)));
        }
    }

    // Published worked examples: "RSS FNC 80T31 F205 U" (Franco Rossi, born 31 Dec 1980 in Milan, madvero.it,
    // "Il codice fiscale"); RSSMRA85T10A562S is a widely circulated sample code (Mario Rossi, 10 Dec 1985, cadastral code A562).
    [Theory]
    [InlineData("RSSFNC80T31F205U", true)]
    [InlineData("RSSMRA85T10A562S", true)]
    [InlineData("RSSMRA85T10A562T", false)]
    [InlineData("RSSMRA85Z10A562S", false)]
    [InlineData("RSSMRA85T10A562", false)]
    [InlineData("rssmra85t10a562s", false)]
    public void Codice_fiscale_check_character(string code, bool valid) => Assert.Equal(valid, ItalianCodiceFiscale.IsValid(code));

    [Fact]
    public void Codice_fiscale_is_computed_from_the_person()
    {
        Assert.Equal("RSSFNC80T31F205U", ItalianCodiceFiscale.Create("Rossi", "Franco", new DateOnly(1980, 12, 31), true, "F205"));
        Assert.Equal("RSSMRA85T10A562S", ItalianCodiceFiscale.Create("Rossi", "Mario", new DateOnly(1985, 12, 10), true, "A562"));
    }

    // Name rules (DM 23/12/1976) with the worked examples of sciencecue.it: ROSSI -> RSS, RIVA -> RVI, RE -> REX,
    // GIORDANO -> GRD; given names VINCENZO -> VCN, MARTA -> MRT, SARA -> SRA, AL -> LAX, ALESSANDRO -> LSN.
    [Theory]
    [InlineData("Rossi", "RSS")]
    [InlineData("Riva", "RVI")]
    [InlineData("Re", "REX")]
    [InlineData("Giordano", "GRD")]
    [InlineData("De Luca", "DLC")]
    public void Codice_fiscale_surname_part(string surname, string expected) =>
        Assert.Equal(expected, ItalianCodiceFiscale.Create(surname, "Mario", new DateOnly(1970, 1, 1), true, "H501")[..3]);

    [Theory]
    [InlineData("Vincenzo", "VCN")]
    [InlineData("Marta", "MRT")]
    [InlineData("Sara", "SRA")]
    [InlineData("Al", "LAX")]
    [InlineData("Alessandro", "LSN")]
    public void Codice_fiscale_given_name_part(string given, string expected) =>
        Assert.Equal(expected, ItalianCodiceFiscale.Create("Rossi", given, new DateOnly(1970, 1, 1), true, "H501")[3..6]);

    [Fact]
    public void Codice_fiscale_encodes_women_with_day_plus_40()
    {
        var code = ItalianCodiceFiscale.Create("Bianchi", "Giulia", new DateOnly(1975, 3, 15), false, "H501");
        Assert.Equal("75C55", code[6..11]);
        Assert.True(ItalianCodiceFiscale.IsValid(code));
    }
}
