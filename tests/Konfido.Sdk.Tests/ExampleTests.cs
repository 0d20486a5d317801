using Konfido.Sdk.Examples;

namespace Konfido.Sdk.Tests;

/// <summary>The numbered examples run against the in-process federation, so that they never rot.</summary>
[Collection(FederationCollection.Name)]
public sealed class ExampleTests(SdkFederation federation)
{
    [Fact]
    public async Task Example_01_enrols_and_authenticates_a_meter()
    {
        using var output = new StringWriter();
        var result = await EnrolDeviceExample.RunAsync(federation.Settings(2), output);
        Assert.True(result.Enrolment.Enrolled, result.Enrolment.Detail);
        Assert.Equal("None", result.Authentication);
        Assert.True(result.SessionExpires > DateTimeOffset.UtcNow);
        Assert.Contains("authentication: ok", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Example_02_uploads_encrypted_readings_and_the_decrypted_mean_is_the_clear_mean()
    {
        using var output = new StringWriter();
        var result = await UploadReadingsExample.RunAsync(federation.Settings(3), output, count: 100);
        Assert.Equal(100, result.Readings);
        Assert.Equal(100, result.Report.ReadingsUploaded);
        Assert.Equal(0, result.Report.PendingReadings + result.Report.PendingBatches);
        // BFV is exact: the decrypted total of the one-decimal readings equals the clear sum.
        Assert.Equal(result.ClearMean, result.EncryptedMean, 9);
    }

    [Fact]
    public async Task Example_03_verifies_the_access_report_offline()
    {
        var settings = federation.Settings(4);
        await TestSteps.AccessPatientFromSpainAsync(federation, 4);
        using var output = new StringWriter();
        var result = await MyAccessReportExample.RunAsync(settings, output);
        Assert.NotEmpty(result.Report.Accesses);
        Assert.True(result.Verification.AllValid, string.Join("; ", result.Verification.Failures.Select(f => f.Result.Reason)));
    }

    [Fact]
    public async Task Example_04_grants_and_withdraws_consent()
    {
        using var output = new StringWriter();
        var result = await ConsentExample.RunAsync(federation.Settings(5), output);
        Assert.Equal(1, result.ActivePermitsAfterGrant);
        Assert.Contains(result.GrantedId, result.Withdrawn);
        Assert.Equal(0, result.ActivePermitsAfterWithdrawal);
    }
}
