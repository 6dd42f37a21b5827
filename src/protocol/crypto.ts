/**
 * Bitcoin-message signatures as JoinMarket uses them (wire-protocol.md §5.3,
 * wallet-and-bonds.md §1): H = SHA256d(0x18 "Bitcoin Signed Message:\n" varint(len) msg),
 * ECDSA over secp256k1, DER, low-S, standard base64. Pure; built on @noble/curves.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { createHash } from 'node:crypto';

export { bytesToHex, hexToBytes, concatBytes, utf8ToBytes, sha256 };

const MAGIC = utf8ToBytes('\x18Bitcoin Signed Message:\n');

export function hash256(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}

/** Bitcoin CompactSize varint. */
export function varint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint: bad length ${n}`);
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >>> 8);
  if (n <= 0xffffffff) {
    const out = new Uint8Array(5);
    out[0] = 0xfe;
    new DataView(out.buffer).setUint32(1, n, true);
    return out;
  }
  throw new RangeError('varint: length over 2^32');
}

/** The Bitcoin signed-message hash of raw bytes or a UTF-8 string. */
export function messageHash(msg: Uint8Array | string): Uint8Array {
  const m = typeof msg === 'string' ? utf8ToBytes(msg) : msg;
  return hash256(concatBytes(MAGIC, varint(m.length), m));
}

const MAGIC_BYTES = Buffer.from(MAGIC);

/** messageHash() with the platform's SHA-256, for hot paths (privmsg and nick-auth verification). */
export function messageHashNative(msg: Uint8Array | string): Uint8Array {
  const m = typeof msg === 'string' ? Buffer.from(msg, 'utf8') : msg;
  const once = createHash('sha256').update(MAGIC_BYTES).update(varint(m.length)).update(m).digest();
  return new Uint8Array(createHash('sha256').update(once).digest());
}

export function isValidPrivateKey(key: Uint8Array): boolean {
  return key.length === 32 && secp256k1.utils.isValidSecretKey(key);
}

export function randomPrivateKey(): Uint8Array {
  return secp256k1.utils.randomSecretKey();
}

/** 33-byte compressed SEC1 public key. */
export function publicKeyOf(priv: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(priv, true);
}

export function isValidPublicKey(pub: Uint8Array): boolean {
  if (pub.length !== 33 || (pub[0] !== 2 && pub[0] !== 3)) return false;
  try {
    secp256k1.Point.fromBytes(pub).assertValidity();
    return true;
  } catch {
    return false;
  }
}

/** DER signature (low-S, RFC 6979) over a 32-byte digest. Verifies its own output. */
export function signDigestDer(digest: Uint8Array, priv: Uint8Array): Uint8Array {
  if (digest.length !== 32) throw new RangeError('signDigestDer: digest must be 32 bytes');
  const der = secp256k1.sign(digest, priv, { prehash: false, lowS: true, format: 'der' });
  if (!verifyDigestDer(der, digest, publicKeyOf(priv))) throw new Error('signDigestDer: self-check failed');
  return der;
}

/**
 * Verifies a DER signature; high-S is normalised first (the lenient, Core-like choice the
 * spec recommends). Never throws on malformed input: returns false.
 */
export function verifyDigestDer(der: Uint8Array, digest: Uint8Array, pub: Uint8Array): boolean {
  try {
    let sig = secp256k1.Signature.fromBytes(der, 'der');
    if (sig.hasHighS()) sig = new secp256k1.Signature(sig.r, secp256k1.Point.CURVE().n - sig.s);
    return secp256k1.verify(sig.toBytes('compact'), digest, pub, { prehash: false, lowS: true });
  } catch {
    return false;
  }
}

const CURVE_ORDER = secp256k1.Point.CURVE().n;

/**
 * Strict DER (BIP 66 shape, as ng checks it): minimal lengths, no superfluous zero bytes, no
 * negative integers, 1 ≤ r, s < n. Returns the 64-byte compact form, or null.
 */
export function parseStrictDer(sig: Uint8Array): Uint8Array | null {
  const n = sig.length;
  if (n < 8 || n > 72 || sig[0] !== 0x30 || sig[1] !== n - 2 || sig[2] !== 0x02) return null;
  const rLen = sig[3]!;
  if (rLen === 0 || 5 + rLen >= n) return null;
  const r = readInt(sig, 4, rLen);
  if (r === null) return null;
  const sAt = 4 + rLen;
  if (sig[sAt] !== 0x02) return null;
  const sLen = sig[sAt + 1]!;
  if (sLen === 0 || sAt + 2 + sLen !== n) return null;
  const s = readInt(sig, sAt + 2, sLen);
  if (s === null) return null;
  const out = new Uint8Array(64);
  out.set(r, 32 - r.length);
  out.set(s, 64 - s.length);
  return out;
}

const CURVE_ORDER_BYTES = hexToBytes(CURVE_ORDER.toString(16).padStart(64, '0'));

/** A positive, minimally encoded integer in [1, n), without its sign byte (≤ 32 bytes). */
function readInt(b: Uint8Array, at: number, len: number): Uint8Array | null {
  if (b[at]! & 0x80) return null;
  if (len > 1 && b[at] === 0 && !(b[at + 1]! & 0x80)) return null;
  let v = b.subarray(at, at + len);
  if (v[0] === 0) v = v.subarray(1);
  if (v.length === 0 || v.length > 32) return null; // 0, or wider than n
  if (v.length < 32) return v; // minimal and non-zero: 1 ≤ v < 2^248 < n
  // Big-endian compare with n, byte by byte (no BigInt on the verification hot path).
  for (let i = 0; i < 32; i++) if (v[i] !== CURVE_ORDER_BYTES[i]) return v[i]! < CURVE_ORDER_BYTES[i]! ? v : null;
  return null; // equal to n
}

const HALF_ORDER_BYTES = hexToBytes((CURVE_ORDER >> 1n).toString(16).padStart(64, '0'));

/**
 * A 64-byte r ‖ s with S at most n/2: a high S is replaced by n − S (the same signature for a
 * lenient verifier; libsecp256k1's verify accepts only low S). Returns the input when S is low.
 */
export function normaliseLowS(compact: Uint8Array): Uint8Array {
  const s = compact.subarray(32, 64);
  let high = false;
  for (let i = 0; i < 32; i++) {
    if (s[i] !== HALF_ORDER_BYTES[i]) {
      high = s[i]! > HALF_ORDER_BYTES[i]!;
      break;
    }
  }
  if (!high) return compact;
  const out = Uint8Array.from(compact);
  out.set(hexToBytes((CURVE_ORDER - BigInt(`0x${bytesToHex(s)}`)).toString(16).padStart(64, '0')), 32);
  return out;
}

/** Minimal DER of a 64-byte compact signature. */
export function compactToDer(compact: Uint8Array): Uint8Array {
  const enc = (x: Uint8Array): number[] => {
    let i = 0;
    while (i < x.length - 1 && x[i] === 0) i++;
    const v = [...x.subarray(i)];
    return v[0]! & 0x80 ? [0, ...v] : v;
  };
  const r = enc(compact.subarray(0, 32));
  const s = enc(compact.subarray(32, 64));
  return Uint8Array.from([0x30, 4 + r.length + s.length, 0x02, r.length, ...r, 0x02, s.length, ...s]);
}

/**
 * Why a DER signature (without its sighash byte) would make a transaction non-standard, or
 * null: BIP66 strict encoding (parseStrictDer) and low S (S ≤ n/2, Core's standardness rule;
 * a high-S signature verifies only after normalising, as verifyDigestDer does).
 */
export function derSignatureProblem(der: Uint8Array): string | null {
  const compact = parseStrictDer(der);
  if (!compact) return 'not a strict DER signature (BIP66)';
  const s = BigInt(`0x${bytesToHex(compact.subarray(32))}`);
  if (s > CURVE_ORDER >> 1n) return 'high-S signature (non-standard: Core relays only low-S)';
  return null;
}

export function signMessageDer(msg: Uint8Array | string, priv: Uint8Array): Uint8Array {
  return signDigestDer(messageHash(msg), priv);
}

export function verifyMessageDer(der: Uint8Array, msg: Uint8Array | string, pub: Uint8Array): boolean {
  return verifyDigestDer(der, messageHash(msg), pub);
}

export function toBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Lenient base64 decode (missing padding accepted, pitfall 29); null when not base64. */
export function fromBase64(s: string): Uint8Array | null {
  if (!B64.test(s)) return null;
  const body = s.replace(/=+$/, '');
  if (body.length % 4 === 1) return null;
  return new Uint8Array(Buffer.from(body, 'base64'));
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
/** Hex decode that returns null instead of throwing. */
export function tryHex(s: string): Uint8Array | null {
  return HEX.test(s) ? hexToBytes(s.toLowerCase()) : null;
}
