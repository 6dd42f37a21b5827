/**
 * `!sig` production and matching (coinjoin-protocol.md §4.8 and §7 "Signing"): BIP143
 * P2WPKH, SIGHASH_ALL, amounts from the maker's own records; the taker tries each received
 * signature against every still-unsigned maker input. Pure.
 */
import { type Transaction } from 'bitcoinjs-lib';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { bytesToHex, concatBytes, derSignatureProblem, publicKeyOf, sha256, signDigestDer, verifyDigestDer } from '../crypto.js';
import { type SigPayload, SIGHASH_ALL, formatSigPlaintext } from './payloads.js';
import { type MakerUtxo, isP2wpkh } from './tx-check.js';

/** BIP143 scriptCode of a P2WPKH output: OP_DUP OP_HASH160 <h> OP_EQUALVERIFY OP_CHECKSIG. */
function scriptCode(p2wpkh: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0x76, 0xa9, 0x14), p2wpkh.subarray(2), Uint8Array.of(0x88, 0xac));
}

function p2wpkhOf(pub: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0x00, 0x14), ripemd160(sha256(pub)));
}

export interface SignedInput {
  index: number;
  /** `!sig` plaintext (to be encrypted with the session box). */
  plaintext: string;
}

/**
 * Signs the inputs `verifyUnsignedTx` returned. `privateKeyFor` yields the key of one of our
 * utxos; the key must own the utxo's script. Each signature is verified before it is returned.
 */
export function signMakerInputs(
  tx: Transaction,
  toSign: ReadonlyArray<{ index: number; utxo: MakerUtxo }>,
  privateKeyFor: (utxo: MakerUtxo) => Uint8Array,
): SignedInput[] {
  return toSign.map(({ index, utxo }) => {
    if (!isP2wpkh(utxo.scriptPubKey)) throw new Error(`input ${index} is not P2WPKH`);
    const priv = privateKeyFor(utxo);
    const pub = publicKeyOf(priv);
    if (bytesToHex(p2wpkhOf(pub)) !== bytesToHex(utxo.scriptPubKey)) throw new Error(`key does not own input ${index}`);
    const digest = tx.hashForWitnessV0(index, scriptCode(utxo.scriptPubKey), BigInt(utxo.valueSats), SIGHASH_ALL);
    const der = signDigestDer(digest, priv);
    return { index, plaintext: formatSigPlaintext(concatBytes(der, Uint8Array.of(SIGHASH_ALL)), pub) };
  });
}

/** A maker input the taker still needs a signature for (value from its own `gettxout`). */
export interface PendingInput {
  index: number;
  scriptPubKey: Uint8Array;
  valueSats: number;
}

/**
 * Why the witness built from this `!sig` would be non-standard, or null. The taker builds
 * [signature, pubkey] (a third push, sent by P2SH-wrapped makers, is not used): strict DER
 * with low S here; SIGHASH_ALL and a compressed key were checked by parseSigPlaintext.
 */
export function nonStandardSig(sig: SigPayload): string | null {
  return derSignatureProblem(sig.signature.subarray(0, sig.signature.length - 1));
}

/** The pending input this `!sig` verifies for, or null (REF tries each in turn). */
export function matchSignature(tx: Transaction, sig: SigPayload, pending: readonly PendingInput[]): number | null {
  const script = bytesToHex(p2wpkhOf(sig.pubkey));
  const der = sig.signature.subarray(0, sig.signature.length - 1);
  for (const p of pending) {
    if (!isP2wpkh(p.scriptPubKey) || bytesToHex(p.scriptPubKey) !== script) continue;
    const digest = tx.hashForWitnessV0(p.index, scriptCode(p.scriptPubKey), BigInt(p.valueSats), SIGHASH_ALL);
    if (verifyDigestDer(der, digest, sig.pubkey)) return p.index;
  }
  return null;
}
