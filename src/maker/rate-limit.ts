/** Sliding-window limits per key (nick or connection) plus one global window. */
import type { Clock } from '../util/clock.js';

export class KeyedLimiter {
  private readonly hits = new Map<string, number[]>();
  private global: number[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly perKey: number,
    private readonly globalMax: number,
    private readonly windowMs: number,
  ) {}

  /** Records the hit and returns true when within both limits. */
  take(key: string): boolean {
    const now = this.clock.now();
    const fresh = (t: number): boolean => now - t < this.windowMs;
    const list = (this.hits.get(key) ?? []).filter(fresh);
    this.global = this.global.filter(fresh);
    if (list.length >= this.perKey || this.global.length >= this.globalMax) {
      this.hits.set(key, list);
      return false;
    }
    list.push(now);
    this.hits.set(key, list);
    this.global.push(now);
    if (this.hits.size > 10_000) this.prune(now);
    return true;
  }

  private prune(now: number): void {
    for (const [k, v] of this.hits) if (v.every((t) => now - t >= this.windowMs)) this.hits.delete(k);
  }
}
