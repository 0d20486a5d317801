using System.Security.Cryptography;
using System.Text;
using Konfido.Core;
using Konfido.Ledger.Log;

namespace Konfido.Ledger.Tests;

public sealed class PatientPseudonymiserTests
{
    [Fact]
    public void Through_a_keyed_hash_it_gives_the_pseudonyms_of_the_key_and_asks_once_per_patient_it_remembers()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        using var holding = new PatientPseudonymiser(key);
        var calls = new List<string>();
        KeyedHash hash = (data, mac) =>
        {
            lock (calls)
            {
                calls.Add(Encoding.UTF8.GetString(data));
            }

            HMACSHA256.HashData(key, data, mac);
        };
        using var through = new PatientPseudonymiser(hash);

        Assert.Equal(holding.Pseudonymise(" 0101561234 "), through.Pseudonymise(" 0101561234 "));
        Assert.Equal(holding.Pseudonymise("0101561234"), through.Pseudonymise("0101561234")); // trimmed: the same patient
        Assert.Equal(["0101561234"], calls);

        // Bounded: past the capacity it forgets, and asks again.
        for (var i = 0; i < PatientPseudonymiser.CacheCapacity; i++)
        {
            through.Pseudonymise($"patient-{i}");
        }

        calls.Clear();
        Assert.Equal(holding.Pseudonymise("0101561234"), through.Pseudonymise("0101561234"));
        Assert.Equal(["0101561234"], calls);
        Assert.StartsWith(PatientPseudonymiser.Prefix, through.Pseudonymise("x"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_keyed_hash_that_fails_fails_the_pseudonym_and_nothing_is_remembered()
    {
        var failing = true;
        using var through = new PatientPseudonymiser((data, mac) =>
        {
            if (failing)
            {
                throw new InvalidOperationException("Custody key 'konfido.federation/pseudonym' was destroyed.");
            }

            mac.Fill(7);
        });
        Assert.Throws<InvalidOperationException>(() => through.Pseudonymise("0101561234"));
        failing = false;
        Assert.Equal(PatientPseudonymiser.Prefix + string.Concat(Enumerable.Repeat("07", 32)), through.Pseudonymise("0101561234"));
    }
}
