// Constants of the TPM 2.0 command protocol.
// Reference: TCG TPM 2.0 Library Specification, Part 2 "Structures" (rev. 1.59), §6 (constants:
// TPM_ALG_ID, TPM_ECC_CURVE, TPM_CC, TPM_ST, TPM_SU, TPM_CAP), §7 (handles, TPM_RS_PW) and §8 (TPMA_OBJECT).
namespace Konfido.Custody.Tpm;

internal static class TpmAlg
{
    public const ushort Rsa = 0x0001;
    public const ushort Sha256 = 0x000B;
    public const ushort Aes = 0x0006;
    public const ushort KeyedHash = 0x0008;
    public const ushort Null = 0x0010;
    public const ushort Ecdsa = 0x0018;
    public const ushort Ecc = 0x0023;
    public const ushort Cfb = 0x0043;
}

internal static class TpmEccCurve
{
    public const ushort NistP256 = 0x0003;
}

internal static class TpmCc
{
    public const uint PcrReset = 0x0000013D;
    public const uint CreatePrimary = 0x00000131;
    public const uint Startup = 0x00000144;
    public const uint StartAuthSession = 0x00000176;
    public const uint PolicyPcr = 0x0000017F;
    public const uint Create = 0x00000153;
    public const uint Load = 0x00000157;
    public const uint Quote = 0x00000158;
    public const uint Sign = 0x0000015D;
    public const uint Unseal = 0x0000015E;
    public const uint FlushContext = 0x00000165;
    public const uint GetCapability = 0x0000017A;
    public const uint GetRandom = 0x0000017B;
    public const uint PcrRead = 0x0000017E;
    public const uint PcrExtend = 0x00000182;
}

internal static class TpmSt
{
    public const ushort NoSessions = 0x8001;
    public const ushort Sessions = 0x8002;
    public const ushort AttestQuote = 0x8018;
    public const ushort HashCheck = 0x8024;
}

internal static class TpmRh
{
    public const uint Owner = 0x40000001;
    public const uint Null = 0x40000007;
    public const uint PasswordSession = 0x40000009; // TPM_RS_PW
    public const uint TransientFirst = 0x80000000;
    public const uint HmacSessionFirst = 0x02000000;
    public const uint PolicySessionFirst = 0x03000000;
}

internal static class TpmRc
{
    public const uint Success = 0x000;
    public const uint Initialize = 0x100; // TPM_RC_INITIALIZE: Startup already done
}

/// <summary>TPMA_OBJECT bits (Part 2 §8.3).</summary>
[Flags]
internal enum TpmObjectAttributes : uint
{
    None = 0,
    FixedTpm = 1u << 1,
    FixedParent = 1u << 4,
    SensitiveDataOrigin = 1u << 5,
    UserWithAuth = 1u << 6,
    NoDictionaryAttack = 1u << 10,
    Restricted = 1u << 16,
    Decrypt = 1u << 17,
    Sign = 1u << 18,
}

internal static class TpmConstants
{
    /// <summary>TPM_GENERATED_VALUE, the magic of every TPMS_ATTEST.</summary>
    public const uint Generated = 0xFF544347;

    /// <summary>TPM_SU_CLEAR.</summary>
    public const ushort StartupClear = 0x0000;

    /// <summary>TPM_CAP_HANDLES.</summary>
    public const uint CapabilityHandles = 0x00000001;

    /// <summary>TPM_SE_POLICY.</summary>
    public const byte SessionPolicy = 0x01;

    /// <summary>MAX_SYM_DATA: the largest sealed data object.</summary>
    public const int MaxSealedData = 128;
}
