/**
 * Our own bonds as the wallet shows them (wallet-and-bonds.md §7, §8.5): value with
 * now = chain median-time-past, confirmation time from the confirming block's header, expiry
 * state by BIP113. Also picks the bond a maker would announce (highest value, confirmed).
 */
import { bondValue } from '../bond-value.js';
import type { WalletUtxo } from '../utxo.js';
import type { BondChainView } from './bond-verifier.js';

export interface BondInfo {
  utxo: WalletUtxo;
  locktime: number;
  confirmations: number;
  confirmTime: number | null;
  /** 0 while unconfirmed. */
  value: number;
  /** BIP113: spendable once locktime < median-time-past. */
  expired: boolean;
  secondsToExpiry: number;
}

export async function describeBonds(bondUtxos: readonly WalletUtxo[], chain: BondChainView, o: { interestRate?: number; exponent?: number } = {}): Promise<{ bonds: BondInfo[]; medianTimePast: number; tipHeight: number }> {
  const tip = await chain.tip();
  const bonds: BondInfo[] = [];
  for (const u of bondUtxos) {
    if (!u.bond) continue;
    const locktime = u.bond.locktime;
    const confirmTime = u.confirmations > 0 ? await chain.blockTime(tip.height - u.confirmations + 1) : null;
    const value = confirmTime === null ? 0 : bondValue({ amountSat: u.valueSat, confirmTime, locktime, now: tip.medianTimePast, ...o });
    bonds.push({ utxo: u, locktime, confirmations: u.confirmations, confirmTime, value, expired: locktime < tip.medianTimePast, secondsToExpiry: Math.max(0, locktime - tip.medianTimePast) });
  }
  bonds.sort((a, b) => b.value - a.value);
  return { bonds, medianTimePast: tip.medianTimePast, tipHeight: tip.height };
}

/** The single bond a maker announces: highest value among confirmed ones (NG skips unconfirmed). */
export function bestBond(bonds: readonly BondInfo[]): BondInfo | null {
  return bonds.filter((b) => b.confirmations > 0 && b.value > 0).sort((a, b) => b.value - a.value)[0] ?? null;
}
