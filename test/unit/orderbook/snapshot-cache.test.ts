import { describe, expect, it } from 'vitest';
import { DocumentCache } from '../../../src/orderbook/snapshot-cache.js';

describe('DocumentCache', () => {
  it('rebuilds on change at most once per interval, and when unchanged after maxAge', () => {
    let now = 0;
    let version = 0;
    let builds = 0;
    const c = new DocumentCache({ build: () => ({ n: ++builds }), version: () => version, now: () => now, minIntervalMs: 1_000, maxAgeMs: 5_000 });
    const a = c.get();
    expect(a.doc).toEqual({ n: 1 });
    expect(a.json).toBe('{"n":1}');
    version++;
    now = 999;
    expect(c.get()).toBe(a); // changed, but within the interval: the flood pays nothing
    now = 1_000;
    const b = c.get();
    expect(b.doc).toEqual({ n: 2 });
    now = 5_999;
    expect(c.get()).toBe(b); // unchanged and young
    now = 6_000;
    expect(c.get().doc).toEqual({ n: 3 }); // unchanged but old
    now = 1; // the clock went back: rebuild rather than serve a document from the future
    expect(c.get().doc).toEqual({ n: 4 });
  });
});
