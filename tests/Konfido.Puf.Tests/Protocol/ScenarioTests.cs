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
