import { describe, expect, it } from 'vitest';
import { OUTBOUND_LIMITS, OutboundLimiter, WINDOW_MS, type LimitKind } from '../../../src/client/rate-limit.js';
import { ManualClock } from '../../../src/util/clock.js';
import { lcg, maxInWindow } from '../../helpers/send-windows.js';

/** joinmarket-rs's per-peer limits per 60 s sliding window (wire-protocol.md §4.4); one more disconnects. */
const RS_LIMITS: Readonly<Record<LimitKind, number>> = { pubmsg: 30, orderbook: 3, getpeerlist: 3, ping: 6 };

describe('OutboundLimiter', () => {
  it('stays within the rs limits, one below each but !orderbook', () => {
    for (const kind of Object.keys(RS_LIMITS) as LimitKind[]) {
      expect(OUTBOUND_LIMITS[kind]).toBeLessThanOrEqual(RS_LIMITS[kind]);
      if (kind !== 'orderbook') expect(OUTBOUND_LIMITS[kind]).toBe(RS_LIMITS[kind] - 1);
    }
  });

  it('never sends more than its limit in any 60 s window, however the sends are spaced', () => {
    const clock = new ManualClock();
    const limiter = new OutboundLimiter(clock);
    const sent: Record<LimitKind, number[]> = { pubmsg: [], orderbook: [], getpeerlist: [], ping: [] };
    const kinds = Object.keys(sent) as LimitKind[];
    const rnd = lcg(3);
    for (let i = 0; i < 40_000; i++) {
      clock.advance(rnd(20) === 0 ? rnd(90_000) : rnd(300));
      const kind = kinds[rnd(kinds.length)]!;
      if (limiter.take(kind)) sent[kind].push(clock.now());
      else expect(limiter.waitMs(kind)).toBeGreaterThan(0);
    }
    for (const kind of kinds) expect([kind, maxInWindow(sent[kind], WINDOW_MS)]).toEqual([kind, OUTBOUND_LIMITS[kind]]);
  });

  it('waitMs is when the oldest send leaves the window; reset forgets every send', () => {
    const clock = new ManualClock();
    const limiter = new OutboundLimiter(clock, { pubmsg: 2, orderbook: 1, getpeerlist: 1, ping: 1 });
    expect([limiter.take('pubmsg'), limiter.take('pubmsg'), limiter.take('pubmsg')]).toEqual([true, true, false]);
    clock.advance(15_000);
    expect(limiter.waitMs('pubmsg')).toBe(WINDOW_MS - 15_000);
    expect(limiter.waitMs('orderbook')).toBe(0);
    clock.advance(WINDOW_MS - 15_000 - 1);
    expect(limiter.take('pubmsg')).toBe(false);
    clock.advance(1);
    expect(limiter.take('pubmsg')).toBe(true);
    limiter.reset();
    expect([limiter.take('pubmsg'), limiter.take('pubmsg')]).toEqual([true, true]);
  });
});
