/**
 * The API document served from a cache: rebuilt when the book changed, but at most once per
 * `minIntervalMs` (a flood of offers changes it thousands of times a second), and at least
 * every `maxAgeMs` (times and bond checks move on their own). Requests then cost a lookup,
 * not a build and a serialisation of the whole book.
 */
export interface CachedDocument<T> {
  doc: T;
  /** JSON.stringify(doc), made on first use. */
  readonly json: string;
  builtAt: number;
  version: number;
}

export interface DocumentCacheOptions<T> {
  build: () => T;
  /** Bumped on every change of what the document shows. */
  version: () => number;
  now: () => number;
  minIntervalMs?: number;
  maxAgeMs?: number;
}

export class DocumentCache<T> {
  private current: CachedDocument<T> | null = null;
  private readonly minIntervalMs: number;
  private readonly maxAgeMs: number;

  constructor(private readonly o: DocumentCacheOptions<T>) {
    this.minIntervalMs = o.minIntervalMs ?? 1_000;
    this.maxAgeMs = o.maxAgeMs ?? 5_000;
  }

  get(): CachedDocument<T> {
    const c = this.current;
    const now = this.o.now();
    const version = this.o.version();
    if (c) {
      const age = now - c.builtAt;
      if (age >= 0 && (age < this.minIntervalMs || (c.version === version && age < this.maxAgeMs))) return c;
    }
    const doc = this.o.build();
    let json: string | null = null;
    this.current = {
      doc, builtAt: now, version,
      get json() {
        return (json ??= JSON.stringify(doc));
      },
    };
    return this.current;
  }
}
