/**
 * Per-connection token buckets stored as plain numbers on the connection. A message that finds
 * the bucket empty is dropped; the bucket keeps going into debt, and a peer that runs up a
 * debt of a whole bucket (twice its allowance without slowing down) is disconnected.
 * Byte buckets (charge()) pay for what a request costs us: served while not in debt, then the
 * cost is taken, so one reply may overdraw and the next waits until the debt is refilled.
 */
import type { PeerConnection } from './peer-connection.js';
import type { DirectoryLimits } from './limits.js';

export const RateKind = { Pubmsg: 0, Orderbook: 1, Getpeerlist: 2, Privmsg: 3, PeerlistBytes: 4, PubmsgBytes: 5 } as const;
export type RateKindCode = (typeof RateKind)[keyof typeof RateKind];
export const RATE_KIND_NAMES = ['pubmsg', 'orderbook', 'getpeerlist', 'privmsg', 'peerlist_bytes', 'pubmsg_bytes'] as const;
export type RateKindName = (typeof RATE_KIND_NAMES)[number];

export type RateVerdict = 'ok' | 'drop' | 'abuse';

const MINUTE = 60_000;

export class RateLimiter {
  private readonly perMin: readonly number[];

  constructor(
    limits: Pick<DirectoryLimits, 'ratePubmsgPerMin' | 'rateOrderbookPerMin' | 'rateGetpeerlistPerMin' | 'ratePrivmsgPerMin'> &
      Partial<Pick<DirectoryLimits, 'peerlistBytesPerMin' | 'pubmsgBytesPerMin'>>,
  ) {
    this.perMin = [limits.ratePubmsgPerMin, limits.rateOrderbookPerMin, limits.rateGetpeerlistPerMin, limits.ratePrivmsgPerMin, limits.peerlistBytesPerMin ?? 0, limits.pubmsgBytesPerMin ?? 0];
  }

  /** Fresh buckets start full. */
  init(conn: PeerConnection, now: number): void {
    const b: number[] = [];
    for (const cap of this.perMin) b.push(cap, now);
    conn.buckets = b;
  }

  take(conn: PeerConnection, kind: RateKindCode, now: number): RateVerdict {
    const cap = this.perMin[kind]!;
    if (cap === 0) return 'ok';
    const tokens = this.refill(conn, kind, cap, now) - 1;
    conn.buckets![kind * 2] = tokens;
    if (tokens >= 0) return 'ok';
    return tokens <= -cap ? 'abuse' : 'drop';
  }

  /** Byte bucket: 'ok' (and `cost` taken) unless the bucket is in debt. */
  charge(conn: PeerConnection, kind: RateKindCode, cost: number, now: number): 'ok' | 'drop' {
    const cap = this.perMin[kind]!;
    if (cap === 0) return 'ok';
    const tokens = this.refill(conn, kind, cap, now);
    if (tokens <= 0) return 'drop';
    conn.buckets![kind * 2] = tokens - cost;
    return 'ok';
  }

  /** The bucket's tokens after refilling up to `now`. */
  private refill(conn: PeerConnection, kind: RateKindCode, cap: number, now: number): number {
    if (!conn.buckets) this.init(conn, now);
    const b = conn.buckets!;
    const i = kind * 2;
    const elapsed = now - b[i + 1]!;
    let tokens = b[i]!;
    if (elapsed > 0) {
      tokens = Math.min(cap, tokens + (elapsed * cap) / MINUTE);
      b[i] = tokens;
      b[i + 1] = now;
    }
    return tokens;
  }
}
