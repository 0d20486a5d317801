// TPM 2.0 commands, marshalled by hand.
// Reference: TCG TPM 2.0 Library Specification Part 3 "Commands" (rev. 1.59): §9.3 Startup,
// §12.1 Create, §12.2 Load, §12.7 Unseal, §16.1 GetRandom, §18.4 Quote, §20.2 Sign, §22.2 PCR_Extend,
// §22.4 PCR_Read, §22.8 PCR_Reset, §24.1 CreatePrimary, §28.4 FlushContext, §30.2 GetCapability.
// Authorisation: the password session TPM_RS_PW with an empty password (Part 1 §19.8.4), one per
// handle that needs USER or ADMIN authorisation.
using System.Security.Cryptography;

namespace Konfido.Custody.Tpm;

/// <summary>A loaded object's handle and the public area it was loaded with.</summary>
internal readonly record struct TpmObject(uint Handle, byte[] Public);

/// <summary>An object created under the storage key: its TPM-encrypted private part and its public area (both safe to store).</summary>
internal readonly record struct TpmObjectBlob(byte[] Private, byte[] Public);

/// <summary>An ECDSA signature from the TPM.</summary>
internal readonly record struct TpmEcdsaSignature(byte[] R, byte[] S)
{
    /// <summary>IEEE P1363 r‖s, 32+32 bytes.</summary>
    public byte[] ToP1363()
    {
        var result = new byte[64];
        R.AsSpan().CopyTo(result.AsSpan(32 - R.Length, R.Length));
        S.AsSpan().CopyTo(result.AsSpan(64 - S.Length, S.Length));
        return result;
    }
}

/// <summary>
/// One exclusive conversation with the TPM. On a swtpm TCP socket nobody else can talk to the TPM
/// while it is open, so sequences like load → use → flush never interleave with another process's;
/// objects left loaded by a crashed client are flushed when a session opens.
/// </summary>
internal sealed class TpmSession : IDisposable
{
    private readonly TpmTransport _transport;
    private readonly List<uint> _loaded = [];
    private readonly TpmStorageKeyAlgorithm _storageAlgorithm;
    private uint _storageKey;

    private TpmSession(TpmTransport transport, TpmStorageKeyAlgorithm storageAlgorithm)
    {
        _transport = transport;
        _storageAlgorithm = storageAlgorithm;
    }

    public static TpmSession Open(TpmEndpoint endpoint, TpmStorageKeyAlgorithm storageAlgorithm = TpmStorageKeyAlgorithm.EccP256)
    {
        var session = new TpmSession(TpmTransport.Open(endpoint), storageAlgorithm);
        try
        {
            session.Startup();
            if (endpoint.DevicePath is null)
            {
                foreach (var first in (ReadOnlySpan<uint>)[TpmRh.TransientFirst, TpmRh.PolicySessionFirst, TpmRh.HmacSessionFirst])
                {
                    foreach (var handle in session.GetHandles(first))
                    {
                        session.FlushContext(handle);
                    }
                }
            }

            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The storage primary key (created on first use in this session; deterministic from the owner seed).</summary>
    public uint StorageKey => _storageKey != 0 ? _storageKey : _storageKey = CreatePrimary(_storageAlgorithm);

    public void Startup()
    {
        var rc = Send(TpmCc.Startup, [], 0, w => w.U16(TpmConstants.StartupClear), 0, out _, out _, throwOnError: false);
        if (rc is not (TpmRc.Success or TpmRc.Initialize))
        {
            throw new TpmCommandException(TpmCc.Startup, rc);
        }
    }

    public byte[] GetRandom(int count)
    {
        var result = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            var want = (ushort)Math.Min(32, count - filled);
            var p = Execute(TpmCc.GetRandom, [], 0, w => w.U16(want), 0, out _);
            var r = new TpmReader(p);
            var bytes = r.Sized();
            if (bytes.Length == 0)
            {
                throw new TpmFormatException("TPM2_GetRandom returned no bytes.");
            }

            bytes.CopyTo(result.AsSpan(filled));
            filled += bytes.Length;
        }

        return result;
    }

    public uint CreatePrimary(TpmStorageKeyAlgorithm algorithm)
    {
        Execute(TpmCc.CreatePrimary, [TpmRh.Owner], 1, w =>
        {
            w.Sized(s => s.Sized([]).Sized([])); // inSensitive: empty userAuth, no data
            w.Sized(t => TpmTemplates.StoragePrimary(t, algorithm));
            w.Sized([]);   // outsideInfo
            w.U32(0);      // creationPCR: empty TPML_PCR_SELECTION
        }, 1, out var handles);
        _loaded.Add(handles[0]);
        return handles[0];
    }

    /// <summary>TPM2_Create under the storage key with <paramref name="template"/> and optional sensitive data.</summary>
    public TpmObjectBlob Create(Action<TpmWriter> template, ReadOnlySpan<byte> sensitiveData)
    {
        var data = sensitiveData.ToArray();
        try
        {
            var p = Execute(TpmCc.Create, [StorageKey], 1, w =>
            {
                w.Sized(s => s.Sized([]).Sized(data));
                w.Sized(template);
                w.Sized([]);
                w.U32(0);
            }, 0, out _, clearCommand: true);
            var r = new TpmReader(p);
            var priv = r.Sized().ToArray();
            var pub = r.Sized().ToArray();
            return new TpmObjectBlob(priv, pub);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(data);
        }
    }

    /// <summary>TPM2_Load under the storage key; throws <see cref="TpmCommandException"/> if the blob fails the TPM's integrity check.</summary>
    public TpmObject Load(TpmObjectBlob blob)
    {
        Execute(TpmCc.Load, [StorageKey], 1, w => w.Sized(blob.Private).Sized(blob.Public), 1, out var handles);
        _loaded.Add(handles[0]);
        return new TpmObject(handles[0], blob.Public);
    }

    /// <summary>TPM2_StartAuthSession of an unbound, unsalted policy session with SHA-256 (Part 3 §11.1).</summary>
    public uint StartPolicySession()
    {
        var nonceCaller = RandomNumberGenerator.GetBytes(16);
        Execute(TpmCc.StartAuthSession, [TpmRh.Null, TpmRh.Null], 0, w =>
        {
            w.Sized(nonceCaller);
            w.Sized([]);                     // encryptedSalt
            w.U8(TpmConstants.SessionPolicy);
            w.U16(TpmAlg.Null);              // symmetric: none
            w.U16(TpmAlg.Sha256);            // authHash
        }, 1, out var handles);
        _loaded.Add(handles[0]);
        return handles[0];
    }

    /// <summary>TPM2_PolicyPCR with an empty digest: the TPM folds in the PCR's current value (Part 3 §23.7).</summary>
    public void PolicyPcr(uint policySession, int pcr) =>
        Execute(TpmCc.PolicyPcr, [policySession], 0, w => { w.Sized([]); WritePcrSelection(w, pcr); }, 0, out _);

    /// <summary>TPM2_Unseal, authorised by the empty password or by <paramref name="policySession"/>;
    /// the caller owns (and must zeroise) the returned array.</summary>
    public byte[] Unseal(TpmObject sealedObject, uint policySession = 0)
    {
        var p = Execute(TpmCc.Unseal, [sealedObject.Handle], 1, null, 0, out _, authSession: policySession);
        _loaded.Remove(policySession); // the TPM ended the session with the command
        try
        {
            var r = new TpmReader(p);
            return r.Sized().ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(p);
        }
    }

    /// <summary>TPM2_Sign of a SHA-256 digest with the key's own ECDSA scheme (null validation ticket: unrestricted keys only).</summary>
    public TpmEcdsaSignature Sign(TpmObject key, ReadOnlySpan<byte> digest)
    {
        var d = digest.ToArray();
        var p = Execute(TpmCc.Sign, [key.Handle], 1, w =>
        {
            w.Sized(d);
            w.U16(TpmAlg.Null);                                      // inScheme: the key's scheme
            w.U16(TpmSt.HashCheck).U32(TpmRh.Null).Sized([]);        // validation: null ticket
        }, 0, out _);
        var r = new TpmReader(p);
        return ReadEcdsaSignature(ref r);
    }

    public void PcrExtend(int pcr, ReadOnlySpan<byte> sha256Digest)
    {
        var d = sha256Digest.ToArray();
        Execute(TpmCc.PcrExtend, [(uint)pcr], 1, w => w.U32(1).U16(TpmAlg.Sha256).Bytes(d), 0, out _);
    }

    public void PcrReset(int pcr) => Execute(TpmCc.PcrReset, [(uint)pcr], 1, null, 0, out _);

    public byte[] PcrRead(int pcr)
    {
        var p = Execute(TpmCc.PcrRead, [], 0, w => WritePcrSelection(w, pcr), 0, out _);
        var r = new TpmReader(p);
        r.U32();                        // pcrUpdateCounter
        var selections = r.U32();
        for (var i = 0; i < selections; i++)
        {
            r.U16();
            r.Take(r.U8());
        }

        if (r.U32() != 1)
        {
            throw new TpmFormatException($"TPM2_PCR_Read did not return PCR {pcr}.");
        }

        return r.Sized().ToArray();
    }

    /// <summary>TPM2_Quote over one SHA-256 PCR with <paramref name="qualifyingData"/> (the verifier's nonce).</summary>
    public (byte[] Attest, TpmEcdsaSignature Signature) Quote(TpmObject key, ReadOnlySpan<byte> qualifyingData, int pcr)
    {
        var nonce = qualifyingData.ToArray();
        var p = Execute(TpmCc.Quote, [key.Handle], 1, w =>
        {
            w.Sized(nonce);
            w.U16(TpmAlg.Null);
            WritePcrSelection(w, pcr);
        }, 0, out _);
        var r = new TpmReader(p);
        var attest = r.Sized().ToArray();
        return (attest, ReadEcdsaSignature(ref r));
    }

    public void FlushContext(uint handle)
    {
        Execute(TpmCc.FlushContext, [], 0, w => w.U32(handle), 0, out _);
        _loaded.Remove(handle);
        if (handle == _storageKey)
        {
            _storageKey = 0;
        }
    }

    public IReadOnlyList<uint> GetTransientHandles() => GetHandles(TpmRh.TransientFirst);

    /// <summary>The handles in use in the range starting at <paramref name="first"/> (TPM_CAP_HANDLES).</summary>
    public IReadOnlyList<uint> GetHandles(uint first)
    {
        var p = Execute(TpmCc.GetCapability, [], 0, w => w.U32(TpmConstants.CapabilityHandles).U32(first).U32(64), 0, out _);
        var r = new TpmReader(p);
        r.U8(); // moreData
        if (r.U32() != TpmConstants.CapabilityHandles)
        {
            throw new TpmFormatException("TPM2_GetCapability answered another capability.");
        }

        var count = r.U32();
        var handles = new List<uint>((int)Math.Min(count, 64));
        for (var i = 0; i < count; i++)
        {
            var handle = r.U32();
            if ((handle & 0xFF000000) == (first & 0xFF000000))
            {
                handles.Add(handle);
            }
        }

        return handles;
    }

    public void Dispose()
    {
        try
        {
            foreach (var handle in _loaded.ToArray())
            {
                try
                {
                    FlushContext(handle);
                }
                catch (TpmCommandException)
                {
                    // Already gone.
                }
            }
        }
        catch (TpmUnavailableException)
        {
            // The connection is gone; the next session flushes leftovers.
        }
        finally
        {
            _transport.Dispose();
        }
    }

    internal static void WritePcrSelection(TpmWriter w, int pcr)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pcr);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pcr, 23);
        Span<byte> select = stackalloc byte[3];
        select[pcr / 8] = (byte)(1 << (pcr % 8));
        w.U32(1).U16(TpmAlg.Sha256).U8(3).Bytes(select);
    }

    private static TpmEcdsaSignature ReadEcdsaSignature(ref TpmReader r)
    {
        if (r.U16() != TpmAlg.Ecdsa)
        {
            throw new TpmFormatException("The TPM signature is not ECDSA.");
        }

        r.U16(); // hash
        var sigR = r.Sized().ToArray();
        var sigS = r.Sized().ToArray();
        if (sigR.Length > 32 || sigS.Length > 32)
        {
            throw new TpmFormatException("The ECDSA signature is not P-256.");
        }

        return new TpmEcdsaSignature(sigR, sigS);
    }

    private byte[] Execute(uint commandCode, uint[] handles, int authorised, Action<TpmWriter>? parameters, int responseHandles,
        out uint[] outHandles, bool clearCommand = false, uint authSession = 0)
    {
        Send(commandCode, handles, authorised, parameters, responseHandles, out outHandles, out var p, throwOnError: true, clearCommand, authSession);
        return p;
    }

    private uint Send(uint commandCode, uint[] handles, int authorised, Action<TpmWriter>? parameters, int responseHandles,
        out uint[] outHandles, out byte[] responseParameters, bool throwOnError, bool clearCommand = false, uint authSession = 0)
    {
        var w = new TpmWriter();
        w.U16(authorised > 0 ? TpmSt.Sessions : TpmSt.NoSessions).U32(0).U32(commandCode);
        foreach (var handle in handles)
        {
            w.U32(handle);
        }

        if (authorised > 0)
        {
            // TPMS_AUTH_COMMAND per handle: TPM_RS_PW (or the given policy session, which needs no HMAC
            // because its policy asserts neither an auth value nor a password), empty nonce,
            // attributes 0 (a policy session ends with the command), empty password/HMAC.
            w.U32((uint)(authorised * 9));
            for (var i = 0; i < authorised; i++)
            {
                w.U32(authSession != 0 && i == 0 ? authSession : TpmRh.PasswordSession).U16(0).U8(0).U16(0);
            }
        }

        parameters?.Invoke(w);
        w.PatchU32(2, (uint)w.Length);
        byte[] response;
        try
        {
            response = _transport.Execute(w.AsSpan());
        }
        finally
        {
            if (clearCommand)
            {
                w.Clear();
            }
        }

        var r = new TpmReader(response);
        var tag = r.U16();
        r.U32();
        var rc = r.U32();
        outHandles = [];
        responseParameters = [];
        if (rc != TpmRc.Success)
        {
            return throwOnError ? throw new TpmCommandException(commandCode, rc) : rc;
        }

        outHandles = new uint[responseHandles];
        for (var i = 0; i < responseHandles; i++)
        {
            outHandles[i] = r.U32();
        }

        if (tag == TpmSt.Sessions)
        {
            var size = (int)r.U32();
            responseParameters = r.Take(size).ToArray();
        }
        else
        {
            responseParameters = r.Take(r.Remaining).ToArray();
        }

        CryptographicOperations.ZeroMemory(response);
        return rc;
    }
}
