/**
 * Taker side (coinjoin-protocol.md §9): offer filtering (REF fee-limit rule), one offer per
 * maker, the fidelity-bond-weighted chooser with the bondless allowance, and the exact fee
 * arithmetic (taker change, sweep amount). Pure; randomness from an injected `Rng` in [0, 1).
 * Draws use floor(r·n) / cumulative weights, so the distribution matches REF, not its exact
 * CPython random stream.
 */
import { type Offer, type OfferType, type Ratio, BITCOIN_DUST_THRESHOLD, cjFeeFor, roundHalfEven } from '../offers.js';
import { type Result, ok, fail } from './result.js';
import type { Rng } from './yield.js';

export const REF_BONDLESS_MAKERS_ALLOWANCE = 0.125;
export const NG_BONDLESS_MAKERS_ALLOWANCE = 0.2;

export interface OrderbookEntry {
  counterparty: string;
  offer: Offer;
  /** Verified fidelity-bond value (wallet-and-bonds.md §7); 0 when none or invalid. */
  bondValue: number;
}

export interface FilterOptions {
  amount: number;
  allowedTypes?: readonly OfferType[];
  /** REF: minsize < amount < maxsize (strict); NG: inclusive. */
  range?: 'strict' | 'inclusive';
  ignored?: ReadonlySet<string>;
  /** REF drops an offer only if its net fee exceeds BOTH limits. */
  maxCjFeeAbs?: number;
  maxCjFeeRel?: Ratio;
}

/** Net fee the maker earns from this taker: real_cjfee − txfee. */
export function netFee(offer: Offer, amount: number): bigint {
  return cjFeeFor(offer, amount) - BigInt(offer.txfee);
}

export function filterOffers(entries: readonly OrderbookEntry[], o: FilterOptions): OrderbookEntry[] {
  const types = o.allowedTypes ?? ['sw0reloffer', 'sw0absoffer'];
  const strict = (o.range ?? 'strict') === 'strict';
  const amount = BigInt(o.amount);
  return entries.filter(({ counterparty, offer }) => {
    if (!types.includes(offer.type) || o.ignored?.has(counterparty)) return false;
    const inRange = strict
      ? offer.minsize < o.amount && o.amount < offer.maxsize
      : offer.minsize <= o.amount && o.amount <= offer.maxsize;
    if (!inRange) return false;
    if (o.maxCjFeeAbs === undefined || o.maxCjFeeRel === undefined) return true;
    const fee = netFee(offer, o.amount);
    const overAbs = fee > BigInt(o.maxCjFeeAbs);
    const overRel = fee * o.maxCjFeeRel.den > o.maxCjFeeRel.num * amount;
    return !(overAbs && overRel);
  });
}

/** One offer per maker: the lowest net fee (first seen on ties). */
export function cheapestPerMaker(entries: readonly OrderbookEntry[], amount: number): OrderbookEntry[] {
  const best = new Map<string, OrderbookEntry>();
  for (const e of entries) {
    const cur = best.get(e.counterparty);
    if (!cur || netFee(e.offer, amount) < netFee(cur.offer, amount)) best.set(e.counterparty, e);
  }
  return [...best.values()];
}

function uniformIndex(rng: Rng, n: number): number {
  const r = rng();
  if (!(r >= 0 && r < 1)) throw new RangeError(`rng returned ${r}, outside [0, 1)`);
  return Math.min(Math.floor(r * n), n - 1);
}

/** Python `random.choices(pop, weights)`: first cumulative weight above r·total. */
function weightedIndex(rng: Rng, weights: readonly number[]): number {
  const total = weights.reduce((s, w) => s + w, 0);
  const r = rng();
  if (!(r >= 0 && r < 1)) throw new RangeError(`rng returned ${r}, outside [0, 1)`);
  const x = r * total;
  let cum = 0;
  for (let i = 0; i < weights.length; i++) {
    cum += weights[i] as number;
    if (cum > x) return i;
  }
  return weights.length - 1;
}

/**
 * One slot: with probability `allowance` uniform over all offers; otherwise among bonded
 * offers ∝ bond value (uniform over all if none is bonded).
 */
export function fidelityBondWeightedChoose(entries: readonly OrderbookEntry[], rng: Rng, allowance: number): OrderbookEntry {
  if (entries.length === 0) throw new RangeError('no offers to choose from');
  const r = rng();
  if (!(r >= 0 && r < 1)) throw new RangeError(`rng returned ${r}, outside [0, 1)`);
  if (r < allowance) return entries[uniformIndex(rng, entries.length)] as OrderbookEntry;
  const bonded = entries.filter((e) => Number.isFinite(e.bondValue) && e.bondValue > 0);
  if (bonded.length === 0) return entries[uniformIndex(rng, entries.length)] as OrderbookEntry;
  return bonded[weightedIndex(rng, bonded.map((e) => e.bondValue))] as OrderbookEntry;
}

/** n distinct makers, one chooser call per slot, removing each chosen maker. */
export function chooseMakers(
  entries: readonly OrderbookEntry[],
  n: number,
  rng: Rng,
  allowance: number = REF_BONDLESS_MAKERS_ALLOWANCE,
): Result<OrderbookEntry[]> {
  let pool = [...entries];
  if (new Set(pool.map((e) => e.counterparty)).size < n) return fail(`need ${n} makers, only ${new Set(pool.map((e) => e.counterparty)).size} offer`);
  const chosen: OrderbookEntry[] = [];
  while (chosen.length < n) {
    const pick = fidelityBondWeightedChoose(pool, rng, allowance);
    chosen.push(pick);
    pool = pool.filter((e) => e.counterparty !== pick.counterparty);
  }
  return ok(chosen);
}

/** Σ real_cjfee over the chosen offers. */
export function totalCjFee(offers: readonly Offer[], amount: number): bigint {
  return offers.reduce((s, o) => s + cjFeeFor(o, amount), 0n);
}

/** Taker change = Σtaker_in − amount − Σreal_cjfee − max(0, total_fee − Σmaker_txfee). */
export function takerChange(inputsTotal: number, amount: number, offers: readonly Offer[], totalTxFee: number): bigint {
  const makerTxfee = offers.reduce((s, o) => s + BigInt(o.txfee), 0n);
  const myFee = BigInt(totalTxFee) - makerTxfee;
  return BigInt(inputsTotal) - BigInt(amount) - totalCjFee(offers, amount) - (myFee > 0n ? myFee : 0n);
}

/** The taker keeps a change output only above Bitcoin dust (2730 sat). */
export function keepsTakerChange(change: bigint): boolean {
  return change > BigInt(BITCOIN_DUST_THRESHOLD);
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Sweep: amount = (Σin − my_txfee − Σabs_fees) / (1 + Σrel_fees), half-even. */
export function sweepAmount(inputsTotal: number, myTxFee: number, offers: readonly Offer[]): bigint {
  let rel: Ratio = { num: 0n, den: 1n };
  let abs = 0n;
  for (const o of offers) {
    if (o.kind === 'abs') abs += BigInt(o.cjfee);
    else {
      const den = (rel.den / gcd(rel.den, o.cjfeeRatio.den)) * o.cjfeeRatio.den;
      rel = { num: rel.num * (den / rel.den) + o.cjfeeRatio.num * (den / o.cjfeeRatio.den), den };
    }
  }
  const available = BigInt(inputsTotal) - BigInt(myTxFee) - abs;
  return roundHalfEven(available * rel.den, rel.den + rel.num);
}
