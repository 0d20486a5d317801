using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Konfido.Core;
using Konfido.Puf.Coding;
using Konfido.Puf.Keys;
using Konfido.Puf.Protocol;
using Konfido.Puf.Simulation;

namespace Konfido.Puf.Benchmarks;

/// <summary>BCH decoding of a word carrying t errors (Decode/M=../T=..).</summary>
[MemoryDiagnoser]
public class BchDecode
{
    private BchCode _code = null!;
    private byte[] _received = null!;
    private byte[] _work = null!;

    [Params(8, 10, 13)]
    public int M { get; set; }

    [Params(8, 32)]
    public int T { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _code = BchCode.Create(new BchParameters(M, T));
        var random = new Random(1);
        var message = new byte[_code.MaxDataBits];
        for (var i = 0; i < message.Length; i++)
        {
            message[i] = (byte)random.Next(2);
        }

        _received = new byte[_code.Length];
        _code.Encode(message, _received);
        foreach (var p in Enumerable.Range(0, _received.Length).OrderBy(_ => random.Next()).Take(T))
        {
            _received[p] ^= 1;
        }

        _work = new byte[_received.Length];
    }

    [Benchmark]
    public int Decode()
    {
        _received.CopyTo(_work, 0);
        return _code.Decode(_work);
    }
}

/// <summary>Fuzzy-extractor key reproduction with the protocol's default code at the measured worst-case error rate.</summary>
[MemoryDiagnoser]
public class KeyReproduction
{
    private FuzzyExtractor _extractor = null!;
    private byte[] _noisy = null!;
    private byte[] _helper = null!;

    [Params(0.045)]
    public double Ber { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _extractor = new FuzzyExtractor(PufProtocolSettings.Create().Code);
        var random = new Random(2);
        var response = new byte[_extractor.CodewordBits];
        for (var i = 0; i < response.Length; i++)
        {
            response[i] = (byte)random.Next(2);
        }

        _helper = _extractor.Generate(response).HelperData;
        _noisy = response.Select(b => random.NextDouble() < Ber ? (byte)(b ^ 1) : b).ToArray();
    }

    [Benchmark]
    public bool Reproduce() => _extractor.Reproduce(_noisy, _helper).Succeeded;
}

/// <summary>
/// A whole mutual authentication: hello, challenge, device measurement (simulated PUF frames) and helper
/// data, node decoding, confirmation. Each iteration enrols a fresh device with one single-use challenge.
/// </summary>
[MemoryDiagnoser]
public class AuthenticationRoundTrip
{
    private readonly PufProtocolSettings _settings = PufProtocolSettings.Create(new PufProtocolParameters { ChallengePoolSize = 1, EnrolmentReads = 1 });
    private PufVerifier _verifier = null!;
    private PufDevice _device = null!;
    private AesGcmReferenceProtector _protector = null!;
    private int _round;

    [GlobalSetup]
    public void Setup()
    {
        _protector = new AesGcmReferenceProtector(RandomNumberGenerator.GetBytes(32));
        _verifier = new PufVerifier(_settings, new InMemoryPufEnrolmentStore(), _protector, new DiscardingSink(), "DK");
    }

    [IterationSetup]
    public void EnrolFreshDevice()
    {
        var id = $"bench-meter-{_round}";
        var puf = PhotonicPufSimulator.Create(new PhotonicPufModel(), (ulong)(1000 + _round), 7);
        _round++;
        _device = new PufDevice(id, new PufResponseReader(puf, new GaborResponseQuantizer()), _settings);
        var request = _verifier.CreateEnrolmentRequest(id);
        var enrolled = _verifier.CompleteEnrolmentAsync(request, _device.Enrol(request)).GetAwaiter().GetResult();
        if (!enrolled.Succeeded)
        {
            throw new InvalidOperationException(enrolled.Detail);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _protector.Dispose();

    [Benchmark]
    public async Task<bool> Authenticate()
    {
        var start = await _verifier.BeginAuthenticationAsync(_device.Hello());
        var proof = _device.Respond(start.Challenge!).Proof!;
        var result = await _verifier.CompleteAuthenticationAsync(proof);
        using var session = _device.Complete(result.Confirmation!);
        result.Session?.Dispose();
        return session is not null;
    }

    private sealed class DiscardingSink : ISecurityEventSink
    {
        public ValueTask PublishAsync(SecurityEvent securityEvent, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
