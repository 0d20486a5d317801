using System.Globalization;

namespace Konfido.Custody.Tpm;

/// <summary>The TPM could not be reached (no socket listening, no device, connection lost).</summary>
public sealed class TpmUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, naming the endpoint.</param>
    /// <param name="inner">The cause.</param>
    public TpmUnavailableException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>A TPM command returned an error response code.</summary>
public sealed class TpmCommandException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="commandCode">The TPM_CC of the command.</param>
    /// <param name="responseCode">The TPM_RC returned.</param>
    public TpmCommandException(uint commandCode, uint responseCode)
        : base(string.Create(CultureInfo.InvariantCulture, $"TPM command 0x{commandCode:X8} failed with response code 0x{responseCode:X3}."))
    {
        CommandCode = commandCode;
        ResponseCode = responseCode;
    }

    /// <summary>The TPM_CC of the failed command.</summary>
    public uint CommandCode { get; }

    /// <summary>The TPM_RC it returned.</summary>
    public uint ResponseCode { get; }
}
