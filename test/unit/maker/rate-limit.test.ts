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

  it('keeps the reserve for vouched requests only: a fresh key gets no more than a repeating one', () => {
    const clock = new ManualClock();
    const l = new FairLimiter(clock, { perKey: 10, global: 4, reserve: 2, windowMs: 1_000 });
    expect([l.take('a'), l.take('a'), l.take('a')]).toEqual(['ok', 'ok', 'global']); // shared part: 2
    expect(l.take('b')).toBe('global'); // a first ask is not privileged
    expect([l.take('a', true), l.take('c', true), l.take('d', true)]).toEqual(['ok', 'ok', 'global']); // vouched: reserve
  });

  it('takeKeyOnly charges the key alone', () => {
    const clock = new ManualClock();
    const l = new FairLimiter(clock, { perKey: 2, global: 1, reserve: 0, windowMs: 1_000 });
    expect(l.take('a')).toBe('ok');
    expect(l.take('a')).toBe('global'); // global full; not charged to a
    expect([l.takeKeyOnly('a'), l.takeKeyOnly('a')]).toEqual([true, false]);
    expect(l.take('a')).toBe('key');
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
