import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { refill, TokenBuckets, WindowBucket } from '../../../src/util/rate-limit.js';
import { lcg, maxInWindow } from '../../helpers/send-windows.js';

const MINUTE = 60_000;

describe('refill', () => {
  it('adds capacity per period in proportion to the time passed, never above capacity', () => {
    expect(refill(0, 0, 20_000, 3, MINUTE)).toBe(1);
    expect(refill(-2, 0, 30_000, 6, MINUTE)).toBe(1);
    expect(refill(2.5, 0, MINUTE, 3, MINUTE)).toBe(3);
    expect(refill(-10, 0, 10 * MINUTE, 3, MINUTE)).toBe(3);
  });

  it('adds nothing when time stands still or runs backwards', () => {
    expect(refill(-1.5, 5_000, 5_000, 3, MINUTE)).toBe(-1.5);
    expect(refill(0.25, 5_000, 1_000, 3, MINUTE)).toBe(0.25);
  });
});

describe('TokenBuckets (continuous, caller-owned storage)', () => {
  it('starts full, goes into debt when spent past empty, and refills evenly', () => {
    const clock = new ManualClock(0);
    const b = new TokenBuckets([3, 60], MINUTE);
    const store = b.create(clock.now());
    expect(store).toEqual([3, 0, 60, 0]);
    expect([1, 2, 3, 4, 5].map(() => b.spend(store, 0, 1, clock.now()))).toEqual([2, 1, 0, -1, -2]);
    clock.advance(20_000); // one token per 20 s
    expect(b.level(store, 0, clock.now())).toBeCloseTo(-1, 12);
    clock.advance(2 * MINUTE);
    expect(b.level(store, 0, clock.now())).toBe(3); // capped
    expect(b.level(store, 1, clock.now())).toBe(60); // the other kind was never touched
  });

  it('keeps kinds independent and lets one cost overdraw a bucket', () => {
    const clock = new ManualClock(0);
    const b = new TokenBuckets([6, 100], MINUTE);
    const store = b.create(clock.now());
    expect(b.spend(store, 1, 250, clock.now())).toBe(-150); // e.g. a reply larger than the allowance
    expect(b.level(store, 0, clock.now())).toBe(6);
    clock.advance(90_000); // 150 bytes of debt take 90 s at 100 per minute
    expect(b.level(store, 1, clock.now())).toBeCloseTo(0, 9);
    clock.advance(600);
    expect(b.level(store, 1, clock.now())).toBeGreaterThan(0);
  });

  it('a capacity of 0 never holds a token', () => {
    const clock = new ManualClock(0);
    const b = new TokenBuckets([0], MINUTE);
    const store = b.create(clock.now());
    clock.advance(MINUTE);
    expect(b.level(store, 0, clock.now())).toBe(0);
    expect(b.spend(store, 0, 1, clock.now())).toBe(-1);
  });

  it('a greedy sender gets 2 × capacity through in one period: why windows need WindowBucket', () => {
    const clock = new ManualClock(0);
    const n = 30;
    const b = new TokenBuckets([n], MINUTE);
    const store = b.create(clock.now());
    const sends: number[] = [];
    for (let t = 0; t <= 10 * MINUTE; t += 250) {
      clock.advance(t - clock.now());
      while (b.level(store, 0, clock.now()) >= 1) {
        b.spend(store, 0, 1, clock.now());
        sends.push(clock.now());
      }
    }
    // n at once, then one every 2 s: the n-th refilled token comes exactly one period later.
    expect(sends.filter((t) => t <= MINUTE)).toHaveLength(2 * n);
    expect(maxInWindow(sends, MINUTE)).toBe(2 * n - 1);
  });

  it('refuses a period that is not positive and negative capacities', () => {
    expect(() => new TokenBuckets([1], 0)).toThrow(/periodMs/);
    expect(() => new TokenBuckets([-1], MINUTE)).toThrow(/capacities/);
    expect(() => new TokenBuckets([Number.NaN], MINUTE)).toThrow(/capacities/);
  });
});

describe('WindowBucket (each token comes back one period after it was taken)', () => {
  it('allows capacity takes in a window and frees each one exactly a period after it was taken', () => {
    const clock = new ManualClock(0);
    const w = new WindowBucket(3, 1_000);
    expect([0, 1, 2, 3].map(() => w.tryTake(clock.now()))).toEqual([true, true, true, false]);
    clock.advance(400);
    expect(w.available(clock.now())).toBe(0);
    clock.advance(599);
    expect(w.tryTake(clock.now())).toBe(false);
    clock.advance(1); // 1,000 ms after the first three
    expect(w.available(clock.now())).toBe(3);
  });

  it('waitMs says exactly when the next take fits', () => {
    const clock = new ManualClock(0);
    const w = new WindowBucket(2, MINUTE);
    expect(w.waitMs(clock.now())).toBe(0);
    w.tryTake(clock.now());
    clock.advance(10_000);
    w.tryTake(clock.now());
    clock.advance(5_000);
    expect(w.waitMs(clock.now())).toBe(45_000); // the first take returns at 60 s
    clock.advance(44_999);
    expect(w.tryTake(clock.now())).toBe(false);
    clock.advance(1);
    expect(w.tryTake(clock.now())).toBe(true);
    expect(w.waitMs(clock.now())).toBe(10_000); // now the one taken at 10 s is the oldest
  });

  it('keeps a reserve: a take that would leave fewer than `keep` tokens free is refused', () => {
    const clock = new ManualClock(0);
    const w = new WindowBucket(4, 1_000);
    expect([0, 1, 2].map(() => w.tryTake(clock.now(), 2))).toEqual([true, true, false]);
    expect(w.waitMs(clock.now(), 2)).toBe(1_000);
    expect(w.tryTake(clock.now(), 0)).toBe(true);
    expect(w.tryTake(clock.now(), 0)).toBe(true);
    expect(w.tryTake(clock.now(), 0)).toBe(false);
    clock.advance(300);
    expect(w.waitMs(clock.now(), 0)).toBe(700);
    expect(w.waitMs(clock.now(), 3)).toBe(700); // all four were taken at once
    expect(w.waitMs(clock.now(), 4)).toBe(Infinity); // 4 kept of 4: never
  });

  it('a capacity of 0 never allows a take', () => {
    const w = new WindowBucket(0, 1_000);
    expect([w.tryTake(0), w.available(5_000), w.waitMs(5_000)]).toEqual([false, 0, Infinity]);
  });

  it('clear forgets every take', () => {
    const w = new WindowBucket(1, MINUTE);
    expect(w.tryTake(0)).toBe(true);
    expect(w.tryTake(1)).toBe(false);
    w.clear();
    expect(w.tryTake(2)).toBe(true);
  });

  it('agrees with a list-of-times model through a long random run (ring wraps and grows)', () => {
    const clock = new ManualClock(0);
    const rnd = lcg(11);
    for (const [cap, period] of [[1, 500], [5, 1_000], [29, MINUTE], [64, 3_000]] as const) {
      const w = new WindowBucket(cap, period);
      let model: number[] = [];
      for (let i = 0; i < 8_000; i++) {
        clock.advance(rnd(4) === 0 ? rnd(period) : rnd(Math.ceil((3 * period) / cap)));
        const now = clock.now();
        model = model.filter((t) => now - t < period);
        const keep = rnd(3) === 0 ? rnd(cap + 1) : 0;
        const wait = model.length < cap - keep ? 0 : keep >= cap ? Infinity : model[model.length - cap + keep]! + period - now;
        expect(w.waitMs(now, keep)).toBe(wait);
        const ok = model.length < cap - keep;
        expect(w.tryTake(now, keep)).toBe(ok);
        if (ok) model.push(now);
        expect(w.available(now)).toBe(cap - model.length);
      }
    }
  });

  it('never lets more than capacity through in any window, whatever the sender does', () => {
    const rnd = lcg(5);
    for (const n of [1, 2, 3, 5, 29]) {
      const clock = new ManualClock(1_700_000_000_000);
      const w = new WindowBucket(n, MINUTE);
      const sends: number[] = [];
      for (let i = 0; i < 50_000; i++) {
        // bursts, single retries one millisecond apart, and pauses of up to two windows
        const r = rnd(10);
        clock.advance(r < 5 ? 1 : r < 8 ? rnd(MINUTE / n) : rnd(2 * MINUTE));
        if (w.tryTake(clock.now())) sends.push(clock.now());
      }
      expect(maxInWindow(sends, MINUTE)).toBe(n);
      // and a greedy sender that retries every millisecond gets exactly n per window
      const greedy = new WindowBucket(n, MINUTE);
      let got = 0;
      for (let t = 0; t < 10 * MINUTE; t++) if (greedy.tryTake(t)) got++;
      expect(got).toBe(10 * n);
    }
  });

  it('holds at most capacity timestamps', () => {
    const w = new WindowBucket(3, 1_000);
    for (let t = 0; t < 10_000; t++) w.tryTake(t);
    expect((w as unknown as { times: number[] }).times.length).toBe(3);
  });

  it('refuses a period that is not positive and a capacity that is not a whole number', () => {
    expect(() => new WindowBucket(1, 0)).toThrow(/periodMs/);
    expect(() => new WindowBucket(1.5, 1_000)).toThrow(/capacity/);
    expect(() => new WindowBucket(-1, 1_000)).toThrow(/capacity/);
  });
});
