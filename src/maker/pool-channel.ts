/**
 * DirectoryPool → MakerChannel: every verified message with a reply bound to the directory it
 * came through; per-DN re-announce on (re)connect; `!hp2` gossip from a throwaway nick over a
 * separate, short-lived pool (NG style) so the commitment cannot be tied to our maker nick.
 */
import type net from 'node:net';
import { tcpDialer, type Dialer } from '../client/dialer.js';
import type { DirectoryPool } from '../client/directory-pool.js';
import { NickIdentity } from '../client/identity.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { InboundMessage, MakerChannel } from './ports.js';

export interface PoolChannelOptions {
  /** Builds a pool on the same directories for a throwaway identity, dialling with `dialer`. */
  anonymousPool?: (identity: NickIdentity, dialer: Dialer) => DirectoryPool;
  /** How directories are reached (default TCP); wrapped so the gossip pool's sockets can be closed cleanly. */
  dialer?: Dialer;
  connectTimeoutMs?: number;
  /** Longest wait for the gossip connections to close after our half-close. */
  closeTimeoutMs?: number;
  logger?: Logger;
}

export class PoolChannel implements MakerChannel {
  private readonly log: Logger;

  constructor(private readonly pool: DirectoryPool, private readonly o: PoolChannelOptions = {}) {
    this.log = o.logger ?? silentLogger();
  }

  get nick(): string {
    return this.pool.nick;
  }

  async start(): Promise<void> {
    this.pool.start();
  }

  async stop(): Promise<void> {
    await this.pool.stop();
  }

  onMessage(h: (m: InboundMessage) => void): () => void {
    const reply = (to: string, dn: string) => (cmd: string, args: string): boolean => {
      const r = this.pool.reply(to, cmd, args, dn);
      if (!r.ok) this.log.warn({ to, cmd, reason: r.reason }, 'reply not sent');
      return r.ok;
    };
    const announce = (dn: string) => (body: string): boolean => this.pool.sendPubmsg(dn, body).ok;
    const offPub = this.pool.on('pubmsg', (m) =>
      h({ from: m.from, kind: 'pub', commands: m.commands, fromDirectory: m.fromDirectory, route: m.dn, reply: reply(m.from, m.dn), announce: announce(m.dn) }));
    const offPriv = this.pool.on('privmsg', (m) =>
      h({ from: m.from, kind: 'priv', commands: m.commands, fromDirectory: false, route: m.dn, reply: reply(m.from, m.dn) }));
    return () => {
      offPub();
      offPriv();
    };
  }

  onRouteUp(h: (announce: (body: string) => void) => void): () => void {
    return this.pool.on('connected', ({ dn }) => h((body) => void this.pool.sendPubmsg(dn, body)));
  }

  announce(body: string): void {
    const r = this.pool.announce(body);
    for (const f of r.failed) this.log.debug({ dn: f.dn, reason: f.reason }, 'announce not sent');
  }

  async announceAnonymously(body: string): Promise<void> {
    if (!this.o.anonymousPool) {
      this.announce(body);
      return;
    }
    const sockets: net.Socket[] = [];
    const base = this.o.dialer ?? tcpDialer;
    const p = this.o.anonymousPool(NickIdentity.random(), async (host, port) => {
      const s = await base(host, port);
      sockets.push(s);
      return s;
    });
    try {
      p.start();
      await p.whenConnected(this.o.connectTimeoutMs ?? 60_000);
      const sent = p.announce(body).sent;
      if (sent.length === 0) throw new Error('no directory took the anonymous message');
      // Half-close and wait for the directory to close its end: our line has then been read.
      await Promise.all(sockets.map((s) => endAndAwaitClose(s, this.o.closeTimeoutMs ?? 30_000)));
    } finally {
      await p.stop();
    }
  }
}

function endAndAwaitClose(s: net.Socket, timeoutMs: number): Promise<void> {
  if (s.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      s.destroy();
    }, timeoutMs);
    s.once('close', () => {
      clearTimeout(t);
      resolve();
    });
    s.end();
  });
}
