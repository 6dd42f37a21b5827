/**
 * The fastest libsecp256k1 at hand for ECDSA (verification on the directory, signing in load
 * generators): the native N-API binding of the
 * `secp256k1` package (prebuilt for linux-x64, darwin-arm64, win32-x64), else the same library
 * compiled to WASM (tiny-secp256k1). Both are Bitcoin Core's libsecp256k1; the native one is
 * about 5× faster (docs/performance.md), which is what keeps a burst of nick-auth proofs cheap.
 * We load the binding directly so a platform without a prebuild never falls back to the
 * package's pure-JS `elliptic` path.
 */
import { createRequire } from 'node:module';
import * as tiny from 'tiny-secp256k1';

/** The package's checked API over the addon; it throws when the pubkey does not parse. */
interface NativeSecp {
  ecdsaVerify(sig: Uint8Array, msg32: Uint8Array, pubkey: Uint8Array): boolean;
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array };
}

function loadNative(): NativeSecp | null {
  try {
    const b = createRequire(import.meta.url)('secp256k1/bindings.js') as NativeSecp;
    return typeof b.ecdsaVerify === 'function' ? b : null;
  } catch {
    return null;
  }
}

const native = loadNative();

/** Which implementation verifies (for logs and the benchmark). */
export const SECP_BACKEND: 'native' | 'wasm' = native ? 'native' : 'wasm';

/**
 * Verifies a 64-byte r‖s signature over a 32-byte digest. High-S is refused (as libsecp256k1's
 * verify does). Returns 'malformed' when the public key is not a point on the curve.
 */
export function verifyCompact(digest: Uint8Array, pub: Uint8Array, compact: Uint8Array): 'ok' | 'invalid' | 'malformed' {
  try {
    if (native) return native.ecdsaVerify(compact, digest, pub) ? 'ok' : 'invalid';
    return tiny.verify(digest, pub, compact, true) ? 'ok' : 'invalid';
  } catch {
    return 'malformed';
  }
}

/** RFC 6979, low-S, 64-byte r‖s (both backends produce the same bytes). */
export function signCompact(digest: Uint8Array, priv: Uint8Array): Uint8Array {
  return native ? native.ecdsaSign(digest, priv).signature : tiny.sign(digest, priv);
}
