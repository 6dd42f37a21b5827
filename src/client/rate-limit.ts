/**
 * Outbound limits so we never trip the rs directory's disconnect rules (wire-protocol.md §4.4:
 * per 60 s sliding window, 30 pubmsgs, 3 !orderbook, 3 GETPEERLIST, 6 PING). Each kind is a
 * windowed bucket (src/util/rate-limit.ts): at most the limit in any 60 s window, which a
 * continuous token bucket could not promise (it lets nearly twice its capacity through in one
 * window). We stay one below each limit but !orderbook's (3 is rs's own limit and exceeding,
 * not reaching, it disconnects), and our window is 2 s longer than rs's because rs times
 * arrivals: sends spaced by exactly 60 s could arrive closer together after Tor's delays.
 */
import type { Clock } from '../util/clock.js';
import { WindowBucket } from '../util/rate-limit.js';

export type LimitKind = 'pubmsg' | 'orderbook' | 'getpeerlist' | 'ping';

export const OUTBOUND_LIMITS: Readonly<Record<LimitKind, number>> = { pubmsg: 29, orderbook: 3, getpeerlist: 2, ping: 5 };
export const WINDOW_MS = 62_000;

export class OutboundLimiter {
  private readonly buckets: Readonly<Record<LimitKind, WindowBucket>>;

  constructor(private readonly clock: Clock, limits: Readonly<Record<LimitKind, number>> = OUTBOUND_LIMITS) {
    const b = (kind: LimitKind): WindowBucket => new WindowBucket(limits[kind], WINDOW_MS);
    this.buckets = { pubmsg: b('pubmsg'), orderbook: b('orderbook'), getpeerlist: b('getpeerlist'), ping: b('ping') };
  }

  /** Records a send and returns true when it fits in the window; false (nothing recorded) otherwise. */
  take(kind: LimitKind): boolean {
    return this.buckets[kind].tryTake(this.clock.now());
  }

  /** Milliseconds until one more `kind` send fits (0 if it fits now). */
  waitMs(kind: LimitKind): number {
    return this.buckets[kind].waitMs(this.clock.now());
  }

  reset(): void {
    for (const b of Object.values(this.buckets)) b.clear();
  }
}
