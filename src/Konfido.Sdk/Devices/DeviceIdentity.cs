using Konfido.Puf.Keys;
using Konfido.Puf.Protocol;
using Konfido.Puf.Simulation;

namespace Konfido.Sdk;

/// <summary>
/// A device's identity: its id and its PUF (a driver for the real optics, or the photonic simulation),
/// which answers the node's challenges so that the device's key is never stored anywhere. One
/// authentication at a time (the SDK serialises them).
/// </summary>
public sealed class DeviceIdentity
{
    private static readonly byte[] StorageKeySeed = "konfido-sdk journal key v1"u8.ToArray();

    private DeviceIdentity(string deviceId, PufDevice puf, PufProtocolSettings settings)
    {
        DeviceId = deviceId;
        Puf = puf;
        Settings = settings;
    }

    /// <summary>The device's identity (e.g. a serial number).</summary>
    public string DeviceId { get; }

    internal PufDevice Puf { get; }

    internal PufProtocolSettings Settings { get; }

    internal SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>
    /// A device whose PUF is read through <paramref name="driver"/> (real hardware: SLM, laser, camera),
    /// binarised by the default Gabor quantizer. Requires a device id of 1..128 printable characters and a driver with square 64×64 frames.
    /// </summary>
    /// <param name="deviceId">The identity.</param>
    /// <param name="driver">The PUF driver.</param>
    /// <param name="settings">The protocol settings the node uses (the defaults if null).</param>
    public static DeviceIdentity FromDriver(string deviceId, IPufDriver driver, PufProtocolSettings? settings = null)
    {
        CheckId(deviceId);
        ArgumentNullException.ThrowIfNull(driver);
        var reader = new PufResponseReader(driver, new GaborResponseQuantizer(driver.FrameWidth));
        var chosen = settings ?? DefaultSettings.Value;
        return new DeviceIdentity(deviceId, new PufDevice(deviceId, reader, chosen), chosen);
    }

    /// <summary>
    /// A device with a simulated photonic PUF: <paramref name="mediumSeed"/> is the scattering medium (the
    /// same seed is a physical copy, a clone), <paramref name="noiseSeed"/> the measurement noise.
    /// </summary>
    /// <param name="deviceId">The identity.</param>
    /// <param name="mediumSeed">Which disordered medium.</param>
    /// <param name="noiseSeed">The noise stream (defaults to a value derived from the medium).</param>
    public static DeviceIdentity Simulated(string deviceId, ulong mediumSeed, ulong? noiseSeed = null)
    {
        CheckId(deviceId);
        var model = new PhotonicPufModel();
        return FromDriver(deviceId, PhotonicPufSimulator.Create(model, mediumSeed, noiseSeed ?? (mediumSeed * 0x9E3779B97F4A7C15UL) + 1));
    }

    /// <summary>
    /// The device's storage key (256 bits) from its PUF through the fuzzy extractor: created on first use with its public
    /// helper data written to <paramref name="helperPath"/>, reproduced from a fresh read afterwards. The key is never
    /// stored; another device (or a copy of the folder) cannot reproduce it. Throws <see cref="InvalidDataException"/>
    /// if the helper data does not reproduce a key (another device's folder, or altered).
    /// </summary>
    internal byte[] StorageKey(string helperPath)
    {
        var extractor = new FuzzyExtractor(Settings.Code);
        Gate.Wait();
        try
        {
            if (File.Exists(helperPath))
            {
                var reproduced = Puf.ReproduceLocalKey(StorageKeySeed, extractor, File.ReadAllBytes(helperPath));
                return reproduced.Key ?? throw new InvalidDataException($"{helperPath}: this device's PUF does not reproduce the journal key ({reproduced.Failure}): another device's folder, or altered");
            }

            var generated = Puf.CreateLocalKey(StorageKeySeed, extractor);
            using (var stream = new FileStream(helperPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
            {
                stream.Write(generated.HelperData);
                stream.Flush(flushToDisk: true);
            }

            return generated.Key;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static void CheckId(string deviceId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceId);
        if (deviceId.Length > 128 || deviceId.Any(c => c < 0x21 || c > 0x7E))
        {
            throw new ArgumentException("a device id is 1..128 printable ASCII characters without spaces", nameof(deviceId));
        }
    }

    private static readonly Lazy<PufProtocolSettings> DefaultSettings = new(() => PufProtocolSettings.Create());
}
