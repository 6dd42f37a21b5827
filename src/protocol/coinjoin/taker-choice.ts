/**
 * Taker side (coinjoin-protocol.md §9): offer filtering (fee caps per offer kind), one offer per
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
  /** Verified fidelity-bond value (wallet-and-bonds.md §7); 0 when none, invalid or counted for another nick. */
  bondValue: number;
  /** The bond UTXO (`txid:vout`) the maker proved, if any: nicks sharing one never join one round. */
  bondKey?: string | null;
}

/**
 * What the taker pays one maker at most: an absolute offer's fee ≤ `abs` satoshis, a relative
 * offer's rate ≤ `rel` (NG's rule per offer kind). An offer over its limit is never filled.
 */
export interface FeeLimits {
  abs: number;
  rel: Ratio;
}

/** NG's defaults (500 sat, 0.1 %); REF has none and asks the user. */
export const DEFAULT_FEE_LIMITS: FeeLimits = { abs: 500, rel: { num: 1n, den: 1000n } };

export function withinFeeLimits(offer: Offer, limits: FeeLimits): boolean {
  if (offer.kind === 'abs') return offer.cjfee <= limits.abs;
  return offer.cjfeeRatio.num * limits.rel.den <= limits.rel.num * offer.cjfeeRatio.den;
}

export interface FilterOptions {
  amount: number;
  allowedTypes?: readonly OfferType[];
  /** REF: minsize < amount < maxsize (strict); NG: inclusive. */
  range?: 'strict' | 'inclusive';
  ignored?: ReadonlySet<string>;
  /** Drops every offer over its limit; absent = no fee check (tests and tools only). */
  feeLimits?: FeeLimits;
}

/** Net fee the maker earns from this taker: real_cjfee − txfee. */
export function netFee(offer: Offer, amount: number): bigint {
  return cjFeeFor(offer, amount) - BigInt(offer.txfee);
}

export function filterOffers(entries: readonly OrderbookEntry[], o: FilterOptions): OrderbookEntry[] {
  const types = o.allowedTypes ?? ['sw0reloffer', 'sw0absoffer'];
  const strict = (o.range ?? 'strict') === 'strict';
  return entries.filter(({ counterparty, offer }) => {
    if (!types.includes(offer.type) || o.ignored?.has(counterparty)) return false;
    const inRange = strict
      ? offer.minsize < o.amount && o.amount < offer.maxsize
      : offer.minsize <= o.amount && o.amount <= offer.maxsize;
    if (!inRange) return false;
    return o.feeLimits === undefined || withinFeeLimits(offer, o.feeLimits);
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

/** Who an entry stands for: its bond when it proved one (nicks sharing a bond are one party), else its nick. */
const party = (e: OrderbookEntry): string => (e.bondKey ? `bond ${e.bondKey}` : `nick ${e.counterparty}`);

/** How many makers could be chosen together from these entries (nicks sharing a bond count once). */
export function distinctMakers(entries: readonly OrderbookEntry[]): number {
  return new Set(entries.map(party)).size;
}

/**
 * n distinct makers, one chooser call per slot, removing each chosen maker and every other
 * nick that proved the same bond (one bond, one party: never twice in one round).
 */
export function chooseMakers(
  entries: readonly OrderbookEntry[],
  n: number,
  rng: Rng,
  allowance: number = REF_BONDLESS_MAKERS_ALLOWANCE,
): Result<OrderbookEntry[]> {
  let pool = [...entries];
  const available = distinctMakers(pool);
  if (available < n) return fail(`need ${n} makers, only ${available} offer`);
  const chosen: OrderbookEntry[] = [];
  while (chosen.length < n) {
    const pick = fidelityBondWeightedChoose(pool, rng, allowance);
    chosen.push(pick);
    pool = pool.filter((e) => e.counterparty !== pick.counterparty && party(e) !== party(pick));
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
