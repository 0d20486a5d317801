// RFC 6962 / RFC 9162 Merkle tree hashing and inclusion-proof verification in the browser,
// so that an auditor need not take the node's word for a proof (RFC 9162 section 2.1.3.2).
// SHA-256 from WebCrypto; leaf hash = SHA-256(0x00 || entry), node hash = SHA-256(0x01 || left || right).

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

function concat(prefix, ...parts) {
  const out = new Uint8Array(1 + parts.reduce((n, p) => n + p.length, 0));
  out[0] = prefix;
  let offset = 1;
  for (const p of parts) { out.set(p, offset); offset += p.length; }
  return out;
}

export function fromBase64(text) {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function toBase64(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export const leafHash = entry => sha256(concat(0x00, entry));
const nodeHash = (left, right) => sha256(concat(0x01, left, right));

function equal(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** The origin, size and root of a C2SP checkpoint (the signed note's first three lines). */
export function parseCheckpoint(note) {
  const lines = note.split('\n');
  if (lines.length < 3 || !/^\d+$/.test(lines[1])) throw new Error('not a checkpoint');
  return { origin: lines[0], size: BigInt(lines[1]), root: fromBase64(lines[2]) };
}

/**
 * Verifies that `entry` is leaf `index` of the tree of `size` leaves whose root is `root`.
 * Returns { valid, computedRoot, reason }.
 */
export async function verifyInclusion(index, size, entry, proof, root) {
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  if (fn > sn) return { valid: false, reason: `index ${index} is not below size ${size}` };
  let r = await leafHash(entry);
  for (const p of proof) {
    if (sn === 0n) return { valid: false, reason: 'the proof is longer than the tree is deep' };
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) return { valid: false, computedRoot: r, reason: 'the proof is shorter than the tree is deep' };
  return equal(r, root)
    ? { valid: true, computedRoot: r }
    : { valid: false, computedRoot: r, reason: 'the recomputed root differs from the checkpoint root' };
}
