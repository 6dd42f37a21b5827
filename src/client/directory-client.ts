/**
 * One connection to one directory node (wire-protocol.md §1–§6): dial (TCP or SOCKS5 through
 * an injected dialer), client handshake, PING→PONG, peerlists, pubmsgs, signed privmsgs, and
 * a reconnect loop with capped exponential backoff. Every received privmsg is verified
 * (signature and nick) before it is emitted; forgeries are dropped with a log line.
 * A line over the spec's 40,000 bytes is skipped and counted, never a reason to drop the
 * directory: any peer can get one relayed to us, and reconnecting would take us off it.
 */
import type net from 'node:net';
import { encodeEnvelope, LineSplitter, MAX_EMIT_BYTES, MAX_LINE_BYTES, parseEnvelope } from '../protocol/framing.js';
import { MsgType } from '../protocol/message-types.js';
import { buildClientHandshake, enabledFeatures, parseDirectoryHandshake, PROTO_VER, APP_NAME, type Features } from '../protocol/handshake.js';
import { buildPubmsg, parsePrivmsgBody, splitRouted, verifyPrivmsgFast, PUBLIC, type SignedPrivmsg } from '../protocol/jm-message.js';
import { parsePeerlist, type PeerEntry } from '../protocol/peerlist.js';
import { isValidNickFormat } from '../protocol/nick.js';
import { NOT_SERVING_ONION } from '../protocol/onion.js';
import { splitCommands, type Command } from '../protocol/offers.js';
import { AgeMap } from '../util/age-map.js';
import { systemClock, type Clock, type Timer } from '../util/clock.js';
import { LogThrottle } from '../util/log-throttle.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { tcpDialer, type Dialer } from './dialer.js';
import type { NickIdentity } from './identity.js';
import { PendingRequests } from './pending.js';
import { OutboundLimiter } from './rate-limit.js';
import { TypedEmitter } from './typed-emitter.js';
import { ClientNickAuth, type ClientNickAuthOptions, type NickAuthStatus } from './nick-auth.js';
import { PrivmsgGate, type PrivmsgGateCounts, type PrivmsgGateLimits, type SignatureCache } from './privmsg-gate.js';
import { isNickAuthType } from '../protocol/message-types.js';

export type PrivmsgVerifier = (m: SignedPrivmsg) => { ok: true } | { ok: false; reason: string };

export type ClientState = 'idle' | 'connecting' | 'handshaking' | 'connected' | 'waiting' | 'stopped';

/**
 * What we keep of a directory's peer lists: a hostile directory can send any number of PEERLIST
 * lines, so entries are bounded in number (least recently listed forgotten first) and in size.
 */
export const MAX_PEERS = 20_000;
const MAX_LOCATION_CHARS = 128;
const MAX_PEER_FEATURES = 16;
const MAX_FEATURE_CHARS = 32;

/** After a directory's own departure notice, retries stay at the first backoff step this long. */
export const RESTART_WINDOW_MS = 300_000;

/** A directory that proved hostile (nick-auth: another directory-id, or our valid proof refused) is not dialled again. */
export const HOSTILE_PREFIX = 'hostile directory: ';

export interface DirectoryInfo {
  /** The directory's own (per-run) nick. */
  nick: string;
  motd: string;
  features: string[];
  network: string;
  /** Socket connected → DN_HANDSHAKE received (→ nick-auth result when authenticating), ms. */
  handshakeLatencyMs: number;
  /** Our nick-auth proof was accepted on this connection. */
  nickVerified: boolean;
  connectedAt: number;
}

export interface PubmsgEvent {
  from: string;
  /** Everything after `from!PUBLIC!`. */
  body: string;
  line: string;
  commands: Command[];
  /** True for the directory's own heartbeat probe (`<dn>!PUBLIC!orderbook`). */
  fromDirectory: boolean;
}

export interface PrivmsgEvent {
  from: string;
  to: string;
  cmd: string;
  /** Signed args (every later `!cmd` chunk included). */
  args: string;
  pubkeyHex: string;
  line: string;
  /** All commands of the body, the first one included, signature stripped. */
  commands: Command[];
}

export interface DirectoryClientEvents {
  connected: DirectoryInfo;
  disconnected: { reason: string; wasConnected: boolean; retryInMs: number | null };
  rejected: { reason: string; motd: string };
  pubmsg: PubmsgEvent;
  privmsg: PrivmsgEvent;
  peerlist: { entries: PeerEntry[] };
  forged: { from: string; reason: string };
  /** A PONG answered our PING (keepalive or ping()). */
  pong: { rttMs: number };
}

export type SendResult = { ok: true } | { ok: false; reason: 'not-connected' | 'rate-limited' | 'too-long' };

export interface DirectoryClientOptions {
  host: string;
  port: number;
  identity: NickIdentity;
  network: string;
  /** Our serving location (`<onion>:5222`, or `127.0.0.1:port` in loopback mode). */
  location?: string;
  /** Handshake features; default advertises ping and peerlist_features (both handled here). */
  features?: Features;
  dialer?: Dialer;
  clock?: Clock;
  logger?: Logger;
  /** The ECDSA step of privmsg checks (default libsecp256k1); budgets and the cache run first. */
  verifier?: PrivmsgVerifier;
  /** Per-sender and overall verification budgets (privmsg-gate.ts). */
  privmsgLimits?: Partial<PrivmsgGateLimits>;
  /** Verified messages, shared by the connections of a pool so a copy is not verified twice. */
  signatureCache?: SignatureCache;
  random?: () => number;
  backoff?: Partial<BackoffOptions>;
  reconnect?: boolean;
  connectTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  /** If the DN advertises `ping`, PING it after this much silence and drop it if no PONG. */
  keepaliveMs?: number;
  /** Nick authentication (§2.8); default: authenticate with every directory that offers it. */
  nickAuth?: ClientNickAuthOptions;
}

export const DEFAULT_CLIENT_FEATURES: Features = { peerlist_features: true, ping: true };

export class DirectoryClient extends TypedEmitter<DirectoryClientEvents> {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  private readonly identity: NickIdentity;
  private readonly network: string;
  private readonly location: string;
  private readonly features: Features;
  private readonly dialer: Dialer;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly gate: PrivmsgGate;
  private readonly random: () => number;
  private readonly backoff: BackoffOptions;
  private readonly reconnect: boolean;
  private readonly connectTimeoutMs: number;
  private readonly handshakeTimeoutMs: number;
  private readonly keepaliveMs: number;
  private readonly pending: PendingRequests;
  private readonly limiter: OutboundLimiter;
  private readonly auth: ClientNickAuth;
  private readonly authStatus: NickAuthStatus = { offered: null, verified: false, error: null };
  private sentHandshake = '';
  private readonly throttledLog: LogThrottle;
  private _oversizeLines = 0;

  private _state: ClientState = 'idle';
  private socket: net.Socket | null = null;
  private generation = 0;
  private attempt = 0;
  private info: DirectoryInfo | null = null;
  private retryTimer: Timer | null = null;
  private stepTimer: Timer | null = null;
  private keepaliveTimer: Timer | null = null;
  private lastReceived = 0;
  private pingSentAt: number | null = null;
  private readonly peerMap = new AgeMap<string, { location: string; features: string[] }>();
  private _lastError: string | null = null;
  private _lastRejection: string | null = null;
  private _lastPingRttMs: number | null = null;
  /** The directory announced its own departure (`<dn>;<loc>;D`) on this connection. */
  private dnGoingAway = false;
  /** Until then, retries stay at the first backoff step (the directory said it restarts). */
  private restartWindowUntil = 0;

  constructor(o: DirectoryClientOptions) {
    const log = (o.logger ?? silentLogger()).child({ dn: `${o.host}:${o.port}` });
    super((err, ev) => log.error({ err, event: ev }, 'listener threw'));
    this.id = `${o.host}:${o.port}`;
    this.host = o.host;
    this.port = o.port;
    this.identity = o.identity;
    this.network = o.network;
    this.location = o.location ?? NOT_SERVING_ONION;
    this.dialer = o.dialer ?? tcpDialer;
    this.clock = o.clock ?? systemClock;
    this.log = log;
    this.gate = new PrivmsgGate(this.clock, o.privmsgLimits, o.signatureCache, o.verifier ?? verifyPrivmsgFast);
    this.random = o.random ?? Math.random;
    this.backoff = { ...DEFAULT_BACKOFF, ...o.backoff };
    this.reconnect = o.reconnect ?? true;
    this.connectTimeoutMs = o.connectTimeoutMs ?? 60_000;
    this.handshakeTimeoutMs = o.handshakeTimeoutMs ?? 30_000;
    this.keepaliveMs = o.keepaliveMs ?? 300_000;
    this.pending = new PendingRequests(this.clock);
    this.limiter = new OutboundLimiter(this.clock);
    this.auth = new ClientNickAuth(o.host, o.port, o.nickAuth);
    const wanted = o.features ?? DEFAULT_CLIENT_FEATURES;
    this.features = this.auth.advertised ? { ...wanted, nick_auth: true } : wanted;
    this.throttledLog = new LogThrottle(log, undefined, this.clock);
  }

  /** Whether the directory offers nick-auth and whether it accepted our proof. */
  get nickAuth(): NickAuthStatus {
    return { ...this.authStatus };
  }

  get state(): ClientState {
    return this._state;
  }
  get connected(): boolean {
    return this._state === 'connected';
  }
  get nick(): string {
    return this.identity.nick;
  }
  get directory(): DirectoryInfo | null {
    return this.info;
  }
  get lastError(): string | null {
    return this._lastError;
  }
  get lastRejection(): string | null {
    return this._lastRejection;
  }
  get lastPingRttMs(): number | null {
    return this._lastPingRttMs;
  }
  get reconnectAttempts(): number {
    return this.attempt;
  }
  get pendingCount(): number {
    return this.pending.size;
  }
  /** Lines over the limit the directory sent us (skipped). */
  get oversizeLines(): number {
    return this._oversizeLines;
  }

  /** What checking received privmsgs cost: verified, believed from the cache, failed, dropped over budget. */
  get privmsgChecks(): PrivmsgGateCounts {
    return this.gate.stats;
  }

  /** Peers this directory told us about (present, not `;D`), the directory itself excluded; at most MAX_PEERS. */
  peers(): Map<string, { location: string; features: string[] }> {
    return new Map(this.peerMap.entries());
  }

  start(): void {
    if (this._state !== 'idle') return;
    this.connect();
  }

  /** A throw while connecting is a bug of ours: it fails this connection like any error (and retries). */
  private connect(): void {
    this.connectOnce().catch((e: unknown) => this.fail(this.generation, `internal error: ${(e as Error).message}`));
  }

  /** Closes the connection for good and rejects every pending request. */
  async stop(): Promise<void> {
    if (this._state === 'stopped') return;
    const wasConnected = this._state === 'connected';
    this._state = 'stopped';
    this.generation++;
    this.clearTimers();
    this.throttledLog.close();
    this.pending.rejectAll(`directory ${this.id}: client stopped`);
    const sock = this.socket;
    this.socket = null;
    if (sock && !sock.destroyed) {
      const closed = new Promise<void>((r) => sock.once('close', () => r()));
      sock.destroy();
      await closed;
    }
    if (wasConnected) this.emit('disconnected', { reason: 'stopped', wasConnected, retryInMs: null });
  }

  /** Resolves with the directory's handshake once connected (immediately if already). */
  whenConnected(timeoutMs: number): Promise<DirectoryInfo> {
    if (this.info && this.connected) return Promise.resolve(this.info);
    if (this._state === 'stopped') return Promise.reject(new Error(`directory ${this.id}: client stopped`));
    return this.pending.wait<DirectoryInfo>(`connect to ${this.id}`, timeoutMs, (resolve) => this.once('connected', resolve));
  }

  /** Sends `<nick>!PUBLIC!<body>`; body is one or more `!cmd args` chunks. */
  sendPubmsg(body: string): SendResult {
    if (!this.connected) return { ok: false, reason: 'not-connected' };
    const cmds = splitCommands(body).map((c) => c.name);
    if (cmds.includes('orderbook') && this.limiter.waitMs('orderbook') > 0) return this.limited('orderbook');
    if (!this.limiter.take('pubmsg')) return this.limited('pubmsg');
    if (cmds.includes('orderbook')) this.limiter.take('orderbook');
    return this.write(MsgType.PUBMSG, buildPubmsg(this.identity.nick, body));
  }

  /** Milliseconds until another `!orderbook` fits the directory's rate limit. */
  orderbookWaitMs(): number {
    return Math.max(this.limiter.waitMs('orderbook'), this.limiter.waitMs('pubmsg'));
  }

  /** Sends one signed privmsg through this directory. */
  sendPrivmsg(to: string, cmd: string, args: string): SendResult {
    if (!this.connected) return { ok: false, reason: 'not-connected' };
    return this.write(MsgType.PRIVMSG, this.identity.signPrivmsg(to, cmd, args));
  }

  /**
   * GETPEERLIST (only for directories that advertise peerlist_features; reference DNs never
   * answer). Resolves with the first PEERLIST chunk that follows.
   */
  requestPeerlist(timeoutMs: number): Promise<PeerEntry[]> {
    if (!this.connected || !this.info) return Promise.reject(new Error(`directory ${this.id}: not connected`));
    if (!this.info.features.includes('peerlist_features')) return Promise.reject(new Error(`directory ${this.id}: no GETPEERLIST support`));
    if (!this.limiter.take('getpeerlist')) return Promise.reject(new Error(`directory ${this.id}: GETPEERLIST rate-limited`));
    return this.pending.wait<PeerEntry[]>(`peerlist from ${this.id}`, timeoutMs, (resolve) => {
      const off = this.once('peerlist', (p) => resolve(p.entries));
      this.write(MsgType.GETPEERLIST, '');
      return off;
    });
  }

  /** PING → PONG round trip in ms, for directories that advertise `ping` (ng, rs, ours). */
  ping(timeoutMs: number): Promise<number> {
    if (!this.connected || !this.info) return Promise.reject(new Error(`directory ${this.id}: not connected`));
    if (!this.info.features.includes('ping')) return Promise.reject(new Error(`directory ${this.id}: no PING support`));
    if (this.pingSentAt === null && !this.limiter.take('ping')) return Promise.reject(new Error(`directory ${this.id}: PING rate-limited`));
    return this.pending.wait<number>(`PONG from ${this.id}`, timeoutMs, (resolve) => {
      const off = this.once('pong', (p) => resolve(p.rttMs));
      // A keepalive PING already in flight answers this one too.
      if (this.pingSentAt === null) {
        this.pingSentAt = this.clock.now();
        this.write(MsgType.PING, '');
      }
      return off;
    });
  }

  private limited(kind: string): SendResult {
    this.log.warn({ kind }, 'outbound message held back by rate limit');
    return { ok: false, reason: 'rate-limited' };
  }

  private write(type: number, line: string): SendResult {
    const sock = this.socket;
    if (!sock || sock.destroyed) return { ok: false, reason: 'not-connected' };
    if (Buffer.byteLength(line, 'utf8') > MAX_EMIT_BYTES) {
      this.log.warn({ type, bytes: Buffer.byteLength(line) }, 'refusing to send an oversize line');
      return { ok: false, reason: 'too-long' };
    }
    sock.write(encodeEnvelope(type, line));
    return { ok: true };
  }

  private clearTimers(): void {
    for (const t of [this.retryTimer, this.stepTimer, this.keepaliveTimer]) if (t !== null) this.clock.clearTimeout(t);
    this.retryTimer = this.stepTimer = this.keepaliveTimer = null;
  }

  private async connectOnce(): Promise<void> {
    const gen = ++this.generation;
    this._state = 'connecting';
    this.info = null;
    this.peerMap.clear();
    let timedOut = false;
    this.stepTimer = this.clock.setTimeout(() => {
      timedOut = true;
      this.fail(gen, `connect timed out after ${this.connectTimeoutMs} ms`);
    }, this.connectTimeoutMs);
    let sock: net.Socket;
    try {
      sock = await this.dialer(this.host, this.port);
    } catch (err) {
      if (!timedOut) this.fail(gen, `connect failed: ${(err as Error).message ?? String(err)}`);
      return;
    }
    if (gen !== this.generation || timedOut) {
      sock.destroy();
      return;
    }
    this.clearStep();
    this.socket = sock;
    sock.setNoDelay(true);
    sock.setKeepAlive(true, 60_000);
    const splitter = new LineSplitter(MAX_LINE_BYTES, { skipOversize: true });
    const dialledAt = this.clock.now();
    sock.on('data', (chunk: Buffer) => {
      if (gen !== this.generation) return;
      for (const ev of splitter.push(chunk)) {
        if (ev.kind === 'oversize') {
          this._oversizeLines++;
          this.throttledLog.note('warn', 'oversize-line', { bytes: ev.bytes, limit: MAX_LINE_BYTES }, 'skipped an oversize line from the directory');
          continue;
        }
        this.lastReceived = this.clock.now();
        this.onLine(gen, ev.text, dialledAt);
        if (gen !== this.generation) return;
      }
    });
    sock.on('error', (err) => this.log.debug({ err: err.message }, 'socket error'));
    sock.on('close', () => this.fail(gen, 'connection closed by directory'));
    this._state = 'handshaking';
    this.stepTimer = this.clock.setTimeout(() => this.fail(gen, `no handshake reply within ${this.handshakeTimeoutMs} ms`), this.handshakeTimeoutMs);
    this.auth.reset();
    this.authStatus.verified = false;
    this.sentHandshake = buildClientHandshake({ nick: this.identity.nick, location: this.location, network: this.network, features: this.features });
    this.write(MsgType.HANDSHAKE, this.sentHandshake);
  }

  private clearStep(): void {
    if (this.stepTimer !== null) this.clock.clearTimeout(this.stepTimer);
    this.stepTimer = null;
  }

  /** Tears the current connection down and schedules the next attempt. */
  private fail(gen: number, reason: string): void {
    if (gen !== this.generation || this._state === 'stopped') return;
    this.generation++;
    const wasConnected = this._state === 'connected';
    this.clearTimers();
    const sock = this.socket;
    this.socket = null;
    if (sock && !sock.destroyed) sock.destroy();
    this._lastError = reason;
    this.info = null;
    this.pingSentAt = null;
    let retryInMs: number | null = null;
    if (this.dnGoingAway) this.restartWindowUntil = this.clock.now() + RESTART_WINDOW_MS;
    this.dnGoingAway = false;
    if (this.reconnect && !reason.startsWith(HOSTILE_PREFIX)) {
      const restarting = this.clock.now() < this.restartWindowUntil;
      retryInMs = backoffDelay(restarting ? 0 : this.attempt++, this.backoff, this.random);
      this._state = 'waiting';
      this.retryTimer = this.clock.setTimeout(() => {
        this.retryTimer = null;
        this.connect();
      }, retryInMs);
    } else {
      this._state = 'stopped';
      this.pending.rejectAll(`directory ${this.id}: ${reason}`);
    }
    this.log.info({ reason, retryInMs }, 'directory connection lost');
    this.emit('disconnected', { reason, wasConnected, retryInMs });
  }

  private onLine(gen: number, text: string, dialledAt: number): void {
    const env = parseEnvelope(text);
    if (!env.ok) {
      this.log.debug({ reason: env.reason }, 'ignoring malformed line');
      return;
    }
    const { type, line } = env.env;
    if (this._state === 'handshaking') {
      if (this.auth.active) return this.onAuthMessage(gen, type, line, dialledAt);
      if (type === MsgType.DN_HANDSHAKE || type === MsgType.HANDSHAKE) this.onDirectoryHandshake(gen, line, dialledAt);
      return;
    }
    if (this._state !== 'connected') return;
    if (isNickAuthType(type)) return this.fail(gen, `nick-auth message ${type} out of order`);
    switch (type) {
      case MsgType.PING:
        this.write(MsgType.PONG, '');
        return;
      case MsgType.PONG:
        if (this.pingSentAt !== null) {
          this._lastPingRttMs = this.clock.now() - this.pingSentAt;
          this.pingSentAt = null;
          this.emit('pong', { rttMs: this._lastPingRttMs });
        }
        return;
      case MsgType.PUBMSG:
        return this.onPubmsg(line);
      case MsgType.PRIVMSG:
        return this.onPrivmsg(line);
      case MsgType.PEERLIST:
        return this.onPeerlist(line);
      default:
        this.log.debug({ type }, 'ignoring message type');
    }
  }

  private onDirectoryHandshake(gen: number, line: string, dialledAt: number): void {
    const p = parseDirectoryHandshake(line);
    if (!p.ok) {
      this.fail(gen, `invalid directory handshake: ${p.reason}`);
      return;
    }
    const h = p.value;
    const motd = h.motd ?? '';
    let problem: string | null = null;
    if (!h.accepted) problem = motd.trim() !== '' ? motd : 'accepted: false';
    else if (h['app-name'].toLowerCase() !== APP_NAME) problem = `unexpected app-name "${h['app-name']}"`;
    else if (!h.directory) problem = 'peer is not a directory';
    else if (h['proto-ver-min'] > PROTO_VER || h['proto-ver-max'] < PROTO_VER) problem = `protocol ${h['proto-ver-min']}..${h['proto-ver-max']} excludes ${PROTO_VER}`;
    else if (h.network !== this.network) problem = `network mismatch: directory is on "${h.network}", we are on "${this.network}"`;
    if (problem !== null) {
      this._lastRejection = problem;
      this.log.warn({ reason: problem }, 'directory rejected our handshake');
      this.emit('rejected', { reason: problem, motd });
      this.fail(gen, `rejected: ${problem}`);
      return;
    }
    const features = enabledFeatures(h.features);
    this.authStatus.offered = features.includes('nick_auth');
    this.authStatus.error = null;
    const next = this.auth.afterHandshake(this.sentHandshake, features);
    if (next === 'refuse') {
      this.authStatus.error = 'directory does not offer nick authentication';
      this.fail(gen, `${HOSTILE_PREFIX}does not offer the nick authentication we require`);
      return;
    }
    this.pendingInfo = { nick: h.nick, motd, features, network: h.network };
    if (next === 'auth') return; // the 803 challenge follows
    this.becomeConnected(gen, dialledAt);
  }

  private pendingInfo: Pick<DirectoryInfo, 'nick' | 'motd' | 'features' | 'network'> | null = null;

  /** 803 → our 805, then 807: verified; or retried with backoff; or the directory is hostile for this session. */
  private onAuthMessage(gen: number, type: number, line: string, dialledAt: number): void {
    const step = this.auth.onMessage(type, line, this.identity);
    if (step.kind === 'send') {
      this.write(step.type, step.line);
      return;
    }
    if (step.kind === 'fail') {
      this.authStatus.error = step.reason;
      if (step.hostile) {
        this.log.warn({ reason: step.reason }, 'nick authentication with this directory failed; not using it again this session');
        this.fail(gen, `${HOSTILE_PREFIX}${step.reason}`);
      } else {
        this.log.info({ reason: step.reason }, 'nick authentication did not complete; will retry');
        this.fail(gen, `nick authentication: ${step.reason}`);
      }
      return;
    }
    this.authStatus.verified = true;
    this.becomeConnected(gen, dialledAt);
  }

  private becomeConnected(gen: number, dialledAt: number): void {
    const p = this.pendingInfo!;
    this.pendingInfo = null;
    this.clearStep();
    this.attempt = 0;
    this._lastRejection = null;
    this._state = 'connected';
    this.info = {
      ...p,
      nickVerified: this.authStatus.verified,
      handshakeLatencyMs: this.clock.now() - dialledAt,
      connectedAt: this.clock.now(),
    };
    this.scheduleKeepalive(gen);
    this.log.info({ dnNick: p.nick, latencyMs: this.info.handshakeLatencyMs, nickVerified: this.authStatus.verified }, 'directory handshake accepted');
    this.emit('connected', this.info);
  }

  private scheduleKeepalive(gen: number): void {
    if (!this.info?.features.includes('ping') || this.keepaliveMs <= 0) return;
    this.keepaliveTimer = this.clock.setTimeout(() => {
      if (gen !== this.generation) return;
      if (this.pingSentAt !== null) {
        this.fail(gen, 'no PONG from directory');
        return;
      }
      if (this.clock.now() - this.lastReceived >= this.keepaliveMs / 2 && this.limiter.take('ping')) {
        this.pingSentAt = this.clock.now();
        this.write(MsgType.PING, '');
      }
      this.scheduleKeepalive(gen);
    }, this.keepaliveMs);
  }

  private onPubmsg(line: string): void {
    const r = splitRouted(line);
    if (!r || r.to !== PUBLIC) {
      this.log.debug('ignoring pubmsg without from!PUBLIC! prefix');
      return;
    }
    if (r.from === this.identity.nick) return;
    this.emit('pubmsg', {
      from: r.from,
      body: r.body,
      line,
      commands: splitCommands(r.body),
      fromDirectory: this.info !== null && r.from === this.info.nick,
    });
  }

  private onPrivmsg(line: string): void {
    const r = splitRouted(line);
    if (!r) return;
    if (r.to !== this.identity.nick) {
      this.log.debug({ to: r.to }, 'ignoring privmsg addressed to another nick');
      return;
    }
    const drop = (reason: string): void => {
      this.throttledLog.note('warn', 'forged-privmsg', { from: r.from.slice(0, 32), reason }, 'dropping forged or malformed privmsg');
      this.emit('forged', { from: r.from, reason });
    };
    // Cheap checks first, then the sender's budget; ECDSA verification last.
    if (!isValidNickFormat(r.from)) return drop('sender nick is malformed');
    const parsed = parsePrivmsgBody(r.from, r.to, r.body);
    if (!parsed.ok) return drop(parsed.reason);
    const m = parsed.msg;
    const v = this.gate.check(m, m.from);
    if (!v.ok) return drop(v.reason);
    this.emit('privmsg', {
      from: m.from,
      to: m.to,
      cmd: m.cmd,
      args: m.args,
      pubkeyHex: m.pubkeyHex,
      line,
      commands: splitCommands(`${m.cmd} ${m.args}`),
    });
  }

  private onPeerlist(line: string): void {
    const entries = parsePeerlist(line);
    const dnNick = this.info?.nick;
    for (const e of entries) {
      if (e.nick === dnNick) {
        if (e.disconnected && !this.dnGoingAway) {
          this.dnGoingAway = true;
          this.log.info('directory announced it is going away; will retry at the first backoff step');
        }
        continue;
      }
      if (e.disconnected) this.peerMap.delete(e.nick);
      else if (isValidNickFormat(e.nick) && e.location.length <= MAX_LOCATION_CHARS) {
        const features = e.features.filter((f) => f.length <= MAX_FEATURE_CHARS).slice(0, MAX_PEER_FEATURES);
        this.peerMap.set(e.nick, { location: e.location, features });
        if (this.peerMap.size > MAX_PEERS) this.peerMap.shift();
      }
    }
    this.emit('peerlist', { entries });
  }
}
