/**
 * Coin selection inside one mixdepth (wallet-and-bonds.md §3 "where coins go"; bonds are never
 * selectable, §4). Largest-first until target + fee is covered; change below the dust limit is
 * given to the fee.
 */
import type { WalletUtxo } from './utxo.js';
import { feeFor, P2WPKH_INPUT_WU, P2WPKH_OUTPUT_WU, TX_OVERHEAD_WU } from './vsize.js';

export const DUST_LIMIT_SAT = 546n;

export interface SelectOptions {
  /** Amount to pay (excluding fee); ignored when sweeping. */
  targetSat: bigint;
  satPerVb: number;
  /** Weight of the non-change outputs. */
  outputsWeight: number;
  minConfirmations?: number;
  /** Outpoints (txid:vout) that must not be used (locked/frozen). */
  exclude?: ReadonlySet<string>;
  sweep?: boolean;
}

export interface Selection {
  inputs: WalletUtxo[];
  feeSat: bigint;
  changeSat: bigint;
  totalInSat: bigint;
}

export class InsufficientFundsError extends Error {
  constructor(readonly needSat: bigint, readonly haveSat: bigint) {
    super(`insufficient funds: need ${needSat} sat (amount + fee), have ${haveSat} sat available`);
    this.name = 'InsufficientFundsError';
  }
}

export function spendable(utxos: readonly WalletUtxo[], minConf: number, exclude?: ReadonlySet<string>): WalletUtxo[] {
  return utxos.filter((u) => u.chain !== 2 && !u.bond && u.confirmations >= minConf && !exclude?.has(`${u.txid}:${u.vout}`));
}

export function selectCoins(utxos: readonly WalletUtxo[], o: SelectOptions): Selection {
  const pool = spendable(utxos, o.minConfirmations ?? 1, o.exclude).sort((a, b) => (b.valueSat > a.valueSat ? 1 : b.valueSat < a.valueSat ? -1 : 0));
  const have = pool.reduce((s, u) => s + u.valueSat, 0n);
  if (o.sweep) {
    if (pool.length === 0) throw new InsufficientFundsError(1n, 0n);
    const feeSat = feeFor(TX_OVERHEAD_WU + pool.length * P2WPKH_INPUT_WU + o.outputsWeight, o.satPerVb);
    if (have - feeSat < DUST_LIMIT_SAT) throw new InsufficientFundsError(feeSat + DUST_LIMIT_SAT, have);
    return { inputs: pool, feeSat, changeSat: 0n, totalInSat: have };
  }
  if (o.targetSat <= 0n) throw new RangeError('amount must be positive');
  const inputs: WalletUtxo[] = [];
  let total = 0n;
  for (const u of pool) {
    inputs.push(u);
    total += u.valueSat;
    const base = TX_OVERHEAD_WU + inputs.length * P2WPKH_INPUT_WU + o.outputsWeight;
    const feeNoChange = feeFor(base, o.satPerVb);
    if (total < o.targetSat + feeNoChange) continue;
    const feeWithChange = feeFor(base + P2WPKH_OUTPUT_WU, o.satPerVb);
    const change = total - o.targetSat - feeWithChange;
    if (change >= DUST_LIMIT_SAT) return { inputs, feeSat: feeWithChange, changeSat: change, totalInSat: total };
    return { inputs, feeSat: total - o.targetSat, changeSat: 0n, totalInSat: total };
  }
  throw new InsufficientFundsError(o.targetSat + feeFor(TX_OVERHEAD_WU + Math.max(1, pool.length) * P2WPKH_INPUT_WU + o.outputsWeight, o.satPerVb), have);
}
