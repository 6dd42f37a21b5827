/**
 * Latency statistics for the benchmark: a log-bucketed histogram (about 1 % relative
 * precision, mergeable across load-generator processes) and exact nearest-rank percentiles.
 * Values are milliseconds.
 */

/** Exact nearest-rank percentile of an ascending-sorted array; NaN when empty. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (p <= 0) return sorted[0]!;
  if (p >= 100) return sorted[n - 1]!;
  const rank = Math.ceil((p / 100) * n);
  return sorted[Math.max(0, rank - 1)]!;
}

/** Exact nearest-rank percentile of an unsorted list (copies and sorts). */
export function percentile(values: ReadonlyArray<number>, p: number): number {
  return percentileSorted(Float64Array.from(values).sort(), p);
}

export interface HistogramJson {
  counts: number[];
  count: number;
  sum: number;
  min: number;
  max: number;
}

const BASE_MS = 0.001; // 1 µs
const RATIO = 1.02;
const LOG_RATIO = Math.log(RATIO);
const BUCKETS = Math.ceil(Math.log(1e6 / BASE_MS) / LOG_RATIO) + 2; // up to 1000 s

/** Log-bucketed histogram: bucket i holds [BASE·RATIO^(i-1), BASE·RATIO^i). */
export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  static bucketOf(v: number): number {
    if (!(v > BASE_MS)) return 0;
    const i = Math.ceil(Math.log(v / BASE_MS) / LOG_RATIO);
    return i >= BUCKETS ? BUCKETS - 1 : i;
  }

  /** The upper bound of bucket i (what percentile() reports, clamped to min/max). */
  static upperOf(i: number): number {
    return BASE_MS * RATIO ** i;
  }

  record(v: number): void {
    this.counts[Histogram.bucketOf(v)]! += 1;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  merge(o: Histogram | HistogramJson): void {
    const c = o.counts;
    for (let i = 0; i < BUCKETS && i < c.length; i++) this.counts[i]! += c[i]!;
    this.count += o.count;
    this.sum += o.sum;
    if (o.count > 0) {
      if (o.min < this.min) this.min = o.min;
      if (o.max > this.max) this.max = o.max;
    }
  }

  /** Percentile with ~1 % relative error; exact at p=0 and p=100; NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    if (p <= 0) return this.min;
    if (p >= 100) return this.max;
    const rank = Math.ceil((p / 100) * this.count);
    let acc = 0;
    for (let i = 0; i < BUCKETS; i++) {
      acc += this.counts[i]!;
      if (acc >= rank) return Math.min(this.max, Math.max(this.min, Histogram.upperOf(i)));
    }
    return this.max;
  }

  mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = Number.NEGATIVE_INFINITY;
  }

  toJSON(): HistogramJson {
    return { counts: Array.from(this.counts), count: this.count, sum: this.sum, min: this.min, max: this.max };
  }

  static from(j: HistogramJson): Histogram {
    const h = new Histogram();
    h.merge(j);
    return h;
  }
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarize(h: Histogram): LatencySummary {
  return { count: h.count, p50: h.percentile(50), p99: h.percentile(99), max: h.count ? h.max : Number.NaN };
}

/** Least-squares slope of y over x; NaN with fewer than two distinct x. */
export function slope(xs: ReadonlyArray<number>, ys: ReadonlyArray<number>): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return Number.NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}
