/** Signature tricks a hostile peer plays, for tests. */
import { secp256k1 } from '@noble/curves/secp256k1.js';

/** The high-S twin of a DER signature (same r, n − s): valid for a lenient verifier, non-standard for Core. */
export function toHighS(der: Uint8Array): Uint8Array {
  const sig = secp256k1.Signature.fromBytes(der, 'der');
  const s = sig.s > secp256k1.Point.CURVE().n >> 1n ? sig.s : secp256k1.Point.CURVE().n - sig.s;
  return new secp256k1.Signature(sig.r, s).toBytes('der');
}
