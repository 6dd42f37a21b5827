/**
 * What one peer may be sent in privmsgs, whoever sends them: a byte bucket per target (rate per
 * second, a burst's worth of capacity), so a crowd of senders cannot push a target's queue past
 * what a Tor circuit carries. Who gets the bytes when the bucket runs low is decided as in the
 * broadcast budget (broadcast-budget.ts): each sender carries its privmsg demand, the bytes it
 * asked to send to anyone (relayed or not), decayed with a half-life; below half a bucket a
 * privmsg goes only if at least the sender's demand would be left. A flooder takes a target's
 * bucket down to half and is then shed, while a sender that asked for little (a maker's
 * `!ioauth`, a taker's `!tx`) finds the half it left.
 *
 * A sender also carries the broadcast budget's prior demand (`broadcastNewcomerPercent` of the
 * bucket, decaying from its connect time), so a crowd of fresh nicks cannot take a target's bucket
 * below that reserve, while senders connected a while (makers answering a taker) still can.
 *
 * Demand is one number per sender, not per (sender, target) pair: no state grows with who
 * talks to whom. Its cost: a sender busy with many targets at once (a taker's `!tx` to 20
 * makers) counts all of it against each; the defaults leave room for that.
 *
 * Allocation-free after a target's first privmsg: two numbers on the target, two on the sender.
 */
import { TokenBuckets } from '../util/rate-limit.js';
import { EMPTY, SHED, decayed, fillLeft, shareVerdict } from './broadcast-budget.js';
import type { DirectoryLimits } from './limits.js';

/** Where a sender's demand and a target's bucket live: plain fields on the connection. */
export interface InboxParty {
  /** When the connection was accepted (same clock as `now`): its prior demand decays from here. */
  readonly connectedAt: number;
  privDemand: number;
  privDemandAt: number;
  inbox: number[] | null;
}

/** Why a privmsg was not relayed to its target: the target's queue is over the soft mark, or its bucket. */
export const PRIVMSG_DROPS = ['target-lagging', 'target-shed', 'target-empty'] as const;
export type PrivmsgDrop = (typeof PRIVMSG_DROPS)[number];

/** admit() answers INBOX_OK or the index of the reason in PRIVMSG_DROPS. */
export const INBOX_OK = -1;
export const INBOX_SHED = 1;
export const INBOX_EMPTY = 2;

export type InboxLimits = Pick<DirectoryLimits, 'privmsgRecvBytesPerSec' | 'privmsgRecvBurstBytes' | 'broadcastHalfLifeMs' | 'broadcastNewcomerPercent'>;

export class InboxBudget {
  /** Null when the budget is off (rate 0). */
  private readonly buckets: TokenBuckets | null;
  private readonly inv: number;
  private readonly lambda: number;
  /** A new sender's prior demand, as a fraction of the bucket. */
  private readonly prior: number;

  constructor(limits: InboxLimits) {
    const rate = limits.privmsgRecvBytesPerSec;
    const burst = limits.privmsgRecvBurstBytes;
    this.buckets = rate > 0 ? new TokenBuckets([burst], (burst * 1000) / rate) : null;
    this.inv = 1 / burst;
    this.lambda = Math.LN2 / limits.broadcastHalfLifeMs;
    this.prior = limits.broadcastNewcomerPercent / 100;
  }

  get enabled(): boolean {
    return this.buckets !== null;
  }

  /** Judges `bytes` from `from` to `to`; takes them from the target's bucket when admitted. */
  admit(from: InboxParty, to: InboxParty, bytes: number, now: number): number {
    const b = this.buckets;
    if (b === null) return INBOX_OK;
    const d = decayed(from.privDemand, from.privDemandAt, now, this.lambda);
    from.privDemand = d + bytes;
    from.privDemandAt = now;
    const store = (to.inbox ??= b.create(now));
    const left = fillLeft(b.level(store, 0, now) * this.inv, bytes * this.inv);
    const prior = this.prior > 0 ? decayed(this.prior, from.connectedAt, now, this.lambda) : 0;
    const v = shareVerdict(left, d * this.inv + prior);
    if (v === EMPTY) return INBOX_EMPTY;
    if (v === SHED) return INBOX_SHED;
    b.spend(store, 0, bytes, now);
    return INBOX_OK;
  }

  /** Fill of a target's bucket (1 full), for tests and diagnostics. */
  fill(to: InboxParty, now: number): number {
    return this.buckets === null || to.inbox === null ? 1 : this.buckets.level(to.inbox, 0, now) * this.inv;
  }
}
