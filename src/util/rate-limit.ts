/**
 * Rate limits, one mechanism: a bucket of `capacity` tokens that refills over `periodMs`; a
 * request takes tokens and is served while the bucket holds enough. Two refill rules, because
 * no single one fits every user:
 *
 * - Continuous (`TokenBuckets`): tokens flow back evenly, `capacity` per `periodMs`. A bucket is
 *   two numbers (level, time of the last refill) in storage the caller owns, e.g. one array per
 *   connection for all its kinds, so a take allocates nothing. Levels may go negative (debt);
 *   what debt means (drop, disconnect, overdraw) is the caller's choice. It is bursty: a full
 *   bucket spent at t = 0, then each token as it flows back, lets `2 × capacity` through within
 *   one period (the last at t = periodMs).
 * - Windowed (`WindowBucket`): each token taken comes back exactly `periodMs` after it was
 *   taken. So at most `capacity` takes fall in any window [t, t + periodMs): the guarantee a
 *   peer that counts over a sliding window needs. Memory: one timestamp per token in use.
 *
 * Time is passed in (`now`, milliseconds) so that the same code serves a hot path that already
 * holds the time and components that read it from their injected clock.
 */

/** `level` refilled from `stamp` to `now`, never above `capacity`. The refill math, once. */
export function refill(level: number, stamp: number, now: number, capacity: number, periodMs: number): number {
  const elapsed = now - stamp;
  return elapsed > 0 ? Math.min(capacity, level + (elapsed * capacity) / periodMs) : level;
}

/**
 * Continuous buckets of several kinds (kind = index into `capacities`) that share a period,
 * stored by their holders: `create()` gives a holder's storage, `[level, stamp]` per kind.
 */
export class TokenBuckets {
  constructor(readonly capacities: readonly number[], readonly periodMs: number) {
    if (!(periodMs > 0)) throw new RangeError('periodMs must be positive');
    for (const c of capacities) if (!(c >= 0)) throw new RangeError('capacities must be non-negative');
  }

  /** Storage for one holder, every bucket full at `now`. */
  create(now: number): number[] {
    const store: number[] = [];
    for (const cap of this.capacities) store.push(cap, now);
    return store;
  }

  /** Tokens in bucket `kind` at `now`, refilled (negative: in debt). */
  level(store: number[], kind: number, now: number): number {
    const i = kind * 2;
    const stamp = store[i + 1]!;
    if (now > stamp) {
      store[i] = refill(store[i]!, stamp, now, this.capacities[kind]!, this.periodMs);
      store[i + 1] = now;
    }
    return store[i]!;
  }

  /**
   * Takes `cost` tokens whatever the level (the bucket may go into debt); returns the level left.
   * The DN's hot path: `level()` inlined by hand, one read and one write of the level per take
   * (calling it cost a third more time per message).
   */
  spend(store: number[], kind: number, cost: number, now: number): number {
    const i = kind * 2;
    const stamp = store[i + 1]!;
    let level = store[i]!;
    if (now > stamp) {
      level = refill(level, stamp, now, this.capacities[kind]!, this.periodMs);
      store[i + 1] = now;
    }
    const left = level - cost;
    store[i] = left;
    return left;
  }
}

/**
 * A windowed bucket: at most `capacity` takes in any `periodMs` window. The take times live in
 * a ring (oldest at `head`) that grows on demand up to `capacity` entries.
 */
export class WindowBucket {
  private times: number[] = [];
  private head = 0;
  private used = 0;

  constructor(readonly capacity: number, readonly periodMs: number) {
    if (!(periodMs > 0)) throw new RangeError('periodMs must be positive');
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError('capacity must be a non-negative integer');
  }

  /** Tokens free at `now`. */
  available(now: number): number {
    this.expire(now);
    return this.capacity - this.used;
  }

  /** Takes one token when at least `keep` stay free afterwards (a reserve for others); false otherwise. */
  tryTake(now: number, keep = 0): boolean {
    if (this.available(now) <= keep) return false;
    this.record(now);
    return true;
  }

  /** Milliseconds until `tryTake(now + result, keep)` succeeds (0: it would now; Infinity: never). */
  waitMs(now: number, keep = 0): number {
    const free = this.available(now);
    if (free > keep) return 0;
    // The token `tryTake` needs is the one returned by the k-th oldest take still in the window.
    const k = keep - free;
    if (k >= this.used) return Infinity;
    return this.times[(this.head + k) % this.times.length]! + this.periodMs - now;
  }

  /** Forgets every take. */
  clear(): void {
    this.times = [];
    this.head = 0;
    this.used = 0;
  }

  private expire(now: number): void {
    const t = this.times;
    while (this.used > 0 && now - t[this.head]! >= this.periodMs) {
      this.head = this.head + 1 === t.length ? 0 : this.head + 1;
      this.used--;
    }
  }

  private record(now: number): void {
    const t = this.times;
    if (this.used < t.length) {
      t[(this.head + this.used) % t.length] = now;
    } else {
      // Every slot holds a take still in the window: grow, oldest first (bounded by capacity).
      if (this.head !== 0) this.times = t.slice(this.head).concat(t.slice(0, this.head));
      this.head = 0;
      this.times.push(now);
    }
    this.used++;
  }
}
