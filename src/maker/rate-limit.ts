/**
 * Fair budgets for what peers ask of the maker (`!orderbook` replies, `!fill` sessions, `!hp2`
 * gossip, `!error` replies), as windowed buckets (src/util/rate-limit.ts: at most N per sliding
 * window). Each key (nick) has a small allowance; all keys share a global budget whose last
 * `reserve` slots only privileged requests may take: a key's first request in the window (it
 * has asked nothing for a whole window, refused asks included) or one the caller vouches for
 * (e.g. a nick that passed `!auth` before). A crowd of nicks repeating requests can use up the
 * shared part, never the reserve, so a newcomer is still answered. Memory: `maxKeys` entries at
 * most (least recently active evicted), each with at most `perKey` timestamps.
 */
import { AgeMap } from '../util/age-map.js';
import type { Clock } from '../util/clock.js';
import { WindowBucket } from '../util/rate-limit.js';

export interface FairBudget {
  /** Requests per key per window. */
  perKey: number;
  /** Requests of all keys per window. */
  global: number;
  /** Part of `global` only privileged requests may use (0 = none). */
  reserve: number;
  windowMs: number;
}

/** ok, or which allowance refused it. */
export type Verdict = 'ok' | 'key' | 'global';

/** A key's accepted requests within the window, and when it last asked (one object per key). */
class KeyState extends WindowBucket {
  lastAsk = -Infinity;
}

export class FairLimiter {
  private readonly keys = new AgeMap<string, KeyState>();
  /** Accepted requests of all keys. */
  private readonly global: WindowBucket;
  private readonly refused = { key: 0, global: 0 };

  constructor(private readonly clock: Clock, private readonly b: FairBudget, private readonly maxKeys = 50_000) {
    if (b.reserve > b.global) throw new RangeError('reserve must not exceed the global budget');
    this.global = new WindowBucket(b.global, b.windowMs);
  }

  /** Refused requests so far, by reason. */
  get refusals(): { key: number; global: number } {
    return { ...this.refused };
  }

  /** Accepts and records the request, or says which allowance it is over. */
  take(key: string, vouched = false): Verdict {
    const now = this.clock.now();
    const k = this.keys.get(key) ?? new KeyState(this.b.perKey, this.b.windowMs);
    const first = now - k.lastAsk >= this.b.windowMs;
    k.lastAsk = now;
    this.keys.set(key, k); // now the most recently active
    if (this.keys.size > this.maxKeys) this.keys.shift();

    if (k.available(now) < 1) return this.refuse('key');
    if (!this.global.tryTake(now, first || vouched ? 0 : this.b.reserve)) return this.refuse('global');
    k.tryTake(now);
    return 'ok';
  }

  private refuse(why: 'key' | 'global'): Verdict {
    this.refused[why]++;
    return why;
  }
}
