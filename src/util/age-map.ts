/**
 * A Map that knows which entry is oldest, for bounded caches evicted oldest-first. A plain
 * Map cannot do this cheaply: `map.keys().next()` walks every deleted slot at the front of the
 * table, so evicting from the front of a large map costs time proportional to what was already
 * evicted (200,000 evictions at 100,000 entries: ~9 s instead of milliseconds). Here a queue
 * of (key, stamp) records insertion order; `set` makes an entry the newest (its older queue
 * record goes stale and is skipped once), and the queue is rebuilt when it holds more stale
 * records than live ones.
 */
export class AgeMap<K, V> {
  private readonly map = new Map<K, { value: V; stamp: number }>();
  private keys: K[] = [];
  private stamps: number[] = [];
  private head = 0;
  private next = 0;

  get size(): number {
    return this.map.size;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  get(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  /** Inserts or replaces; either way the entry is now the newest. */
  set(key: K, value: V): this {
    const stamp = this.next++;
    this.map.set(key, { value, stamp });
    this.keys.push(key);
    this.stamps.push(stamp);
    this.tidy();
    return this;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
    this.keys = [];
    this.stamps = [];
    this.head = 0;
  }

  /** The oldest entry, or undefined when empty. */
  oldest(): [K, V] | undefined {
    for (; this.head < this.keys.length; this.head++) {
      const k = this.keys[this.head]!;
      const e = this.map.get(k);
      if (e !== undefined && e.stamp === this.stamps[this.head]) return [k, e.value];
    }
    return undefined;
  }

  /** Removes and returns the oldest entry. */
  shift(): [K, V] | undefined {
    const o = this.oldest();
    if (o !== undefined) this.map.delete(o[0]);
    this.tidy();
    return o;
  }

  /** Entries, oldest first. */
  *entries(): IterableIterator<[K, V]> {
    for (let i = this.head; i < this.keys.length; i++) {
      const k = this.keys[i]!;
      const e = this.map.get(k);
      if (e !== undefined && e.stamp === this.stamps[i]) yield [k, e.value];
    }
  }

  /** Drops stale and consumed records once they outnumber the live ones. */
  private tidy(): void {
    const window = this.keys.length - this.head;
    if (window > 2 * this.map.size + 1_024 || (this.head > 1_024 && this.head * 2 > this.keys.length)) this.rebuild();
  }

  private rebuild(): void {
    const keys: K[] = [];
    const stamps: number[] = [];
    for (let i = this.head; i < this.keys.length; i++) {
      const e = this.map.get(this.keys[i]!);
      if (e !== undefined && e.stamp === this.stamps[i]) {
        keys.push(this.keys[i]!);
        stamps.push(this.stamps[i]!);
      }
    }
    this.keys = keys;
    this.stamps = stamps;
    this.head = 0;
  }
}
