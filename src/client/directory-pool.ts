/**
 * Several directories at once under one nick (wire-protocol.md §6.5). Messages that arrive
 * through several directories are emitted once; `sighting` is emitted for every copy so
 * callers can track which directories carry which nick. Privmsgs go through exactly one
 * directory (pitfall 27): the one named, else the one the recipient last spoke through.
 *
 * Maker use: `announce()` sends a pubmsg on every connected DN (and `connected` tells you
 * when a DN (re)joins so you can re-announce there); `reply(to, cmd, args, via)` answers via
 * the DN a request arrived on; `privmsg` events carry every verified message addressed to us.
 */
import type { PeerEntry } from '../protocol/peerlist.js';
import { AgeMap } from '../util/age-map.js';
import { systemClock, type Clock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';
import { CrossDirectoryDedup } from './dedup.js';
import { SignatureCache } from './privmsg-gate.js';
import type { HostPort } from './dialer.js';
import {
  type DirectoryClientOptions,
  DirectoryClient, type ClientState, type DirectoryInfo, type PrivmsgEvent, type PubmsgEvent, type SendResult,
} from './directory-client.js';
import type { NickIdentity } from './identity.js';
import { ClosedError, PendingRequests } from './pending.js';
import { TypedEmitter } from './typed-emitter.js';
import type { NickAuthStatus } from './nick-auth.js';

export interface PoolPubmsgEvent extends PubmsgEvent {
  dn: string;
}
export interface PoolPrivmsgEvent extends PrivmsgEvent {
  dn: string;
}

export interface DirectoryPoolEvents {
  connected: { dn: string; info: DirectoryInfo };
  disconnected: { dn: string; reason: string; wasConnected: boolean; retryInMs: number | null };
  rejected: { dn: string; reason: string; motd: string };
  /** Every arrival of a message from `nick` on `dn`, duplicates included. */
  sighting: { dn: string; nick: string };
  pubmsg: PoolPubmsgEvent;
  privmsg: PoolPrivmsgEvent;
  peerlist: { dn: string; entries: PeerEntry[] };
  /** A further copy of an already emitted message, delivered by another directory. */
  copy: { dn: string; kind: 'pubmsg' | 'privmsg'; from: string; commands: PubmsgEvent['commands'] };
  forged: { dn: string; from: string; reason: string };
}

export interface DirectoryStatus {
  id: string;
  host: string;
  port: number;
  state: ClientState;
  connected: boolean;
  dnNick: string | null;
  motd: string | null;
  features: string[];
  handshakeLatencyMs: number | null;
  pingRttMs: number | null;
  connectedSince: number | null;
  peersSeen: number;
  reconnectAttempts: number;
  lastError: string | null;
  lastRejection: string | null;
  /** Whether it offers nick authentication and whether it accepted our proof. */
  nickAuth: NickAuthStatus;
}

/** The client's options (shared by every connection of the pool) plus the DN list. */
export interface DirectoryPoolOptions extends Omit<DirectoryClientOptions, 'host' | 'port' | 'reconnect'> {
  directories: HostPort[];
  dedupWindowMs?: number;
}

export type PoolSendResult = { ok: true; dn: string } | { ok: false; reason: string };

/** Nicks whose routes we remember (any peer can speak under fresh nicks). */
const MAX_ROUTES = 20_000;

export class DirectoryPool extends TypedEmitter<DirectoryPoolEvents> {
  readonly identity: NickIdentity;
  private readonly clients = new Map<string, DirectoryClient>();
  private readonly clock: Clock;
  private readonly dedup: CrossDirectoryDedup;
  private readonly pending: PendingRequests;
  /** nick → DN id → last time a message from the nick arrived there. */
  private readonly routes = new AgeMap<string, Map<string, number>>();
  private stopped = false;

  constructor(o: DirectoryPoolOptions) {
    const log = o.logger ?? silentLogger();
    super((err, ev) => log.error({ err, event: ev }, 'pool listener threw'));
    if (o.directories.length === 0) throw new Error('DirectoryPool needs at least one directory');
    this.identity = o.identity;
    this.clock = o.clock ?? systemClock;
    this.dedup = new CrossDirectoryDedup(o.dedupWindowMs ?? 60_000);
    this.pending = new PendingRequests(this.clock);
    const signatureCache = new SignatureCache();
    for (const d of o.directories) {
      const c = new DirectoryClient({
        host: d.host, port: d.port, identity: o.identity, network: o.network, location: o.location, features: o.features,
        dialer: o.dialer, clock: this.clock, logger: log, random: o.random, backoff: o.backoff, signatureCache,
        ...(o.verifier ? { verifier: o.verifier } : {}), ...(o.privmsgLimits ? { privmsgLimits: o.privmsgLimits } : {}),
        connectTimeoutMs: o.connectTimeoutMs, handshakeTimeoutMs: o.handshakeTimeoutMs, keepaliveMs: o.keepaliveMs,
        ...(o.nickAuth ? { nickAuth: o.nickAuth } : {}),
      });
      if (this.clients.has(c.id)) throw new Error(`directory ${c.id} listed twice`);
      this.clients.set(c.id, c);
      this.wire(c);
    }
  }

  get nick(): string {
    return this.identity.nick;
  }

  directoryIds(): string[] {
    return [...this.clients.keys()];
  }

  client(dn: string): DirectoryClient | undefined {
    return this.clients.get(dn);
  }

  connectedIds(): string[] {
    return [...this.clients.values()].filter((c) => c.connected).map((c) => c.id);
  }

  start(): void {
    for (const c of this.clients.values()) c.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.pending.rejectAll('directory pool stopped');
    await Promise.all([...this.clients.values()].map((c) => c.stop()));
  }

  /** Resolves when at least `count` directories have completed the handshake. */
  whenConnected(timeoutMs: number, count = 1): Promise<string[]> {
    if (this.stopped) return Promise.reject(new ClosedError('directory pool stopped'));
    const need = Math.min(count, this.clients.size);
    if (this.connectedIds().length >= need) return Promise.resolve(this.connectedIds());
    return this.pending.wait<string[]>(`${need} directory handshake(s)`, timeoutMs, (resolve) =>
      this.on('connected', () => {
        if (this.connectedIds().length >= need) resolve(this.connectedIds());
      }),
    );
  }

  /** Pubmsg on every connected directory (a maker's announcement). Returns where it went. */
  announce(body: string): { sent: string[]; failed: Array<{ dn: string; reason: string }> } {
    const sent: string[] = [];
    const failed: Array<{ dn: string; reason: string }> = [];
    for (const c of this.clients.values()) {
      const r = c.sendPubmsg(body);
      if (r.ok) sent.push(c.id);
      else failed.push({ dn: c.id, reason: r.reason });
    }
    return { sent, failed };
  }

  /** Pubmsg on one directory. */
  sendPubmsg(dn: string, body: string): SendResult | { ok: false; reason: 'unknown-directory' } {
    const c = this.clients.get(dn);
    return c ? c.sendPubmsg(body) : { ok: false, reason: 'unknown-directory' };
  }

  /**
   * One signed privmsg through exactly one directory: `via` if it is connected, else the
   * directory the recipient most recently spoke through, else any connected one.
   */
  sendPrivmsg(to: string, cmd: string, args: string, via?: string): PoolSendResult {
    const dn = this.pickRoute(to, via);
    if (!dn) return { ok: false, reason: `no connected directory to reach ${to}` };
    const r = this.clients.get(dn)!.sendPrivmsg(to, cmd, args);
    return r.ok ? { ok: true, dn } : { ok: false, reason: r.reason };
  }

  /** A maker's answer to a request that arrived on `dn`. */
  reply(to: string, cmd: string, args: string, dn: string): PoolSendResult {
    return this.sendPrivmsg(to, cmd, args, dn);
  }

  /** Directories on which `nick` has been heard (most recent first). */
  routesTo(nick: string): string[] {
    const m = this.routes.get(nick);
    if (!m) return [];
    return [...m.entries()].sort((a, b) => b[1] - a[1]).map(([dn]) => dn);
  }

  status(): DirectoryStatus[] {
    return [...this.clients.values()].map((c) => {
      const info = c.directory;
      return {
        id: c.id, host: c.host, port: c.port, state: c.state, connected: c.connected,
        dnNick: info?.nick ?? null, motd: info?.motd ?? null, features: info?.features ?? [],
        handshakeLatencyMs: info?.handshakeLatencyMs ?? null, pingRttMs: c.lastPingRttMs,
        connectedSince: info?.connectedAt ?? null, peersSeen: this.nicksSeenOn(c.id, c),
        reconnectAttempts: c.reconnectAttempts, lastError: c.lastError, lastRejection: c.lastRejection,
        nickAuth: c.nickAuth,
      };
    });
  }

  private nicksSeenOn(dn: string, c: DirectoryClient): number {
    const nicks = new Set(c.peers().keys());
    for (const [nick, m] of this.routes.entries()) if (m.has(dn)) nicks.add(nick);
    return nicks.size;
  }

  private pickRoute(to: string, via?: string): string | null {
    if (via !== undefined) return this.clients.get(via)?.connected ? via : null;
    for (const dn of this.routesTo(to)) if (this.clients.get(dn)?.connected) return dn;
    return this.connectedIds()[0] ?? null;
  }

  private noteRoute(nick: string, dn: string): void {
    const m = this.routes.get(nick) ?? new Map<string, number>();
    this.routes.set(nick, m); // most recently heard; nicks past MAX_ROUTES, least recent first, are forgotten
    if (this.routes.size > MAX_ROUTES) this.routes.shift();
    m.set(dn, this.clock.now());
    this.emit('sighting', { dn, nick });
  }

  private wire(c: DirectoryClient): void {
    const dn = c.id;
    c.on('connected', (info) => this.emit('connected', { dn, info }));
    c.on('rejected', (r) => this.emit('rejected', { dn, ...r }));
    c.on('disconnected', (d) => {
      for (const [, m] of this.routes.entries()) m.delete(dn);
      this.emit('disconnected', { dn, ...d });
    });
    c.on('forged', (f) => this.emit('forged', { dn, ...f }));
    c.on('peerlist', (p) => {
      for (const e of p.entries) if (e.disconnected) this.routes.get(e.nick)?.delete(dn);
      this.emit('peerlist', { dn, entries: p.entries });
    });
    c.on('pubmsg', (m) => {
      if (!m.fromDirectory) this.noteRoute(m.from, dn);
      if (this.dedup.accept(`687 ${m.line}`, dn, this.clock.now())) this.emit('pubmsg', { ...m, dn });
      else this.emit('copy', { dn, kind: 'pubmsg', from: m.from, commands: m.commands });
    });
    c.on('privmsg', (m) => {
      this.noteRoute(m.from, dn);
      if (this.dedup.accept(`685 ${m.line}`, dn, this.clock.now())) this.emit('privmsg', { ...m, dn });
      else this.emit('copy', { dn, kind: 'privmsg', from: m.from, commands: m.commands });
    });
  }
}
