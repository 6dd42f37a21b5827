import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { FairLimiter } from '../../../src/maker/rate-limit.js';

describe('FairLimiter', () => {
  it('limits per key and globally over a sliding window', () => {
    const clock = new ManualClock();
    const l = new FairLimiter(clock, { perKey: 2, global: 3, reserve: 0, windowMs: 1_000 });
    expect(['a', 'a', 'a', 'b', 'c', 'd'].map((k) => l.take(k))).toEqual(['ok', 'ok', 'key', 'ok', 'global', 'global']);
    clock.advance(999);
    expect(l.take('d')).toBe('global');
    clock.advance(1);
    expect([l.take('d'), l.take('a')]).toEqual(['ok', 'ok']);
    expect(l.refusals).toEqual({ key: 1, global: 3 });
  });

  it('keeps the reserve for first asks in a window and vouched keys', () => {
    const clock = new ManualClock();
    const l = new FairLimiter(clock, { perKey: 10, global: 4, reserve: 2, windowMs: 1_000 });
    expect([l.take('a'), l.take('a'), l.take('a')]).toEqual(['ok', 'ok', 'global']); // shared part: 2
    expect(l.take('b')).toBe('ok'); // first ask: reserve
    expect(l.take('b')).toBe('global');
    expect(l.take('a', true)).toBe('ok'); // vouched: reserve
    expect(l.take('c')).toBe('global'); // all 4 used
    clock.advance(500);
    expect(l.take('c')).toBe('global'); // c asked within the window: no longer a first ask
  });

  it('forgets the least recently active keys past maxKeys', () => {
    const clock = new ManualClock();
    const l = new FairLimiter(clock, { perKey: 1, global: 1_000_000, reserve: 0, windowMs: 60_000 }, 100);
    for (let i = 0; i < 1_000; i++) expect(l.take(`k${i}`)).toBe('ok');
    expect(l.take('k999')).toBe('key');
    expect(l.take('k0')).toBe('ok'); // forgotten
  });

  it('refuses a reserve larger than the budget', () => {
    expect(() => new FairLimiter(new ManualClock(), { perKey: 1, global: 1, reserve: 2, windowMs: 1 })).toThrow(/reserve/);
  });
});
