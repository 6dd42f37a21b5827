/**
 * Per-connection rate limits of the DN: continuous token buckets (src/util/rate-limit.ts) with a
 * minute's allowance, stored as plain numbers on the connection. A message that finds the
 * bucket empty is dropped; the bucket keeps going into debt, and a peer that runs up a debt of
 * a whole bucket (twice its allowance without slowing down) is disconnected.
 * Byte buckets (charge()) pay for what a request costs us: served while not in debt, then the
 * cost is taken, so one reply may overdraw and the next waits until the debt is refilled.
 * A limit of 0 means unlimited.
 */
import type { PeerConnection } from './peer-connection.js';
import type { DirectoryLimits } from './limits.js';
import { TokenBuckets } from '../util/rate-limit.js';

export const RateKind = { Pubmsg: 0, Orderbook: 1, Getpeerlist: 2, Privmsg: 3, PeerlistBytes: 4, PubmsgBytes: 5, PrivmsgBytes: 6 } as const;
export type RateKindCode = (typeof RateKind)[keyof typeof RateKind];
export const RATE_KIND_NAMES = ['pubmsg', 'orderbook', 'getpeerlist', 'privmsg', 'peerlist_bytes', 'pubmsg_bytes', 'privmsg_bytes'] as const;
export type RateKindName = (typeof RATE_KIND_NAMES)[number];

export type RateVerdict = 'ok' | 'drop' | 'abuse';

const MINUTE = 60_000;

export class RateLimiter {
  private readonly perMin: readonly number[];
  private readonly buckets: TokenBuckets;

  constructor(
    limits: Pick<DirectoryLimits, 'ratePubmsgPerMin' | 'rateOrderbookPerMin' | 'rateGetpeerlistPerMin' | 'ratePrivmsgPerMin'> &
      Partial<Pick<DirectoryLimits, 'peerlistBytesPerMin' | 'pubmsgBytesPerMin' | 'privmsgBytesPerMin'>>,
  ) {
    this.perMin = [limits.ratePubmsgPerMin, limits.rateOrderbookPerMin, limits.rateGetpeerlistPerMin, limits.ratePrivmsgPerMin, limits.peerlistBytesPerMin ?? 0, limits.pubmsgBytesPerMin ?? 0, limits.privmsgBytesPerMin ?? 0];
    this.buckets = new TokenBuckets(this.perMin, MINUTE);
  }

  /** Fresh buckets start full. */
  init(conn: PeerConnection, now: number): void {
    conn.buckets = this.buckets.create(now);
  }

  take(conn: PeerConnection, kind: RateKindCode, now: number): RateVerdict {
    const cap = this.perMin[kind]!;
    if (cap === 0) return 'ok';
    const left = this.buckets.spend(conn.buckets ?? this.fresh(conn, now), kind, 1, now);
    if (left >= 0) return 'ok';
    return left <= -cap ? 'abuse' : 'drop';
  }

  /** A byte bucket would serve a request now (it is not in debt); takes nothing. */
  canCharge(conn: PeerConnection, kind: RateKindCode, now: number): boolean {
    return this.perMin[kind] === 0 || this.buckets.level(conn.buckets ?? this.fresh(conn, now), kind, now) > 0;
  }

  /** Byte bucket: 'ok' (and `cost` taken) unless the bucket is in debt. */
  charge(conn: PeerConnection, kind: RateKindCode, cost: number, now: number): 'ok' | 'drop' {
    if (this.perMin[kind] === 0) return 'ok';
    const store = conn.buckets ?? this.fresh(conn, now);
    if (this.buckets.level(store, kind, now) <= 0) return 'drop';
    this.buckets.spend(store, kind, cost, now);
    return 'ok';
  }

  private fresh(conn: PeerConnection, now: number): number[] {
    this.init(conn, now);
    return conn.buckets!;
  }
}
