/**
 * Fee-rate estimation with fallback (blockchain-backend.md §2.2): estimatesmartfee at a block
 * target (retry target+1 for target 1), floored at mempoolminfee, fallback when the node has no
 * estimate (always on a fresh regtest chain), capped by an absurd-fee limit.
 */
import { btcPerKvbToSatPerVb } from './amount.js';

export interface FeeSource {
  estimateSmartFee(target: number): Promise<{ feerate?: number | undefined; errors?: string[] | undefined }>;
  getMempoolInfo(): Promise<{ mempoolminfee: number }>;
}

export interface FeeOptions {
  target?: number;
  /** sat/vB used when the node gives no estimate (REF 20000 sat/kvB = 20 sat/vB). */
  fallbackSatPerVb?: number;
  /** Refuse above this (REF absurd_fee_per_kb 350000 sat/kvB = 350 sat/vB). */
  maxSatPerVb?: number;
}

export interface FeeEstimate {
  satPerVb: number;
  source: 'estimate' | 'fallback';
  floorSatPerVb: number;
}

export async function estimateFeeRate(src: FeeSource, o: FeeOptions = {}): Promise<FeeEstimate> {
  const target = o.target ?? 3;
  const fallback = o.fallbackSatPerVb ?? 20;
  const max = o.maxSatPerVb ?? 350;
  let rate: number | null = null;
  for (const t of target === 1 ? [1, 2] : [target]) {
    try {
      const r = await src.estimateSmartFee(t);
      if (r.feerate !== undefined && r.feerate > 0) { rate = btcPerKvbToSatPerVb(r.feerate); break; }
    } catch { /* node without estimator: use the fallback */ }
  }
  let floor = 1;
  try {
    floor = Math.max(1, btcPerKvbToSatPerVb((await src.getMempoolInfo()).mempoolminfee));
  } catch { /* keep 1 sat/vB */ }
  const source = rate === null ? 'fallback' : 'estimate';
  const satPerVb = Math.max(rate ?? fallback, floor);
  if (satPerVb > max) throw new Error(`fee rate ${satPerVb} sat/vB is above the limit of ${max} sat/vB`);
  return { satPerVb, source, floorSatPerVb: floor };
}
