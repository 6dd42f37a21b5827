/**
 * Spending an expired fidelity bond (wallet-and-bonds.md §6). We follow NG: version 2,
 * nLockTime = L (the earliest final value), nSequence 0xFFFFFFFE, and refuse unless L < MTP.
 */
import { Transaction } from 'bitcoinjs-lib';
import { parseFreezeScript } from './bond-script.js';
import { DUST_LIMIT_SAT } from './coin-select.js';
import { signBondInput, txidToHash, type EcSigner } from './sign.js';
import { BOND_INPUT_WU, feeFor, outputWeight, TX_OVERHEAD_WU } from './vsize.js';

export const BOND_SPEND_SEQUENCE = 0xfffffffe;

export interface BondSpendArgs {
  txid: string;
  vout: number;
  valueSat: bigint;
  witnessScript: Uint8Array;
  key: EcSigner;
  destinationScript: Uint8Array;
  satPerVb: number;
}

/** BIP113: a timestamp-locked tx is final once nLockTime < median-time-past of the tip. */
export function isBondSpendable(locktime: number, medianTimePast: number): boolean {
  return locktime < medianTimePast;
}

export function buildBondSpend(a: BondSpendArgs): { tx: Transaction; feeSat: bigint; locktime: number } {
  const parsed = parseFreezeScript(a.witnessScript);
  if (!parsed) throw new Error('not a canonical fidelity-bond witness script');
  if (Buffer.compare(Buffer.from(parsed.pubkey), Buffer.from(a.key.publicKey)) !== 0) throw new Error('the key does not match the bond script');
  const feeSat = feeFor(TX_OVERHEAD_WU + BOND_INPUT_WU(a.witnessScript.length) + outputWeight(a.destinationScript.length), a.satPerVb);
  const out = a.valueSat - feeSat;
  if (out < DUST_LIMIT_SAT) throw new Error(`bond value ${a.valueSat} sat does not cover the fee ${feeSat} sat`);
  const tx = new Transaction();
  tx.version = 2;
  tx.locktime = parsed.locktime;
  tx.addInput(txidToHash(a.txid), a.vout, BOND_SPEND_SEQUENCE);
  tx.addOutput(a.destinationScript, out);
  signBondInput(tx, 0, a.key, a.witnessScript, a.valueSat);
  return { tx, feeSat, locktime: parsed.locktime };
}
