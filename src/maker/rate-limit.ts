/**
 * Fair budgets for what peers ask of the maker (`!orderbook` replies, `!fill` sessions, `!hp2`
 * gossip, `!error` replies), as windowed buckets (src/util/rate-limit.ts: at most N per sliding
 * window). Each key (nick) has a small allowance; all keys share a global budget whose last
 * `reserve` slots only requests the caller vouches for may take (a nick that passed `!auth`
 * with us before, a directory's own probe, a direct connection). Nicks are free, so nothing
 * else about a request can earn the reserve: a crowd of fresh nicks would take it as easily as
 * an honest newcomer (what serves newcomers then is the caller's business: a public reply for
 * `!orderbook`, room for many cheap sessions for `!fill`). Memory: `maxKeys` entries at most
 * (least recently active evicted), each with at most `perKey` timestamps.
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


export class FairLimiter {
  private readonly keys = new AgeMap<string, WindowBucket>();
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

  /** Accepts and records the request, or says which allowance it is over (a global refusal costs the key nothing). */
  take(key: string, vouched = false): Verdict {
    const now = this.clock.now();
    const k = this.key(key);
    if (k.available(now) < 1) return this.refuse('key');
    if (!this.global.tryTake(now, vouched ? 0 : this.b.reserve)) return this.refuse('global');
    k.tryTake(now);
    return 'ok';
  }

  /** Records a request on the key's allowance only (for work the global budget does not cover); false when the key is over it. */
  takeKeyOnly(key: string): boolean {
    return this.key(key).tryTake(this.clock.now());
  }

  private key(key: string): WindowBucket {
    const k = this.keys.get(key) ?? new WindowBucket(this.b.perKey, this.b.windowMs);
    this.keys.set(key, k); // now the most recently active
    if (this.keys.size > this.maxKeys) this.keys.shift();
    return k;
  }

  private refuse(why: 'key' | 'global'): Verdict {
    this.refused[why]++;
    return why;
  }
}
