/**
 * Maker liquidity (coinjoin-protocol.md §8.1): the reference yield generators' offer creation
 * (basic, and privacy-enhanced with randomised sizes and fees) and `oid_to_order`'s mixdepth
 * choice. Pure; randomness comes from an injected `Rng` returning floats in [0, 1), used the way
 * Python's `random.uniform` is (a + (b−a)·r). Fee comparisons are exact (rationals).
 */
import {
  type Offer,
  type OfferType,
  type RelOfferType,
  type AbsOfferType,
  DUST_THRESHOLD,
  cjFeeFor,
  makeRelOffer,
  parseDecimal,
} from '../offers.js';
import { type Result, ok, fail } from './result.js';

export type Rng = () => number;

/** Python `random.uniform(a, b)`. */
export function uniform(rng: Rng, a: number, b: number): number {
  const r = rng();
  if (!(r >= 0 && r < 1)) throw new RangeError(`rng returned ${r}, outside [0, 1)`);
  return a + (b - a) * r;
}

export interface YieldConfig {
  ordertype: 'reloffer' | 'absoffer';
  /** `sw0` native segwit (ours), `sw` p2sh-p2wpkh, `` p2pkh. */
  prefix: 'sw0' | 'sw' | '';
  cjfeeA: number;
  cjfeeR: string;
  cjfeeFactor: number;
  /** txfee_contribution. */
  txfee: number;
  txfeeFactor: number;
  minsize: number;
  sizeFactor: number;
}

/** REF `[YIELDGENERATOR]` defaults. */
export const DEFAULT_YIELD_CONFIG: YieldConfig = {
  ordertype: 'reloffer',
  prefix: 'sw0',
  cjfeeA: 500,
  cjfeeR: '0.00002',
  cjfeeFactor: 0.1,
  txfee: 0,
  txfeeFactor: 0.3,
  minsize: 100_000,
  sizeFactor: 0.1,
};

export const MAX_TXFEE_HALVINGS = 20;

function offerType(c: YieldConfig): OfferType {
  return `${c.prefix}${c.ordertype}` as OfferType;
}

function relRatio(c: YieldConfig): Result<{ num: bigint; den: bigint }> {
  const d = parseDecimal(c.cjfeeR);
  if (!d.ok) return fail(`cjfee_r: ${d.reason}`);
  if (d.value.ratio.num === 0n) return fail('cjfee_r must be positive');
  return ok(d.value.ratio);
}

/** CLI rule for reloffer: minsize = max(int(1.2 × txfee / cjfee_r), minsize). */
export function cliMinsize(c: YieldConfig): Result<number> {
  if (c.ordertype !== 'reloffer') return ok(c.minsize);
  const r = relRatio(c);
  if (!r.ok) return r;
  const floor = (12n * BigInt(c.txfee) * r.value.den) / (10n * r.value.num);
  return ok(Math.max(Number(floor), c.minsize));
}

function eligibleMax(balances: readonly number[], minsize: number): number | null {
  const eligible = balances.filter((b) => b > minsize);
  return eligible.length === 0 ? null : Math.max(...eligible);
}

/** `YieldGeneratorBasic.create_my_orders`: exact config values, one offer (oid 0) or none. */
export function createBasicOffers(balances: readonly number[], c: YieldConfig): Result<Offer[]> {
  const maxBal = eligibleMax(balances, c.minsize);
  if (maxBal === null) return ok([]);
  const maxsize = maxBal - Math.max(DUST_THRESHOLD, c.txfee);
  if (c.ordertype === 'absoffer') {
    const fields = { oid: 0, minsize: c.minsize, maxsize, txfee: c.txfee };
    return checked({ kind: 'abs', type: offerType(c) as AbsOfferType, ...fields, cjfee: c.cjfeeA + c.txfee });
  }
  const r = relRatio(c);
  if (!r.ok) return r;
  const profitable = Number((3n * BigInt(c.txfee) * r.value.den) / (2n * r.value.num));
  const fields = { oid: 0, minsize: Math.max(profitable, c.minsize), maxsize, txfee: c.txfee };
  const o = makeRelOffer(offerType(c) as RelOfferType, fields, c.cjfeeR);
  return o.ok ? checked(o.value) : o;
}

/** Privacy-enhanced `create_my_orders` (§8.1 steps 1–7). */
export function createPrivacyEnhancedOffers(balances: readonly number[], c: YieldConfig, rng: Rng): Result<Offer[]> {
  // 1. Mixdepths with balance > minsize; the largest sets the size ceiling.
  const maxBal = eligibleMax(balances, c.minsize);
  if (maxBal === null) return ok([]);
  // 2.–4. Randomised txfee, minsize (floored to dust), maxsize.
  let txfee = Math.trunc(uniform(rng, c.txfee * (1 - c.txfeeFactor), c.txfee * (1 + c.txfeeFactor)));
  const minsize = Math.max(Math.trunc(uniform(rng, c.minsize * (1 - c.sizeFactor), c.minsize * (1 + c.sizeFactor))), DUST_THRESHOLD);
  const possible = maxBal - Math.max(DUST_THRESHOLD, txfee);
  const maxsize = Math.trunc(uniform(rng, possible * (1 - c.sizeFactor), possible));
  // 5. abs: randomised fee plus the txfee contribution; rel: randomised, 6 decimals.
  if (c.ordertype === 'absoffer') {
    const cjfee = Math.trunc(uniform(rng, c.cjfeeA * (1 - c.cjfeeFactor), c.cjfeeA * (1 + c.cjfeeFactor))) + txfee;
    return checked({ kind: 'abs', type: offerType(c) as AbsOfferType, oid: 0, minsize, maxsize, txfee, cjfee });
  }
  const r = Number(c.cjfeeR);
  const cjfee = uniform(rng, r * (1 - c.cjfeeFactor), r * (1 + c.cjfeeFactor)).toFixed(6);
  const ratio = parseDecimal(cjfee);
  if (!ratio.ok) return fail(`randomised cjfee: ${ratio.reason}`);
  // 6. Halve txfee while it would eat the fee on a minsize coinjoin (exact: txfee ≥ cjfee × minsize).
  const { num, den } = ratio.value.ratio;
  for (let i = 0; BigInt(txfee) * den >= num * BigInt(minsize); i++) {
    if (i === MAX_TXFEE_HALVINGS) return fail(`txfee still unprofitable after ${MAX_TXFEE_HALVINGS} halvings`);
    txfee = Math.floor(txfee / 2);
  }
  const o = makeRelOffer(offerType(c) as RelOfferType, { oid: 0, minsize, maxsize, txfee }, cjfee);
  return o.ok ? checked(o.value) : o;
}

/** 7. minsize ≥ 27300 and minsize ≤ maxsize, integers. */
function checked(o: Offer): Result<Offer[]> {
  for (const n of [o.minsize, o.maxsize, o.txfee]) if (!Number.isSafeInteger(n) || n < 0) return fail(`offer field ${n} invalid`);
  if (o.minsize < DUST_THRESHOLD) return fail(`offer minsize ${o.minsize} below ${DUST_THRESHOLD}`);
  if (o.minsize > o.maxsize) return fail(`offer minsize ${o.minsize} above maxsize ${o.maxsize}`);
  return ok([o]);
}

/** `oid_to_order`: required = amount + txfee + 27300 + 1 − real_cjfee. */
export function requiredMakerInput(offer: Offer, amount: number): bigint {
  return BigInt(amount) + BigInt(offer.txfee) + BigInt(DUST_THRESHOLD) + 1n - cjFeeFor(offer, amount);
}

/** Mixdepths whose (confirmed, unfrozen) balance covers `required`, ascending. */
export function candidateMixdepths(balances: readonly number[], required: bigint): number[] {
  return balances.flatMap((b, md) => (BigInt(b) >= required ? [md] : []));
}

/**
 * Input mixdepth among candidates. privacy: the one after the largest cyclic gap,
 * g[0] = N + A[0] − A[last], g[j] = A[j] − A[j−1], first maximum; basic: the lowest.
 */
export function pickInputMixdepth(candidates: readonly number[], mixdepthCount: number, mode: 'privacy' | 'basic'): number | null {
  const A = [...candidates].sort((a, b) => a - b);
  if (A.length === 0) return null;
  if (mode === 'basic') return A[0] as number;
  let best = 0;
  let bestGap = mixdepthCount + (A[0] as number) - (A[A.length - 1] as number);
  for (let j = 1; j < A.length; j++) {
    const gap = (A[j] as number) - (A[j - 1] as number);
    if (gap > bestGap) {
      best = j;
      bestGap = gap;
    }
  }
  return A[best] as number;
}

/** The cj output goes to the next mixdepth; change stays in the input one. */
export function cjOutputMixdepth(inputMixdepth: number, mixdepthCount: number): number {
  return (inputMixdepth + 1) % mixdepthCount;
}

/** Maker change = Σinputs − amount − txfee + real_cjfee. */
export function makerChange(offer: Offer, amount: number, inputsTotal: number): bigint {
  return BigInt(inputsTotal) - BigInt(amount) - BigInt(offer.txfee) + cjFeeFor(offer, amount);
}
