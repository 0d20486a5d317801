// C2SP signed notes (c2sp.org/signed-note) and witness cosignatures (c2sp.org/tlog-cosignature,
// cosignature/v1) verified in the browser with WebCrypto's Ed25519 (RFC 8032).
// Verifier key: "<name>+<key ID, 8 hex>+<base64(type || 32-byte public key)>"; type 0x01 signs the
// note text, type 0x04 signs "cosignature/v1\ntime <t>\n" || text with an 8-byte big-endian timestamp
// in front of the 64-byte signature. A signature line is "— <name> base64(key ID (4, BE) || signature)".
import { fromBase64 } from './merkle.js';

const encoder = new TextEncoder();

/** Splits a serialised note into its text (ending in a newline) and signature lines. */
export function parseNote(serialised) {
  const split = serialised.lastIndexOf('\n\n');
  if (split < 0) throw new Error('not a signed note: no blank line before the signatures');
  const text = serialised.slice(0, split + 1);
  const signatures = serialised.slice(split + 2).split('\n').filter(line => line.length > 0).map(line => {
    const match = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!match) throw new Error(`not a signature line: ${line}`);
    const blob = fromBase64(match[2]);
    return { name: match[1], keyId: new DataView(blob.buffer).getUint32(0), signature: blob.slice(4) };
  });
  return { text, signatures };
}

/** Parses a verifier key string. */
export function parseVerifierKey(key) {
  // The name has no '+'; the base64 part may.
  const match = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(key);
  if (!match) throw new Error(`not a verifier key: ${key}`);
  const blob = fromBase64(match[3]);
  return { name: match[1], keyId: parseInt(match[2], 16), type: blob[0], publicKey: blob.slice(1) };
}

async function ed25519(publicKey, signature, message) {
  try {
    const key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
  } catch {
    return false; // not a valid public key: nothing verifies under it
  }
}

/** True if `signature` (a parsed signature line) is valid for `key` (a parsed verifier key) over `text`. */
export async function verifySignature(key, signature, text) {
  if (signature.name !== key.name || signature.keyId !== key.keyId) return false;
  const body = encoder.encode(text);
  if (key.type === 0x01 && signature.signature.length === 64) {
    return ed25519(key.publicKey, signature.signature, body);
  }
  if (key.type === 0x04 && signature.signature.length === 72) {
    const time = new DataView(signature.signature.buffer, signature.signature.byteOffset).getBigUint64(0);
    const header = encoder.encode(`cosignature/v1\ntime ${time}\n`);
    const message = new Uint8Array(header.length + body.length);
    message.set(header);
    message.set(body, header.length);
    return ed25519(key.publicKey, signature.signature.slice(8), message);
  }
  return false;
}

/**
 * Checks a signed checkpoint: the log's signature, and how many of the witnesses validly cosigned it.
 * Returns { logSigned, cosigners: [names], quorum: bool }.
 */
export async function verifyCheckpoint(serialised, logKey, witnessKeys, threshold) {
  const note = parseNote(serialised);
  const log = parseVerifierKey(logKey);
  const witnesses = witnessKeys.map(parseVerifierKey);
  let logSigned = false;
  const cosigners = new Set();
  for (const signature of note.signatures) {
    if (await verifySignature(log, signature, note.text)) logSigned = true;
    for (const witness of witnesses) {
      if (await verifySignature(witness, signature, note.text)) cosigners.add(witness.name);
    }
  }
  return { logSigned, cosigners: [...cosigners], quorum: cosigners.size >= threshold };
}
