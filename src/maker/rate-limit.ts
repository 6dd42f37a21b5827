/**
 * Fair sliding-window budgets for what peers ask of the maker (`!orderbook` replies, `!fill`
 * sessions, `!hp2` gossip, `!error` replies). Each key (nick) has a small allowance; all keys
 * share a global budget whose last `reserve` slots only privileged requests may take: a key's
 * first request in the window (it has asked nothing for a whole window, refused asks
 * included) or one the caller vouches for (e.g. a nick that passed `!auth` before). A crowd
 * of nicks repeating requests can use up the shared part, never the reserve, so a newcomer is
 * still answered. Memory: `maxKeys` entries at most (least recently active evicted).
 */
import { AgeMap } from '../util/age-map.js';
import type { Clock } from '../util/clock.js';

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

interface KeyState {
  /** Times of accepted requests within the window, oldest first. */
  hits: number[];
  lastAsk: number;
}

export class FairLimiter {
  private readonly keys = new AgeMap<string, KeyState>();
  /** Times of accepted requests of all keys, oldest at `head`. */
  private global: number[] = [];
  private head = 0;
  private readonly refused = { key: 0, global: 0 };

  constructor(private readonly clock: Clock, private readonly b: FairBudget, private readonly maxKeys = 50_000) {
    if (b.reserve > b.global) throw new RangeError('reserve must not exceed the global budget');
  }

  /** Refused requests so far, by reason. */
  get refusals(): { key: number; global: number } {
    return { ...this.refused };
  }

  /** Accepts and records the request, or says which allowance it is over. */
  take(key: string, vouched = false): Verdict {
    const now = this.clock.now();
    const fresh = (t: number): boolean => now - t < this.b.windowMs;
    const k = this.keys.get(key) ?? { hits: [], lastAsk: -Infinity };
    const first = !fresh(k.lastAsk);
    k.lastAsk = now;
    this.keys.set(key, k); // now the most recently active
    if (this.keys.size > this.maxKeys) this.keys.shift();

    while (k.hits.length > 0 && !fresh(k.hits[0]!)) k.hits.shift();
    if (k.hits.length >= this.b.perKey) return this.refuse('key');
    const used = this.usedGlobal(now);
    const cap = first || vouched ? this.b.global : this.b.global - this.b.reserve;
    if (used >= cap) return this.refuse('global');
    k.hits.push(now);
    this.global.push(now);
    return 'ok';
  }

  private usedGlobal(now: number): number {
    while (this.head < this.global.length && now - this.global[this.head]! >= this.b.windowMs) this.head++;
    if (this.head > 1_024 && this.head * 2 > this.global.length) {
      this.global = this.global.slice(this.head);
      this.head = 0;
    }
    return this.global.length - this.head;
  }

  private refuse(why: 'key' | 'global'): Verdict {
    this.refused[why]++;
    return why;
  }
}
