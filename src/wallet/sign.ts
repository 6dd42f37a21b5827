/**
 * Input signing (wallet-and-bonds.md §3 "Signing", §6 witness): BIP143, SIGHASH_ALL.
 * P2WPKH witness [sig||01, pubkey]; bond (P2WSH CLTV) witness [sig||01, witnessScript].
 */
import { payments, script, Transaction } from 'bitcoinjs-lib';

export interface EcSigner {
  publicKey: Uint8Array;
  sign(hash: Uint8Array): Uint8Array;
}

const SIGHASH_ALL = Transaction.SIGHASH_ALL;

export function signP2wpkhInput(tx: Transaction, index: number, key: EcSigner, valueSat: bigint): void {
  checkIndex(tx, index);
  const scriptCode = payments.p2pkh({ pubkey: key.publicKey }).output;
  if (!scriptCode) throw new Error('p2wpkh scriptCode');
  const sig = key.sign(tx.hashForWitnessV0(index, scriptCode, valueSat, SIGHASH_ALL));
  tx.setWitness(index, [script.signature.encode(sig, SIGHASH_ALL), key.publicKey]);
}

export function signBondInput(tx: Transaction, index: number, key: EcSigner, witnessScript: Uint8Array, valueSat: bigint): void {
  checkIndex(tx, index);
  const sig = key.sign(tx.hashForWitnessV0(index, witnessScript, valueSat, SIGHASH_ALL));
  tx.setWitness(index, [script.signature.encode(sig, SIGHASH_ALL), witnessScript]);
}

function checkIndex(tx: Transaction, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= tx.ins.length) throw new RangeError(`input index ${index} out of range (tx has ${tx.ins.length})`);
}

/** Raw-serialization txid bytes (reversed display order). */
export function txidToHash(txid: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(txid)) throw new Error(`bad txid ${txid}`);
  return Uint8Array.from(Buffer.from(txid, 'hex').reverse());
}
