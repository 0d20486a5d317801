using System.Security.Cryptography;
using Konfido.Core;
using Konfido.Puf.Protocol;

namespace Konfido.Puf.Tests.Protocol;

public sealed class ScenarioTests
{
    // Example 1 (the demo's puf-device-auth step): how a node constructs the verifier and runs the scenario.
    [Fact]
    public async Task Example01_glucose_meter_enrols_authenticates_and_a_clone_is_refused()
    {
        var settings = PufProtocolSettings.Create(new PufProtocolParameters { ChallengePoolSize = 2, EnrolmentReads = 3 });
        var events = new InMemorySecurityEventSink();
        using var protector = new AesGcmReferenceProtector(RandomNumberGenerator.GetBytes(32));
        var verifier = new PufVerifier(settings, new InMemoryPufEnrolmentStore(), protector, events, "DK");

        var outcome = await DeviceAuthenticationScenario.RunAsync(verifier, settings);

        Assert.True(outcome.Ok, outcome.Detail);
        Assert.Equal(6, outcome.Detail.Split('\n').Length);
        Assert.Contains(events.Events, e => e.Action == "puf-clone-suspected");
        Assert.Contains(events.Events, e => e is { Action: "puf-auth", Outcome: EventOutcome.Failure });
        Assert.All(events.Events, e => Assert.Equal(EventCategories.Device, e.Category));
    }
}

public sealed class LocalKeyTests
{
    [Fact]
    public void A_device_local_key_survives_the_worst_case_temperature_and_tampered_helper_data_is_refused()
    {
        var settings = PufProtocolSettings.Create(new PufProtocolParameters { EnrolmentReads = 3 });
        var puf = Konfido.Puf.Simulation.PhotonicPufSimulator.Create(new Konfido.Puf.Simulation.PhotonicPufModel(), 77, 1);
        var device = new PufDevice("meter-local", new PufResponseReader(puf, new Konfido.Puf.Simulation.GaborResponseQuantizer()), settings);
        var extractor = new Konfido.Puf.Keys.FuzzyExtractor(settings.Code);
        var seed = "storage key v1"u8.ToArray();

        var created = device.CreateLocalKey(seed, extractor);
        puf.TemperatureCelsius = puf.Model.WorstCaseTemperatureCelsius;
        var reproduced = device.ReproduceLocalKey(seed, extractor, created.HelperData);
        Assert.True(reproduced.Succeeded, reproduced.Failure.ToString());
        Assert.Equal(created.Key, reproduced.Key);

        var tampered = (byte[])created.HelperData.Clone();
        tampered[40] ^= 0x04;
        Assert.Equal(Konfido.Puf.Keys.KeyReproductionFailure.IntegrityCheckFailed, device.ReproduceLocalKey(seed, extractor, tampered).Failure);

        var other = new PufDevice("meter-other", new PufResponseReader(Konfido.Puf.Simulation.PhotonicPufSimulator.Create(new Konfido.Puf.Simulation.PhotonicPufModel(), 78, 1), new Konfido.Puf.Simulation.GaborResponseQuantizer()), settings);
        Assert.False(other.ReproduceLocalKey(seed, extractor, created.HelperData).Succeeded);
    }
}
