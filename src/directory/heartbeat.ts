/**
 * One sweep for all peers (no per-peer timers): handshake timeouts, graceful-close reaping,
 * liveness probes and idle eviction. Probes: PING to peers that advertised `ping`, else the
 * unicast `<dn>!PUBLIC!orderbook` to serving peers; silent non-serving peers without `ping`
 * (reference takers/watchers) cannot be probed and are kept unless evictSilentTakers is set.
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../util/clock.js';
import { encodeEnvelopeBuffer } from '../protocol/framing.js';
import { MsgType } from '../protocol/message-types.js';
import type { ConnectionManager } from './connection-manager.js';
import type { DirectoryLimits } from './limits.js';
import type { PeerConnection } from './peer-connection.js';
import type { PeerRegistry } from './peer-registry.js';
import type { DirectoryStats } from './stats.js';
import { canProbe } from './admission.js';
import type { NickAuthGate } from './nick-auth.js';

const PING = encodeEnvelopeBuffer(MsgType.PING, '');

type HeartbeatLimits = Pick<
  DirectoryLimits,
  'sweepIntervalMs' | 'probeAfterMs' | 'pongTimeoutMs' | 'evictAfterMs' | 'evictSilentTakers'
>;

export interface HeartbeatOptions {
  registry: PeerRegistry;
  manager: Pick<ConnectionManager, 'pending' | 'close' | 'send' | 'reapClosing' | 'expireLines' | 'expireStalled' | 'handshakeDeadlineMs' | 'handshakeTimeoutReason'>;
  limits: HeartbeatLimits;
  clock: Clock;
  stats: DirectoryStats;
  logger: Logger;
  /** The directory's nick, for the !orderbook probe. */
  nick: string;
  /** Ends nick-auth exchanges past their deadline (807 expired). */
  nickAuth?: Pick<NickAuthGate, 'expired'> & { expire(c: PeerConnection): void };
}

export class Heartbeat {
  private timer: Timer | null = null;
  private readonly orderbookProbe: Buffer;

  constructor(private readonly o: HeartbeatOptions) {
    this.orderbookProbe = encodeEnvelopeBuffer(MsgType.PUBMSG, `${o.nick}!PUBLIC!orderbook`);
  }

  start(): void {
    if (this.timer === null) this.timer = this.o.clock.setInterval(() => this.sweep(), this.o.limits.sweepIntervalMs);
  }

  stop(): void {
    if (this.timer !== null) this.o.clock.clearInterval(this.timer);
    this.timer = null;
  }

  /** Sends a liveness probe; returns false for peers that cannot be probed. */
  probe(p: PeerConnection, now: number): boolean {
    if (p.wantsPing) {
      this.o.stats.routed.ping++;
      this.o.manager.send(p, PING);
    } else if (p.serving) {
      this.o.stats.routed.probe++;
      this.o.manager.send(p, this.orderbookProbe);
    } else return false;
    p.probeSentAt = now;
    return true;
  }

  sweep(now = this.o.clock.now()): void {
    const l = this.o.limits;
    const m = this.o.manager;
    const deadline = m.handshakeDeadlineMs();
    if (deadline > 0) {
      for (const c of m.pending) {
        if (c.auth === null && now - c.connectedAt >= deadline) m.close(c, m.handshakeTimeoutReason(deadline), 'handshake-timeout');
      }
    }
    const na = this.o.nickAuth;
    if (na) for (const c of m.pending) if (c.auth !== null && na.expired(c.auth, now)) na.expire(c);
    m.expireLines(now);
    m.expireStalled(now);
    m.reapClosing(now);
    const peers = this.o.registry.peers;
    // Backwards: an eviction swaps the last (already visited) peer into slot i.
    for (let i = peers.length - 1; i >= 0; i--) {
      const p = peers[i];
      if (!p) continue;
      const idle = now - p.lastSeen;
      if (p.probeSentAt > 0 && now - p.probeSentAt >= l.pongTimeoutMs) {
        this.evict(p, `no answer to liveness probe within ${l.pongTimeoutMs} ms`);
      } else if (l.evictAfterMs > 0 && idle >= l.evictAfterMs && (canProbe(p) || l.evictSilentTakers)) {
        this.evict(p, `idle for ${idle} ms`);
      } else if (l.probeAfterMs > 0 && idle >= l.probeAfterMs && p.probeSentAt === 0) {
        this.probe(p, now);
      }
    }
  }

  private evict(p: PeerConnection, reason: string): void {
    this.o.stats.evictions++;
    this.o.manager.close(p, `evicted: ${reason}`, 'evicted');
  }
}
