using System.Security.Cryptography;
using System.Text;
using Konfido.Core;
using Konfido.Siem.Parsing;

namespace Konfido.Siem.Tests.Parsing;

public sealed class PseudonymiserTests
{
    [Fact]
    public void Through_a_keyed_hash_it_gives_the_pseudonyms_of_the_key_and_asks_once_per_patient_it_remembers()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        using var holding = new PatientPseudonymiser(key);
        var calls = 0;
        using var through = new PatientPseudonymiser((data, mac) =>
        {
            Interlocked.Increment(ref calls);
            HMACSHA256.HashData(key, data, mac);
        });

        Assert.Equal(holding.Pseudonymise("0101561234"), through.Pseudonymise("0101561234"));
        Assert.Equal(holding.Pseudonymise("0101561234"), through.Pseudonymise("0101561234"));
        Assert.Equal(1, calls);
        Assert.Equal(holding.Pseudonymise("0101561234"), through.Pseudonymise(holding.Pseudonymise("0101561234"))); // a pseudonym passes as it is
        Assert.Equal(1, calls);
        for (var i = 0; i < PatientPseudonymiser.CacheCapacity; i++)
        {
            through.Pseudonymise($"patient-{i}");
        }

        Assert.Equal(holding.Pseudonymise("0101561234"), through.Pseudonymise("0101561234")); // forgotten past the capacity: asked again
        Assert.Equal(2 + PatientPseudonymiser.CacheCapacity, calls);
    }
}
