using Konfido.Core;
using Konfido.Exchange;
using Konfido.Node;
using Konfido.Records;
using Konfido.Sdk.Examples;
using Konfido.Testing;

namespace Konfido.Sdk.Tests;

/// <summary>One real federation (DK, ES, IT: HTTPS, mutual TLS, eIDAS, ledgers, custody) in this process, shared by the SDK tests.</summary>
public sealed class SdkFederation : IAsyncLifetime
{
    /// <summary>The Danish operator who enrols devices (a registered doctor).</summary>
    public const string OperatorPerson = "DK/DK/D0001";

    private readonly TemporaryDirectory _directory = new("konfido-sdk-test");

    public LocalFederation Federation { get; private set; } = null!;

    public InMemorySecurityEventSink Events { get; } = new();

    public KonfidoNode Denmark => Federation["DK"];

    /// <summary>The Danish node's TLS pin as the trust list lists it: its custody-held TLS issuer (its TLS certificates are short-lived and renewed).</summary>
    public string Pin => Denmark.Components.TrustList().Find("DK")!.TlsCertificateSha256;

    /// <summary>The Danish node's TLS issuer certificate as the trust list lists it.</summary>
    public string TlsIssuer => Denmark.Components.TrustList().Find("DK")!.TlsIssuer!;

    public string SignedTrustList => File.ReadAllText(Federation.Layout.TrustListPath);

    public string OperatorKeyPem => File.ReadAllText(Federation.Layout.OperatorPublicKeyPath);

    public string WorkDirectory => _directory.File("work");

    /// <summary>The synthetic Danish patient number <paramref name="index"/> (each test uses its own).</summary>
    public static string Patient(int index) => SyntheticPatients.For("DK")[index].Patient.NationalId;

    public static string PatientPerson(int index) => $"DK/DK/{Patient(index)}";

    public async Task InitializeAsync()
    {
        Federation = await LocalFederation.StartAsync(
            _directory.File("federation"),
            [("DK", "Denmark NCP"), ("ES", "Spain NCP"), ("IT", "Italy NCP")],
            (storage, country) => NationalBackendFactory.OpenAsync(storage.Provider, storage.ConnectionString, country).GetAwaiter().GetResult(),
            _ => Events);
    }

    public async Task DisposeAsync()
    {
        await Federation.DisposeAsync();
        _directory.Dispose();
    }

    /// <summary>A client of the Danish node pinning its certificate, optionally with a wrapped handler (fault injection).</summary>
    public KonfidoClient Client(Func<HttpMessageHandler, HttpMessageHandler>? wrap = null) =>
        KonfidoClient.Create(new KonfidoClientOptions { NodeUri = Denmark.LocalUri, PinnedCertificateSha256 = Pin, PinnedTlsIssuer = TlsIssuer, WrapHandler = wrap });

    public ExampleSettings Settings(int patient) =>
        new(Denmark.LocalUri, Pin, OperatorPerson, PatientPerson(patient), SignedTrustList, OperatorKeyPem, WorkDirectory, TlsIssuer);
}

[CollectionDefinition(Name)]
public sealed class FederationCollection : ICollectionFixture<SdkFederation>
{
    public const string Name = "sdk-federation";
}
