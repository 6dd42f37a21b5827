/**
 * End-to-end encryption of `auth`/`ioauth`/`tx`/`sig` (coinjoin-protocol.md §5):
 * libsodium crypto_box (X25519 → HSalsa20 → XSalsa20-Poly1305) via tweetnacl.
 * Wire form E(x) = base64(nonce[24] ‖ box(ascii x)), a fresh random nonce per message.
 * Pure: randomness (secret keys, nonces) is injected by the caller.
 */
import { generateKeyPairSync } from 'node:crypto';
import nacl from 'tweetnacl';
import { bytesToHex, fromBase64, toBase64, tryHex } from '../crypto.js';
import { type Result, ok, fail } from './result.js';

export const NACL_KEY_BYTES = 32;
export const NACL_NONCE_BYTES = 24;
const MAC_BYTES = 16;

export interface NaclKeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  /** Lowercase hex of publicKey, as sent in `!fill` / `!pubkey`. */
  publicKeyHex: string;
}

/** Keypair from 32 secret bytes (REF generates a fresh one per taker session). */
export function naclKeyPairFromSecret(secretKey: Uint8Array): NaclKeyPair {
  if (secretKey.length !== NACL_KEY_BYTES) throw new RangeError('nacl secret key must be 32 bytes');
  const kp = nacl.box.keyPair.fromSecretKey(secretKey);
  return { secretKey: kp.secretKey, publicKey: kp.publicKey, publicKeyHex: bytesToHex(kp.publicKey) };
}

/**
 * A fresh random keypair from the platform's X25519 (OpenSSL), the same curve and key format
 * nacl.box uses: about 5× cheaper than deriving the public key with tweetnacl, which matters
 * to a maker answering every valid-looking `!fill`. (Randomness is the platform's here.)
 */
export function randomNaclKeyPair(): NaclKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519', {
    privateKeyEncoding: { format: 'der', type: 'pkcs8' }, publicKeyEncoding: { format: 'der', type: 'spki' },
  });
  // both DER forms end with the raw 32-byte key
  const secretKey = new Uint8Array(privateKey.subarray(privateKey.length - NACL_KEY_BYTES));
  const pub = new Uint8Array(publicKey.subarray(publicKey.length - NACL_KEY_BYTES));
  return { secretKey, publicKey: pub, publicKeyHex: Buffer.from(pub).toString('hex') }; // a flat string: sessions keep it
}

/** A NaCl public key from the wire: exactly 64 hex chars (canonicalised to lowercase). */
export function parseNaclPublicKeyHex(text: string): Result<Uint8Array> {
  if (text.length !== 2 * NACL_KEY_BYTES) return fail(`nacl pubkey must be 64 hex chars, got ${text.length}`);
  const b = tryHex(text);
  return b ? ok(b) : fail('nacl pubkey is not hex');
}

/** A session box: our secret key and the counterparty's public key, precomputed. */
export interface CjBox {
  readonly sharedKey: Uint8Array;
}

/** Maker: (maker_sk, taker_pk); taker: (taker_sk, maker_pk). */
export function makeBox(mySecretKey: Uint8Array, theirPublicKey: Uint8Array): CjBox {
  if (mySecretKey.length !== NACL_KEY_BYTES || theirPublicKey.length !== NACL_KEY_BYTES) {
    throw new RangeError('makeBox: keys must be 32 bytes');
  }
  return { sharedKey: nacl.box.before(theirPublicKey, mySecretKey) };
}

/** E(plaintext) with the given 24-byte nonce; the box verifies it can open its own output. */
export function encryptMessage(box: CjBox, plaintext: string, nonce: Uint8Array): string {
  if (nonce.length !== NACL_NONCE_BYTES) throw new RangeError('encryptMessage: nonce must be 24 bytes');
  const msg = new TextEncoder().encode(plaintext);
  const sealed = nacl.box.after(msg, nonce, box.sharedKey);
  const wire = new Uint8Array(NACL_NONCE_BYTES + sealed.length);
  wire.set(nonce, 0);
  wire.set(sealed, NACL_NONCE_BYTES);
  const b64 = toBase64(wire);
  const back = decryptMessage(box, b64);
  if (!back.ok || back.value !== plaintext) throw new Error('encryptMessage: self-check failed');
  return b64;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Opens E(x); any malformed or forged input yields {ok:false}. */
export function decryptMessage(box: CjBox, b64: string): Result<string> {
  const wire = fromBase64(b64);
  if (!wire) return fail('ciphertext is not base64');
  if (wire.length < NACL_NONCE_BYTES + MAC_BYTES) return fail('ciphertext too short');
  const opened = nacl.box.open.after(wire.subarray(NACL_NONCE_BYTES), wire.subarray(0, NACL_NONCE_BYTES), box.sharedKey);
  if (!opened) return fail('decryption failed (wrong key or tampered message)');
  try {
    return ok(utf8.decode(opened));
  } catch {
    return fail('plaintext is not valid UTF-8');
  }
}
