/**
 * Per-connection token buckets stored as plain numbers on the connection. A message that finds
 * the bucket empty is dropped; the bucket keeps going into debt, and a peer that runs up a
 * debt of a whole bucket (twice its allowance without slowing down) is disconnected.
 */
import type { PeerConnection } from './peer-connection.js';
import type { DirectoryLimits } from './limits.js';

export const RateKind = { Pubmsg: 0, Orderbook: 1, Getpeerlist: 2, Privmsg: 3 } as const;
export type RateKindCode = (typeof RateKind)[keyof typeof RateKind];
export const RATE_KIND_NAMES = ['pubmsg', 'orderbook', 'getpeerlist', 'privmsg'] as const;
export type RateKindName = (typeof RATE_KIND_NAMES)[number];

export type RateVerdict = 'ok' | 'drop' | 'abuse';

const MINUTE = 60_000;

export class RateLimiter {
  private readonly perMin: readonly number[];

  constructor(limits: Pick<DirectoryLimits, 'ratePubmsgPerMin' | 'rateOrderbookPerMin' | 'rateGetpeerlistPerMin' | 'ratePrivmsgPerMin'>) {
    this.perMin = [limits.ratePubmsgPerMin, limits.rateOrderbookPerMin, limits.rateGetpeerlistPerMin, limits.ratePrivmsgPerMin];
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
    if (!conn.buckets) this.init(conn, now);
    const b = conn.buckets!;
    const i = kind * 2;
    const elapsed = now - b[i + 1]!;
    let tokens = b[i]!;
    if (elapsed > 0) {
      tokens = Math.min(cap, tokens + (elapsed * cap) / MINUTE);
      b[i + 1] = now;
    }
    tokens -= 1;
    b[i] = tokens;
    if (tokens >= 0) return 'ok';
    return tokens <= -cap ? 'abuse' : 'drop';
  }
}
