import { describe, expect, it } from 'vitest';
import { RateKind, RateLimiter } from '../../../src/directory/rate-limiter.js';
import { fakePeer } from './fakes.js';

const limiter = new RateLimiter({ ratePubmsgPerMin: 60, rateOrderbookPerMin: 3, rateGetpeerlistPerMin: 0, ratePrivmsgPerMin: 6 });

describe('RateLimiter', () => {
  it('allows a bucket, drops beyond it, and reports abuse at a debt of one bucket', () => {
    const c = fakePeer('A');
    limiter.init(c, 0);
    const v = Array.from({ length: 7 }, () => limiter.take(c, RateKind.Orderbook, 0));
    expect(v).toEqual(['ok', 'ok', 'ok', 'drop', 'drop', 'abuse', 'abuse']);
  });

  it('refills continuously (3/min = one token per 20 s)', () => {
    const c = fakePeer('B');
    limiter.init(c, 0);
    for (let i = 0; i < 3; i++) limiter.take(c, RateKind.Orderbook, 0);
    expect(limiter.take(c, RateKind.Orderbook, 19_999)).toBe('drop');
    // a tiny debt plus 20 s of refill: exactly one token again
    expect(limiter.take(c, RateKind.Orderbook, 40_000)).toBe('ok');
    expect(limiter.take(c, RateKind.Orderbook, 40_000)).toBe('drop');
  });

  it('buckets are independent and 0 means unlimited', () => {
    const c = fakePeer('C');
    limiter.init(c, 0);
    for (let i = 0; i < 6; i++) expect(limiter.take(c, RateKind.Privmsg, 0)).toBe('ok');
    expect(limiter.take(c, RateKind.Privmsg, 0)).toBe('drop');
    expect(limiter.take(c, RateKind.Pubmsg, 0)).toBe('ok');
    for (let i = 0; i < 1000; i++) expect(limiter.take(c, RateKind.Getpeerlist, 0)).toBe('ok');
  });
});
