/**
 * The DN-wide broadcast budget. Per-connection limits bound one connection, never a crowd of
 * cheap nicks, and every relayed pubmsg goes to every peer: each receiver gets (senders) ×
 * (per-sender allowance). So relayed pubmsgs also pass DN-wide token buckets
 * (src/util/rate-limit.ts), each holding a few seconds' worth: messages and bytes per second
 * (what every receiver gets) and `!orderbook` per second (each one makes every maker answer).
 *
 * Who gets the tokens when they run low: each connection carries its demand, the tokens it
 * asked for (every pubmsg that passed its own limits, relayed or not), decayed with a
 * half-life. A message is judged by the tokens it would leave: at least half a bucket, it goes;
 * below that, only if at least the sender's earlier demand would be left. So a sender can take a
 * bucket down to what it has recently asked for and no further: the heaviest stop first, the
 * level settles where the refill matches what the rest take, and every sender lighter than the
 * flood finds the tokens left below it. No message may take a bucket into debt (unless it is
 * bigger than the whole bucket, which then has to be full), so one long line cannot block
 * everyone behind it. Demand counts what a sender asks
 * for, not what it got: a flooder whose messages are shed still asks as much and stays shed.
 * A proven serving location makes demand count `provenWeight` times lighter.
 *
 * A connection starts with a prior demand (`broadcastNewcomerPercent` of a bucket, as if it had just
 * asked for that much), decaying from its connect time with the same half-life: a crowd of fresh
 * nicks can take the buckets down to that reserve and no further, and the senders that have been
 * connected a while and asked for less find it. When the buckets are full (a quiet DN) a
 * newcomer's message goes at once: the reserve only bites below half.
 *
 * Units: demand is in budget-seconds (a message costs 1 / rate seconds of the messages budget,
 * or its bytes / byte rate if more), levels are fractions of the bucket; a bucket holds
 * `burst` seconds, so demand / burst is the demand as a fraction of any bucket.
 *
 * Allocation-free: a few numbers on the connection and one store for the DN.
 */
import { TokenBuckets } from '../util/rate-limit.js';
import type { DirectoryLimits } from './limits.js';

/** Where a sender's demand lives: plain numbers on the connection. */
export interface BudgetSender {
  /** When the connection was accepted (same clock as `now`): its prior demand decays from here. */
  readonly connectedAt: number;
  demand: number;
  demandAt: number;
  obDemand: number;
  obDemandAt: number;
}

/** Why the budget refused a pubmsg: shed (a heavy sender while the bucket ran low) or empty. */
export const BUDGET_DROPS = ['shed', 'empty', 'orderbook-shed', 'orderbook-empty'] as const;
export type BudgetDrop = (typeof BUDGET_DROPS)[number];

/** admit() answers ADMITTED, or 1 + the index of the reason in BUDGET_DROPS. */
export const ADMITTED = 0;
export const SHED = 1;
export const EMPTY = 2;
const OB_OFFSET = 2;

const MSGS = 0;
const BYTES = 1;
const OB = 2;

export type BudgetLimits = Pick<
  DirectoryLimits,
  'broadcastPerSec' | 'broadcastBytesPerSec' | 'broadcastOrderbookPerSec' | 'broadcastBurstMs' | 'broadcastHalfLifeMs' | 'broadcastProvenWeight' | 'broadcastNewcomerPercent'
>;

/** Fill of each bucket: 1 = full, ≤ 0 = empty (in debt); null when that budget is off. */
export interface BudgetLevels {
  messages: number | null;
  bytes: number | null;
  orderbook: number | null;
}

export class BroadcastBudget {
  private readonly buckets: TokenBuckets;
  private readonly store: number[];
  /** 1 / capacity of each bucket (0 when off). */
  private readonly inv: readonly number[];
  /** Budget-seconds per message, per byte and per `!orderbook` (0: that budget is off). */
  private readonly perMsg: number;
  private readonly perByte: number;
  private readonly perOb: number;
  /** ln 2 / half-life in ms, for the decay. */
  private readonly lambda: number;
  /** 1 / burst in seconds: demand × perBurst is the demand as a fraction of a bucket. */
  private readonly perBurst: number;
  private readonly provenWeight: number;
  /** A connection's demand at its connect time, in budget-seconds. */
  private readonly prior: number;
  /** Pubmsgs are judged at all (a messages or a bytes budget is set). */
  readonly general: boolean;

  constructor(limits: BudgetLimits, now: number) {
    const sec = limits.broadcastBurstMs / 1000;
    this.perMsg = limits.broadcastPerSec > 0 ? 1 / limits.broadcastPerSec : 0;
    this.perByte = limits.broadcastBytesPerSec > 0 ? 1 / limits.broadcastBytesPerSec : 0;
    this.perOb = limits.broadcastOrderbookPerSec > 0 ? 1 / limits.broadcastOrderbookPerSec : 0;
    this.general = this.perMsg > 0 || this.perByte > 0;
    this.buckets = new TokenBuckets([limits.broadcastPerSec * sec, limits.broadcastBytesPerSec * sec, limits.broadcastOrderbookPerSec * sec], limits.broadcastBurstMs);
    this.store = this.buckets.create(now);
    this.inv = this.buckets.capacities.map((c) => (c > 0 ? 1 / c : 0));
    this.lambda = Math.LN2 / limits.broadcastHalfLifeMs;
    this.perBurst = 1 / sec;
    this.provenWeight = limits.broadcastProvenWeight;
    this.prior = (limits.broadcastNewcomerPercent / 100) * sec;
  }

  /** Any budget is on. */
  get enabled(): boolean {
    return this.general || this.perOb > 0;
  }

  /**
   * Judges one pubmsg of `bytes` relayed bytes from `s` (an `!orderbook` request when
   * `orderbook`), charges the buckets when it is admitted, and returns ADMITTED or the reason.
   */
  admit(s: BudgetSender, bytes: number, orderbook: boolean, proven: boolean, now: number): number {
    const w = proven ? this.provenWeight : 1;
    // Judged with the decayed prior on top; stored demand is what the sender asked for.
    const prior = this.prior > 0 ? decayed(this.prior, s.connectedAt, now, this.lambda) : 0;
    let verdict = ADMITTED;
    if (this.general) {
      const d = decayed(s.demand, s.demandAt, now, this.lambda);
      let left = this.perMsg > 0 ? this.left(MSGS, 1, now) : 1;
      if (this.perByte > 0) left = Math.min(left, this.left(BYTES, bytes, now));
      verdict = this.judge(left, d + prior, w);
      s.demand = d + Math.max(this.perMsg, bytes * this.perByte);
      s.demandAt = now;
    }
    const ob = orderbook && this.perOb > 0;
    if (ob) {
      const d = decayed(s.obDemand, s.obDemandAt, now, this.lambda);
      if (verdict === ADMITTED) {
        const v = this.judge(this.left(OB, 1, now), d + prior, w);
        if (v !== ADMITTED) verdict = v + OB_OFFSET;
      }
      s.obDemand = d + this.perOb;
      s.obDemandAt = now;
    }
    if (verdict !== ADMITTED) return verdict;
    if (this.perMsg > 0) this.buckets.spend(this.store, MSGS, 1, now);
    if (this.perByte > 0) this.buckets.spend(this.store, BYTES, bytes, now);
    if (ob) this.buckets.spend(this.store, OB, 1, now);
    return ADMITTED;
  }

  levels(now: number): BudgetLevels {
    return {
      messages: this.perMsg > 0 ? this.fill(MSGS, now) : null,
      bytes: this.perByte > 0 ? this.fill(BYTES, now) : null,
      orderbook: this.perOb > 0 ? this.fill(OB, now) : null,
    };
  }

  /** Level over capacity: 1 full, ≤ 0 empty. */
  private fill(kind: number, now: number): number {
    return this.buckets.level(this.store, kind, now) * this.inv[kind]!;
  }

  /** The fill that taking `cost` would leave; a cost over the whole bucket needs a full one (then: full). */
  private left(kind: number, cost: number, now: number): number {
    return fillLeft(this.fill(kind, now), cost * this.inv[kind]!);
  }

  private judge(left: number, demand: number, weight: number): number {
    return shareVerdict(left, (demand * this.perBurst) / weight);
  }
}

/** The fill (1 = full) that taking `cost` (a fraction of the bucket) would leave; a cost over the whole bucket needs a full one (then: 1). */
export function fillLeft(fill: number, cost: number): number {
  return cost < 1 ? fill - cost : fill >= 1 ? 1 : -1;
}

/** The rule both budgets share. Below empty: nobody. Under half full: only a sender whose demand (a fraction of the bucket) is at most what is left. */
export function shareVerdict(left: number, demand: number): typeof ADMITTED | typeof SHED | typeof EMPTY {
  if (left < 0) return EMPTY;
  return left < 0.5 && demand > left ? SHED : ADMITTED;
}

/** `value` decayed from `at` to `now` at rate `lambda` (ln 2 / half-life). */
export function decayed(value: number, at: number, now: number, lambda: number): number {
  return now > at ? value * Math.exp((at - now) * lambda) : value;
}
