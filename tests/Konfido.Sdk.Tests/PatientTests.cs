using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Konfido.Node;
using Konfido.Sdk.Proofs;

namespace Konfido.Sdk.Tests;

/// <summary>The patient's own data through the SDK: summary, consent, and the access report verified offline.</summary>
[Collection(FederationCollection.Name)]
public sealed class PatientTests(SdkFederation federation)
{
    private LedgerTrust Trust => LedgerTrust.FromSignedTrustList(federation.SignedTrustList, federation.OperatorKeyPem, DateTimeOffset.UtcNow);

    [Fact]
    public async Task The_patient_reads_their_own_summary_and_a_professional_cannot()
    {
        using var client = federation.Client();
        var summary = await client.Patient(await client.LoginWithTestEidasAsync(SdkFederation.PatientPerson(6))).GetSummaryAsync();
        Assert.Contains("\"resourceType\":\"Bundle\"", summary.Json.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains(SdkFederation.Patient(6), summary.Json, StringComparison.Ordinal);
        Assert.NotEmpty(summary.Sections);
        Assert.Contains(federation.Events.Events, e => e.Action == "ips-self-retrieve" && e.PatientId == SdkFederation.Patient(6));

        var doctor = client.Patient(await client.LoginWithTestEidasAsync(SdkFederation.OperatorPerson));
        var refused = await Assert.ThrowsAsync<KonfidoApiException>(() => doctor.GetSummaryAsync());
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
    }

    [Fact]
    public async Task Consent_withdrawn_through_the_sdk_refuses_a_professional_abroad()
    {
        using var client = federation.Client();
        var patient = client.Patient(await client.LoginWithTestEidasAsync(SdkFederation.PatientPerson(8)));
        await patient.GrantConsentAsync(new ConsentRequest("permit", ["TREATMENT"], ["ES"]));
        Assert.Equal(HttpStatusCode.OK, await TestSteps.RetrieveFromSpainAsync(federation, 8));

        var withdrawn = await patient.WithdrawConsentAsync();
        Assert.Single(withdrawn);
        Assert.Equal(HttpStatusCode.Forbidden, await TestSteps.RetrieveFromSpainAsync(federation, 8));
        Assert.DoesNotContain(await patient.GetConsentsAsync(), c => c.Active && c.Effect == "permit");
        Assert.Empty(await patient.WithdrawConsentAsync());
    }

    [Fact]
    public async Task The_access_report_verifies_offline_and_a_tampered_one_does_not()
    {
        await TestSteps.AccessPatientFromSpainAsync(federation, 7);
        using var client = federation.Client();
        var report = await client.Patient(await client.LoginWithTestEidasAsync(SdkFederation.PatientPerson(7))).GetAccessReportAsync();
        var verification = AccessReportVerifier.Verify(report, Trust);
        Assert.True(verification.AllValid, string.Join("; ", verification.Failures.Select(f => f.Result.Reason)));
        Assert.Equal(3, report.Logs.Count);
        Assert.Contains(report.Accesses, a => a.What == "ips-retrieve" && a.LogId == "konfido.ncp/DK" && a.Who == DemoProfessionals.SpanishDoctor && a.Country == "ES");
        Assert.Contains(report.Accesses, a => a.What == "ips-retrieve" && a.LogId == "konfido.ncp/ES");

        // The node's own offline check agrees on the same document.
        var nodeReport = Konfido.Policy.Gdpr.AccessReport.FromJson(report.Json)!;
        Assert.Empty(AccessReports.Verify(nodeReport, NodeLauncher.LoadTrustList(NodeSettings.Load(federation.Federation.Layout.ConfigFiles["DK"]))));

        var access = report.Accesses.First(a => a.What == "ips-retrieve");
        // The access shown edited after the fact.
        Assert.Equal(ProofFailure.EntryMismatch, AccessReportVerifier.VerifyAccess(access with { Who = "someone-else" }, Trust).Failure);
        Assert.Equal(ProofFailure.EntryMismatch, AccessReportVerifier.VerifyAccess(access with { When = access.When.AddMinutes(-1) }, Trust).Failure);
        // The proof edited: another index, another checkpoint root, another entry.
        Assert.Equal(ProofFailure.Inclusion, AccessReportVerifier.VerifyAccess(access with { Proof = EditProof(access.Proof, p => p["index"] = (long)p["index"]! + 1) }, Trust).Failure);
        Assert.Equal(ProofFailure.LogSignature, AccessReportVerifier.VerifyAccess(access with { Proof = EditProof(access.Proof, p => p["checkpoint"] = EditRoot((string)p["checkpoint"]!)) }, Trust).Failure);
        Assert.Equal(ProofFailure.Inclusion, AccessReportVerifier.VerifyAccess(access with
        {
            Proof = EditProof(access.Proof, p => p["entry"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Convert.FromBase64String((string)p["entry"]!)).Replace("ips-retrieve", "ips-retrievf", StringComparison.Ordinal)))),
        }, Trust).Failure);
        // Without the witnesses' cosignatures (only the log's own signature line kept).
        Assert.Equal(ProofFailure.Quorum, AccessReportVerifier.VerifyAccess(access with { Proof = EditProof(access.Proof, p => p["checkpoint"] = KeepFirstSignature((string)p["checkpoint"]!)) }, Trust).Failure);
        // Keys the app does not trust: another federation's.
        var foreign = LedgerTrust.Create([new LedgerTrustMember(Konfido.Ledger.Notes.Ed25519NoteSigner.Generate("konfido.ncp/DK").VerifierKey,
            Konfido.Ledger.Notes.Ed25519NoteSigner.Generate("witness.konfido/XX").CosignatureVerifierKey),
            new LedgerTrustMember(Konfido.Ledger.Notes.Ed25519NoteSigner.Generate("konfido.ncp/ES").VerifierKey, Konfido.Ledger.Notes.Ed25519NoteSigner.Generate("witness.konfido/YY").CosignatureVerifierKey)]);
        Assert.False(AccessReportVerifier.Verify(report, foreign).AllValid);
    }

    [Fact]
    public void A_trust_list_signed_by_another_operator_is_refused()
    {
        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var ex = Assert.Throws<ArgumentException>(() => LedgerTrust.FromSignedTrustList(federation.SignedTrustList, other.ExportSubjectPublicKeyInfoPem(), DateTimeOffset.UtcNow));
        Assert.Contains("signature", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => LedgerTrust.FromSignedTrustList(federation.SignedTrustList, federation.OperatorKeyPem, DateTimeOffset.UtcNow.AddYears(20)));
    }

    private static byte[] EditProof(byte[] proof, Action<JsonObject> edit)
    {
        var node = JsonNode.Parse(proof)!.AsObject();
        edit(node);
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    private static string EditRoot(string checkpoint)
    {
        var lines = checkpoint.Split('\n');
        var root = Convert.FromBase64String(lines[2]);
        root[0] ^= 1;
        lines[2] = Convert.ToBase64String(root);
        return string.Join('\n', lines);
    }

    private static string KeepFirstSignature(string checkpoint)
    {
        var split = checkpoint.LastIndexOf("\n\n", StringComparison.Ordinal);
        var signatures = checkpoint[(split + 2)..].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return checkpoint[..(split + 2)] + signatures[0] + "\n";
    }
}
