/**
 * Fidelity-bond value (wallet-and-bonds.md §7). REF/NG evaluate it in doubles on CPython,
 * whose exp/pow (glibc) are correctly rounded; we use exact-math.ts for the same last digit.
 * NG's integer form is Math.trunc of the result.
 */
import { expExact, powExact } from './exact-math.js';

export const YEAR_SECONDS = 60 * 60 * 24 * 365.2425;
export const DEFAULT_INTEREST_RATE = 0.015;
export const DEFAULT_BOND_VALUE_EXPONENT = 1.3;

export interface BondValueInput {
  /** On-chain value of the bond UTXO, satoshi. */
  amountSat: number | bigint;
  /** Header `time` of the confirming block (Unix seconds). */
  confirmTime: number;
  /** CLTV locktime (Unix seconds). */
  locktime: number;
  /** "Now": the chain's median-time-past in production. */
  now: number;
  interestRate?: number;
  exponent?: number;
}

/** The REF float value. */
export function bondValue(i: BondValueInput): number {
  const r = i.interestRate ?? DEFAULT_INTEREST_RATE;
  const x = i.exponent ?? DEFAULT_BOND_VALUE_EXPONENT;
  const amount = typeof i.amountSat === 'bigint' ? Number(i.amountSat) : i.amountSat;
  for (const [k, v] of Object.entries({ amount, confirmTime: i.confirmTime, locktime: i.locktime, now: i.now, r, x })) {
    if (!Number.isFinite(v)) throw new RangeError(`bondValue: ${k} must be a finite number`);
  }
  if (amount < 0) throw new RangeError('bondValue: amount must be >= 0');
  const T = (i.locktime - i.confirmTime) / YEAR_SECONDS;
  const L = i.locktime / YEAR_SECONDS;
  const t = i.now / YEAR_SECONDS;
  const a = Math.max(0, Math.min(1, expExact(r * T) - 1) - Math.min(1, expExact(r * Math.max(0, t - L)) - 1));
  return powExact(amount * a, x);
}

/** NG's integer form (truncated). */
export function bondValueInt(i: BondValueInput): number {
  return Math.trunc(bondValue(i));
}
