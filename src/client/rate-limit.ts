/**
 * Outbound sliding-window limits so we never trip the rs directory's disconnect rules
 * (wire-protocol.md §4.4: per 60 s, 30 pubmsgs, 3 !orderbook, 3 GETPEERLIST, 6 PING).
 * We stay one below each limit.
 */
import type { Clock } from '../util/clock.js';

export type LimitKind = 'pubmsg' | 'orderbook' | 'getpeerlist' | 'ping';

export const OUTBOUND_LIMITS: Readonly<Record<LimitKind, number>> = { pubmsg: 29, orderbook: 3, getpeerlist: 2, ping: 5 };
export const WINDOW_MS = 60_000;

export class OutboundLimiter {
  private readonly sent = new Map<LimitKind, number[]>();

  constructor(private readonly clock: Clock, private readonly limits: Readonly<Record<LimitKind, number>> = OUTBOUND_LIMITS) {}

  /** Records a send and returns true when it fits in the window; false (nothing recorded) otherwise. */
  take(kind: LimitKind): boolean {
    const now = this.clock.now();
    const list = (this.sent.get(kind) ?? []).filter((t) => now - t < WINDOW_MS);
    if (list.length >= this.limits[kind]) {
      this.sent.set(kind, list);
      return false;
    }
    list.push(now);
    this.sent.set(kind, list);
    return true;
  }

  /** Milliseconds until one more `kind` send fits (0 if it fits now). */
  waitMs(kind: LimitKind): number {
    const now = this.clock.now();
    const list = (this.sent.get(kind) ?? []).filter((t) => now - t < WINDOW_MS);
    if (list.length < this.limits[kind]) return 0;
    return WINDOW_MS - (now - list[0]!);
  }

  reset(): void {
    this.sent.clear();
  }
}
