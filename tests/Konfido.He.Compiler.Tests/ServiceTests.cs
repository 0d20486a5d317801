using Konfido.Core;
using Konfido.He.Compiler.Runtime;
using Konfido.He.Compiler.Service;

namespace Konfido.He.Compiler.Tests;

public sealed class ServiceTests
{
    [Fact]
    public async Task The_scenario_runs_and_reports_every_security_event()
    {
        var events = new InMemorySecurityEventSink();
        var service = new HeAnalyticsService(events, "DK");
        var result = await HeAnalyticsScenario.RunAsync(service, events, "DK");
        Assert.True(result.Ok, result.Detail);
        Assert.True(result.ForeignCiphertextRejected);
        Assert.True(result.Outputs["mean"].Error < 0.01);
        var actions = events.Events.Select(e => e.Action).ToList();
        Assert.Equal(["he-keygen", "he-program-register", "he-ciphertext-upload", "he-ciphertext-rejected", "he-evaluate", "he-decrypt-request"], actions);
        Assert.All(events.Events, e => Assert.Equal(EventCategories.HomomorphicEncryption, e.Category));
        Assert.All(events.Events, e => Assert.Equal("DK", e.Node));
        var rejected = events.Events.Single(e => e.Action == "he-ciphertext-rejected");
        Assert.Equal(EventOutcome.Failure, rejected.Outcome);
        Assert.Contains("foreign", rejected.Reason, StringComparison.Ordinal);
        Assert.Equal("128", events.Events.Single(e => e.Action == "he-program-register").Attributes["security_bits"]);
    }

    [Fact]
    public async Task Malformed_uploads_keys_and_results_are_refused_with_events()
    {
        var events = new InMemorySecurityEventSink();
        var service = new HeAnalyticsService(events, "ES");
        var program = HeCompiler.Compile(HeExamplePrograms.Source("cross_border"));
        var owner = await HeDataOwner.CreateAsync(program, "authority", events, "ES");

        var badKeys = await service.RegisterProgramAsync("agg", program.Serialize(), [1, 2, 3], "authority");
        Assert.False(badKeys.Accepted);
        Assert.Equal("he-load-failed", events.Events[^1].Action);
        Assert.Equal(EventOutcome.Failure, events.Events[^1].Outcome);

        Assert.True((await service.RegisterProgramAsync("agg", program.Serialize(), owner.EvaluationKeys, "authority")).Accepted);
        var garbage = await service.UploadAsync("agg", "dk", "dk-node", new byte[100]);
        Assert.False(garbage.Accepted);
        Assert.Contains("malformed or foreign ciphertext", garbage.Reason, StringComparison.Ordinal);
        Assert.Equal("he-ciphertext-rejected", events.Events[^1].Action);

        Assert.False((await service.UploadAsync("agg", "nope", "dk-node", new byte[10])).Accepted);
        Assert.False((await service.UploadAsync("unknown", "dk", "dk-node", new byte[10])).Accepted);

        var early = await service.ComputeAsync("agg", "analyst");
        Assert.False(early.Succeeded);
        Assert.Contains("has not been uploaded", early.Reason, StringComparison.Ordinal);

        var bad = await owner.DecryptAsync([9, 9, 9], "analyst");
        Assert.Null(bad);
        Assert.Equal("he-decrypt-request", events.Events[^1].Action);
        Assert.Equal(EventOutcome.Failure, events.Events[^1].Outcome);
        Assert.Equal("he-load-failed", events.Events[^2].Action);
    }

    [Fact]
    public async Task Countries_upload_under_one_key_and_only_the_aggregate_is_decrypted()
    {
        var events = new InMemorySecurityEventSink();
        var service = new HeAnalyticsService(events, "IT");
        var program = HeCompiler.Compile(HeExamplePrograms.Source("cross_border"));
        var authority = await HeDataOwner.CreateAsync(program, "joint-authority", events, "IT");
        Assert.True((await service.RegisterProgramAsync("copd", program.Serialize(), authority.EvaluationKeys, "joint-authority")).Accepted);
        var counts = ExampleFiles.Inputs("cross_border");
        foreach (var country in new[] { "dk", "es", "it" })
        {
            // Each country holds only the public key.
            var encryptor = new HeInputEncryptor(program, HeBundle.Deserialize(authority.EvaluationKeys));
            Assert.True((await service.UploadAsync("copd", country, country + "-node", encryptor.Encrypt(country, counts[country]))).Accepted);
        }

        var missingTariff = await service.ComputeAsync("copd", "joint-authority");
        Assert.False(missingTariff.Succeeded);
        Assert.Contains("tariff", missingTariff.Reason, StringComparison.Ordinal);

        // The tariff is public: it goes to the node in the clear.
        var result = await service.ComputeAsync("copd", "joint-authority", new Dictionary<string, double[]> { ["tariff"] = counts["tariff"] });
        Assert.True(result.Succeeded, result.Reason);
        var decrypted = await authority.DecryptAsync(result.Result!, "joint-authority");
        var expected = Enumerable.Range(0, 16).Select(i => counts["dk"][i] + counts["es"][i] + counts["it"][i]).ToArray();
        Assert.Equal(expected, decrypted!.Outputs["total"]);
        Assert.Equal(expected.Sum(), decrypted.Outputs["grand_total"][0]);
        Assert.Equal(expected.Zip(counts["tariff"], (n, t) => n * t).Sum(), decrypted.Outputs["cost"][0]);
    }

    [Fact]
    public async Task Re_registering_with_other_parameters_is_a_parameter_change()
    {
        var events = new InMemorySecurityEventSink();
        var service = new HeAnalyticsService(events, "DK");
        var first = HeCompiler.Compile(HeExamplePrograms.Source("cross_border"));
        var second = HeCompiler.Compile(HeExamplePrograms.Source("cross_border"), new HeCompilerOptions { Naive = true });
        var program2 = HeCompiler.Compile("program cross_border_copd\nslots 16\nsecret dk int in [0, 10000]\noutput total = dk * dk");
        var owner1 = await HeDataOwner.CreateAsync(first, "a", events, "DK");
        var owner2 = await HeDataOwner.CreateAsync(program2, "a", events, "DK");
        Assert.False((await service.RegisterProgramAsync("p", first.Serialize(), owner1.EvaluationKeys, "a")).ParametersChanged);
        Assert.False((await service.RegisterProgramAsync("p", second.Serialize(), owner1.EvaluationKeys, "a")).ParametersChanged);
        var changed = await service.RegisterProgramAsync("p", program2.Serialize(), owner2.EvaluationKeys, "a");
        Assert.True(changed.ParametersChanged);
        var change = events.Events.Single(e => e.Action == "he-parameter-change");
        Assert.Equal(first.ParmsId.ToString(), change.Attributes["previous_parms_id"]);
        Assert.Equal(program2.ParmsId.ToString(), change.Attributes["parms_id"]);
    }

    [Fact]
    public void The_embedded_examples_are_the_files_in_examples_he()
    {
        foreach (var name in HeExamplePrograms.Names)
        {
            Assert.Equal(ExampleFiles.Source(name), HeExamplePrograms.Source(name));
        }
    }
}
