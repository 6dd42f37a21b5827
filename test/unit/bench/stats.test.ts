import { describe, expect, it } from 'vitest';
import { Histogram, percentile, percentileSorted, slope, summarize } from '../../../bench/lib/stats.js';

describe('bench stats', () => {
  it('nearest-rank percentiles', () => {
    const v = [15, 20, 35, 40, 50];
    expect(percentile(v, 30)).toBe(20);
    expect(percentile(v, 40)).toBe(20);
    expect(percentile(v, 50)).toBe(35);
    expect(percentile(v, 100)).toBe(50);
    expect(percentile(v, 0)).toBe(15);
    expect(percentileSorted([], 50)).toBeNaN();
    expect(percentile([3, 1, 2], 50)).toBe(2);
  });

  it('histogram percentiles are within 2 % of the exact ones', () => {
    const h = new Histogram();
    const values: number[] = [];
    for (let i = 1; i <= 10_000; i++) {
      const v = (i * 7919) % 10_007 / 100; // 0.01 .. 100 ms, shuffled
      values.push(v);
      h.record(v);
    }
    for (const p of [50, 90, 99, 99.9]) {
      const exact = percentile(values, p);
      expect(Math.abs(h.percentile(p) - exact) / exact).toBeLessThan(0.02);
    }
    expect(h.percentile(0)).toBe(h.min);
    expect(h.percentile(100)).toBe(h.max);
    expect(h.count).toBe(10_000);
  });

  it('merges histograms (also through JSON) and summarizes', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 0; i < 99; i++) a.record(1);
    b.record(50);
    const m = Histogram.from(JSON.parse(JSON.stringify(a.toJSON())));
    m.merge(b.toJSON());
    const s = summarize(m);
    expect(s.count).toBe(100);
    expect(s.p50).toBeCloseTo(1, 1);
    expect(s.p99).toBeCloseTo(1, 1);
    expect(s.max).toBe(50);
    expect(m.percentile(99.5)).toBe(50);
    expect(summarize(new Histogram()).p99).toBeNaN();
  });

  it('least-squares slope', () => {
    expect(slope([1000, 5000, 10000], [100, 500, 1000])).toBeCloseTo(0.1, 10);
    expect(slope([1], [1])).toBeNaN();
    expect(slope([2, 2], [1, 5])).toBeNaN();
  });
});
