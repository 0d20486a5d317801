using System.Globalization;

namespace Konfido.Custody.Tpm;

/// <summary>
/// Where the TPM is: a TCP socket speaking raw TPM 2.0 command/response bytes (<c>host:port</c>,
/// e.g. swtpm's <c>--server type=tcp</c> port) or a character device (<c>/dev/tpmrm0</c>, the
/// kernel's resource-managed TPM).
/// </summary>
public sealed record TpmEndpoint
{
    /// <summary>The default: swtpm on loopback, <c>127.0.0.1:2321</c>.</summary>
    public static TpmEndpoint Default { get; } = new("127.0.0.1", 2321, null);

    private TpmEndpoint(string? host, int port, string? devicePath)
    {
        Host = host;
        Port = port;
        DevicePath = devicePath;
    }

    /// <summary>The TCP host, or null for a device.</summary>
    public string? Host { get; }

    /// <summary>The TCP port, or 0 for a device.</summary>
    public int Port { get; }

    /// <summary>The device path, or null for a TCP socket.</summary>
    public string? DevicePath { get; }

    /// <summary>Parses <c>host:port</c> or an absolute device path; throws <see cref="FormatException"/> explaining why not.</summary>
    /// <param name="text">The endpoint text.</param>
    public static TpmEndpoint Parse(string text) =>
        TryParse(text, out var endpoint, out var reason) ? endpoint : throw new FormatException($"'{text}' is not a TPM endpoint: {reason}");

    /// <summary>Parses <c>host:port</c> or an absolute device path; false with the reason otherwise.</summary>
    /// <param name="text">The endpoint text.</param>
    /// <param name="endpoint">The endpoint.</param>
    /// <param name="reason">Why <paramref name="text"/> was refused, or null.</param>
    public static bool TryParse(string? text, out TpmEndpoint endpoint, out string? reason)
    {
        endpoint = Default;
        if (string.IsNullOrWhiteSpace(text))
        {
            reason = "it is empty";
            return false;
        }

        text = text.Trim();
        if (text.StartsWith('/'))
        {
            endpoint = new TpmEndpoint(null, 0, text);
            reason = null;
            return true;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            reason = "expected host:port (e.g. 127.0.0.1:2321) or a device path (e.g. /dev/tpmrm0)";
            return false;
        }

        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            reason = "the port must be a number from 1 to 65535";
            return false;
        }

        endpoint = new TpmEndpoint(text[..colon].Trim('[', ']'), port, null);
        reason = null;
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => DevicePath ?? $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";
}
