/**
 * Virtual-size estimates for fee calculation (wallet-and-bonds.md §6: REF counts a bond input
 * as 41 non-witness bytes plus its witness). Signatures are assumed 72 bytes (worst case).
 */
export const TX_OVERHEAD_WU = 4 * (4 + 4 + 1 + 1) + 2; // version, locktime, counts; segwit marker+flag
export const P2WPKH_INPUT_WU = 4 * 41 + (1 + 1 + 72 + 1 + 33);
export const BOND_INPUT_WU = (scriptLen: number): number => 4 * 41 + (1 + 1 + 72 + 1 + scriptLen);
export const P2WPKH_OUTPUT_WU = 4 * 31;
export const P2WSH_OUTPUT_WU = 4 * 43;

export function outputWeight(scriptPubKeyLen: number): number {
  return 4 * (8 + 1 + scriptPubKeyLen);
}

export function vsizeOf(weight: number): number {
  return Math.ceil(weight / 4);
}

/** Fee in sat for a weight at sat/vB, rounded up. */
export function feeFor(weight: number, satPerVb: number): bigint {
  if (!Number.isFinite(satPerVb) || satPerVb < 0) throw new RangeError(`bad fee rate ${satPerVb}`);
  return BigInt(Math.ceil(vsizeOf(weight) * satPerVb));
}
