/**
 * Direct connections to the maker (wire-protocol.md §2.9): a listener on loopback (published
 * as an onion by `publisher`, or advertised as 127.0.0.1:port in tcp mode). A peer sends its
 * 793 handshake and gets no reply (as a reference maker; never 795), then signed privmsgs from
 * the handshake nick, handled exactly as if a directory had relayed them; replies go back on
 * the same connection. The one pubmsg answered here is `<its nick>!PUBLIC!orderbook`, as
 * reference and joinmarket-ng makers do (our signed offers reply lets a directory prove that
 * this location serves our nick); other pubmsgs are not carried here.
 * Limits per connection: handshake timeout, line size, lines, `!orderbook` and `!fill` per minute;
 * plus a cap on connections. A misbehaving peer loses its connection, never the listener.
 *
 * Slots are not for keeping. Only a coinjoin in progress makes a connection worth its slot
 * (the maker's session for its nick; traffic alone proves nothing: a self-signed privmsg is
 * free), so when all slots are taken a newcomer replaces the least valuable connection: one
 * without a handshake (oldest first), then a handshaked one without a session and older than
 * `graceMs` (oldest first), then, oldest first, a younger one (its taker may not have sent
 * `!fill` yet) or one whose session still waits for `!auth`. A connection whose taker proved a
 * coin (past `!auth`) is never replaced; only when every slot holds one is a newcomer refused.
 * From half the slots on, the pre-handshake deadline drops to `pressureHandshakeMs`, for
 * waiting connections too. Where the peer's address means something (not 127.0.0.1 / ::1,
 * where tor delivers every onion connection from) one address holds at most `maxPerAddress`
 * slots. Refusals and bad input are logged as counted summaries, not one line each.
 */
import net from 'node:net';
import { TypedEmitter } from '../client/typed-emitter.js';
import type { NickIdentity } from '../client/identity.js';
import { encodeEnvelope, LineSplitter, MAX_EMIT_BYTES, MAX_LINE_BYTES, parseEnvelope } from '../protocol/framing.js';
import { APP_NAME, parseClientHandshake, PROTO_VER } from '../protocol/handshake.js';
import { PUBLIC, parsePrivmsgBody, splitRouted } from '../protocol/jm-message.js';
import { PrivmsgGate } from '../client/privmsg-gate.js';
import { MsgType } from '../protocol/message-types.js';
import { isValidNickFormat } from '../protocol/nick.js';
import { splitCommands, type Command } from '../protocol/offers.js';
import { systemClock, type Clock, type Timer } from '../util/clock.js';
import { LogThrottle } from '../util/log-throttle.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { WindowBucket } from '../util/rate-limit.js';
import type { InboundMessage, MakerChannel, SessionStage } from './ports.js';

export interface DirectLimits {
  maxConnections: number;
  handshakeTimeoutMs: number;
  /** The handshake deadline once half the slots are taken. */
  pressureHandshakeMs: number;
  /** A handshaked connection this young keeps its slot (while others can go) until its taker could send `!fill`. */
  graceMs: number;
  /** Slots one non-loopback address may hold. */
  maxPerAddress: number;
  /** Close a connection silent this long. */
  idleTimeoutMs: number;
  maxLineBytes: number;
  linesPerMinute: number;
  /** `!orderbook` per connection per minute (answered with our offers); past this we hang up. */
  orderbookPerMinute: number;
  /** `!fill` (session starts) per connection per minute; further ones are dropped. */
  fillsPerMinute: number;
  /** Unsent reply bytes a peer may leave unread before we hang up. */
  maxBufferedBytes: number;
}
export const DEFAULT_DIRECT_LIMITS: DirectLimits = {
  maxConnections: 32, handshakeTimeoutMs: 30_000, pressureHandshakeMs: 5_000, graceMs: 10_000, maxPerAddress: 4,
  idleTimeoutMs: 600_000, maxLineBytes: MAX_LINE_BYTES,
  linesPerMinute: 240, orderbookPerMinute: 3, fillsPerMinute: 6, maxBufferedBytes: 1_000_000,
};

/** Makes the listener reachable; returns the location to advertise (`<onion>:5222`). */
export interface DirectPublisher {
  publish(localPort: number): Promise<string>;
  close(): Promise<void>;
}

export type DirectLimitKind = 'connections' | 'address' | 'lines' | 'orderbook' | 'fill' | 'line-size' | 'buffer';

export interface DirectChannelEvents {
  handshake: { id: string; nick: string };
  closed: { id: string; nick: string | null; reason: string };
  forged: { id: string; from: string; reason: string };
  limited: { id: string; kind: DirectLimitKind };
}

export interface DirectChannelOptions {
  identity: NickIdentity;
  network: string;
  /** Default 127.0.0.1:0 (tor reaches it on loopback). */
  listen?: { host: string; port: number };
  /** Without one the location is the listener's own `host:port` (loopback testing mode). */
  publisher?: DirectPublisher;
  limits?: Partial<DirectLimits>;
  clock?: Clock;
  logger?: Logger;
}

interface Conn {
  id: string;
  sock: net.Socket;
  /** Remote address when it identifies a peer (not loopback); null otherwise. */
  address: string | null;
  openedAt: number;
  /** Handshake deadline (absolute) while there is no nick. */
  deadline: number;
  /** When the handshake arrived (0 before). */
  handshakedAt: number;
  nick: string | null;
  timer: Timer | null;
  lines: WindowBucket;
  orderbook: WindowBucket;
  fills: WindowBucket;
}

const WINDOW_MS = 60_000;

export class DirectChannel extends TypedEmitter<DirectChannelEvents> implements MakerChannel {
  readonly limits: DirectLimits;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly throttled: LogThrottle;
  /** Signature checks: cheap ones first, then each connection's verification budget. */
  private readonly gate: PrivmsgGate;
  private readonly conns = new Map<string, Conn>();
  private readonly handlers = new Set<(m: InboundMessage) => void>();
  private server: net.Server | null = null;
  private listening: Promise<string> | null = null;
  private seq = 0;
  private _location: string | null = null;
  private sessionOf: (nick: string) => SessionStage = () => ({ stage: 'none' });

  constructor(private readonly o: DirectChannelOptions) {
    const log = (o.logger ?? silentLogger()).child({ component: 'direct' });
    super((err, ev) => log.error({ err, event: ev }, 'direct listener threw'));
    this.log = log;
    this.clock = o.clock ?? systemClock;
    this.limits = { ...DEFAULT_DIRECT_LIMITS, ...o.limits };
    this.throttled = new LogThrottle(log, undefined, this.clock);
    this.gate = new PrivmsgGate(this.clock);
  }

  get nick(): string {
    return this.o.identity.nick;
  }

  /** The advertised location once listening. */
  get location(): string | null {
    return this._location;
  }

  /** Bound local port (0 before listening). */
  get port(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  connectionCount(): number {
    return this.conns.size;
  }

  /** Listens (and publishes); resolves with the location to put in our handshakes. Idempotent. */
  listen(): Promise<string> {
    this.listening ??= this.doListen();
    return this.listening;
  }

  private async doListen(): Promise<string> {
    const server = net.createServer((sock) => this.onConnection(sock));
    server.on('error', (err) => this.log.error({ err: err.message }, 'direct listener error'));
    const { host, port } = this.o.listen ?? { host: '127.0.0.1', port: 0 };
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    try {
      this._location = this.o.publisher ? await this.o.publisher.publish(this.port) : `${host}:${this.port}`;
    } catch (err) {
      await this.closeServer();
      throw err;
    }
    this.log.info({ location: this._location, port: this.port }, 'serving direct connections');
    return this._location;
  }

  async start(): Promise<void> {
    await this.listen();
  }

  async stop(): Promise<void> {
    const pending = this.listening;
    this.listening = null;
    await pending?.catch(() => undefined);
    for (const c of [...this.conns.values()]) this.close(c, 'maker stopping');
    await this.o.publisher?.close().catch((e: unknown) => this.log.warn({ err: (e as Error).message }, 'unpublishing failed'));
    await this.closeServer();
    this.throttled.close();
  }

  private async closeServer(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  onMessage(h: (m: InboundMessage) => void): () => void {
    this.handlers.add(h);
    return () => this.handlers.delete(h);
  }

  /** Direct connections carry no public messages: nothing to (re)announce. */
  onRouteUp(): () => void {
    return () => {};
  }

  announce(): void {}

  setSessionView(view: (nick: string) => SessionStage): void {
    this.sessionOf = view;
  }

  async announceAnonymously(): Promise<void> {}

  private onConnection(sock: net.Socket): void {
    sock.on('error', (err) => this.log.debug({ err: err.message }, 'direct socket error'));
    const id = `direct-${++this.seq}`;
    if (this.listening === null) {
      sock.destroy(); // stopping: server.close() must not wait for it
      return;
    }
    const address = meaningfulAddress(sock.remoteAddress);
    let refusal: DirectLimitKind | null = null;
    if (address !== null && [...this.conns.values()].filter((x) => x.address === address).length >= this.limits.maxPerAddress) refusal = 'address';
    else if (this.conns.size >= this.limits.maxConnections && !this.makeRoom()) refusal = 'connections';
    if (refusal !== null) {
      this.throttled.note('warn', `refused-${refusal}`, { address, max: refusal === 'address' ? this.limits.maxPerAddress : this.limits.maxConnections },
        refusal === 'address' ? 'too many direct connections from one address; refusing one' : 'too many direct connections; refusing one');
      this.emit('limited', { id, kind: refusal });
      sock.destroy();
      return;
    }
    const now = this.clock.now();
    const perMinute = (n: number): WindowBucket => new WindowBucket(n, WINDOW_MS);
    const c: Conn = {
      id, sock, address, openedAt: now, deadline: 0, handshakedAt: 0, nick: null, timer: null,
      lines: perMinute(this.limits.linesPerMinute), orderbook: perMinute(this.limits.orderbookPerMinute), fills: perMinute(this.limits.fillsPerMinute),
    };
    this.conns.set(id, c);
    sock.setNoDelay(true);
    this.armHandshake(c, this.limits.handshakeTimeoutMs);
    if (this.conns.size * 2 >= this.limits.maxConnections) {
      for (const w of this.conns.values()) if (w.nick === null) this.armHandshake(w, this.limits.pressureHandshakeMs);
    }
    const splitter = new LineSplitter(this.limits.maxLineBytes);
    sock.on('data', (chunk: Buffer) => {
      for (const ev of splitter.push(chunk)) {
        if (!this.conns.has(id)) return;
        if (ev.kind === 'oversize') return this.limited(c, 'line-size', `line of ${ev.bytes} bytes`);
        try {
          this.onLine(c, ev.text);
        } catch (e) {
          this.log.error({ id, err: (e as Error).message }, 'error handling a direct line');
        }
      }
    });
    sock.on('close', () => this.close(c, 'closed by peer'));
  }

  /** Frees a slot: the least valuable connection goes (see the module comment); false if every slot holds a proven taker. */
  private makeRoom(): boolean {
    const now = this.clock.now();
    let victim: { c: Conn; rank: number; at: number; why: string } | null = null;
    for (const c of this.conns.values()) {
      const v = this.value(c, now);
      if (v === null) continue;
      if (victim === null || v.rank < victim.rank || (v.rank === victim.rank && v.at < victim.at)) victim = { c, ...v };
    }
    return victim !== null && this.evict(victim.c, victim.why);
  }

  /** Eviction rank (lower goes first) and age key (older goes first); null = never evicted. */
  private value(c: Conn, now: number): { rank: number; at: number; why: string } | null {
    if (c.nick === null) return { rank: 0, at: c.openedAt, why: 'no handshake yet' };
    const s = this.sessionOf(c.nick);
    if (s.stage === 'proven') return null;
    if (s.stage === 'waiting') return { rank: 2, at: s.since, why: 'session waiting for !auth' };
    if (now - c.handshakedAt >= this.limits.graceMs) return { rank: 1, at: c.handshakedAt, why: 'no session' };
    return { rank: 2, at: c.handshakedAt, why: 'no session yet' };
  }

  private evict(c: Conn, why: string): true {
    this.throttled.note('info', 'evicted', { id: c.id, nick: c.nick, why }, 'slots full: dropped a direct connection for a newcomer');
    this.emit('limited', { id: c.id, kind: 'connections' });
    this.close(c, `slots full: ${why}`);
    return true;
  }

  /** Sets the handshake deadline to `ms` after the connection opened, unless it is already earlier. */
  private armHandshake(c: Conn, ms: number): void {
    const deadline = c.openedAt + ms;
    if (c.deadline !== 0 && c.deadline <= deadline) return;
    c.deadline = deadline;
    this.arm(c, Math.max(0, deadline - this.clock.now()), 'no handshake in time');
  }

  private arm(c: Conn, ms: number, reason: string): void {
    if (c.timer !== null) this.clock.clearTimeout(c.timer);
    c.timer = this.clock.setTimeout(() => this.close(c, reason), ms);
  }

  private close(c: Conn, reason: string): void {
    if (!this.conns.delete(c.id)) return;
    if (c.timer !== null) this.clock.clearTimeout(c.timer);
    c.sock.destroy();
    this.log.debug({ id: c.id, nick: c.nick, reason }, 'direct connection closed');
    this.emit('closed', { id: c.id, nick: c.nick, reason });
  }

  private limited(c: Conn, kind: DirectLimitKind, detail: string, hangUp = true): void {
    this.throttled.note('info', `limit-${kind}`, { id: c.id, nick: c.nick, kind, detail }, 'direct connection over a limit');
    this.emit('limited', { id: c.id, kind });
    if (hangUp) this.close(c, `limit: ${kind}`);
  }

  /** Counts one more in a per-minute window; false (not counted) when it is full. */
  private take(window: WindowBucket): boolean {
    return window.tryTake(this.clock.now());
  }

  private onLine(c: Conn, text: string): void {
    if (!this.take(c.lines)) return this.limited(c, 'lines', `over ${this.limits.linesPerMinute}/min`);
    if (c.nick !== null) this.arm(c, this.limits.idleTimeoutMs, 'idle');
    const env = parseEnvelope(text);
    if (!env.ok) {
      this.log.debug({ id: c.id, reason: env.reason }, 'ignoring malformed direct line');
      return;
    }
    const { type, line } = env.env;
    if (c.nick === null) {
      if (type !== MsgType.HANDSHAKE) return this.close(c, `expected a handshake, got type ${type}`);
      return this.onHandshake(c, line);
    }
    switch (type) {
      case MsgType.PRIVMSG:
        return this.onPrivmsg(c, line);
      case MsgType.PUBMSG:
        return this.onPubmsg(c, line);
      case MsgType.PING:
        this.write(c, MsgType.PONG, '');
        return;
      default:
        this.log.debug({ id: c.id, type }, 'ignoring direct message type');
    }
  }

  private onHandshake(c: Conn, line: string): void {
    const p = parseClientHandshake(line);
    let problem: string | null = p.ok ? null : p.reason;
    if (p.ok) {
      const h = p.value;
      if (h['app-name'].toLowerCase() !== APP_NAME) problem = `app-name "${h['app-name'].slice(0, 32)}"`;
      else if (h.directory) problem = 'a directory dialled a maker';
      else if (h['proto-ver'] !== PROTO_VER) problem = `proto-ver ${h['proto-ver']}`;
      else if (h.network !== this.o.network) problem = `network "${h.network.slice(0, 32)}"`;
      else if (!isValidNickFormat(h.nick)) problem = 'malformed nick';
      else if (h.nick === this.nick) problem = 'our own nick';
    }
    if (problem !== null || !p.ok) return this.close(c, `bad handshake: ${problem}`);
    // A reference maker answers nothing; the connection is now handshaked.
    c.nick = p.value.nick;
    c.handshakedAt = this.clock.now();
    this.arm(c, this.limits.idleTimeoutMs, 'idle');
    this.throttled.note('info', 'handshake', { id: c.id, nick: c.nick }, 'direct peer handshaked');
    this.emit('handshake', { id: c.id, nick: c.nick });
  }

  /** Returns false when over the limit (and the connection is closed). */
  private countOrderbook(c: Conn): boolean {
    if (this.take(c.orderbook)) return true;
    this.limited(c, 'orderbook', `over ${this.limits.orderbookPerMinute}/min`);
    return false;
  }

  /** `!orderbook` from the handshake nick is answered on this connection; nothing else public is. */
  private onPubmsg(c: Conn, line: string): void {
    const r = splitRouted(line);
    if (!r || r.to !== PUBLIC || r.from !== c.nick) return;
    const commands = splitCommands(r.body).filter((x) => x.name === 'orderbook');
    if (commands.length !== 1 || !this.countOrderbook(c)) return; // ref: twice in one pubmsg is ignored
    const msg: InboundMessage = {
      from: r.from, kind: 'pub', commands, fromDirectory: false, route: c.id,
      reply: (cmd, args) => this.write(c, MsgType.PRIVMSG, this.o.identity.signPrivmsg(r.from, cmd, args)),
    };
    for (const h of [...this.handlers]) h(msg);
  }

  private onPrivmsg(c: Conn, line: string): void {
    const r = splitRouted(line);
    if (!r) return;
    const drop = (reason: string): void => {
      this.throttled.note('warn', 'forged', { id: c.id, from: r.from.slice(0, 32), reason }, 'dropping forged or malformed direct privmsg');
      this.emit('forged', { id: c.id, from: r.from, reason });
    };
    if (r.to !== this.nick) return drop('addressed to another nick');
    if (r.from !== c.nick) return drop('sender is not the nick of this connection');
    const parsed = parsePrivmsgBody(r.from, r.to, r.body);
    if (!parsed.ok) return drop(parsed.reason);
    const m = parsed.msg;
    const v = this.gate.check(m, c.id);
    if (!v.ok) return drop(v.reason);
    const commands: Command[] = splitCommands(`${m.cmd} ${m.args}`);
    if (commands.some((x) => x.name === 'orderbook')) return void this.countOrderbook(c);
    if (commands.some((x) => x.name === 'fill') && !this.take(c.fills)) {
      return this.limited(c, 'fill', `over ${this.limits.fillsPerMinute}/min`, false);
    }
    const msg: InboundMessage = {
      from: m.from, kind: 'priv', commands, fromDirectory: false, route: c.id,
      reply: (cmd, args) => this.write(c, MsgType.PRIVMSG, this.o.identity.signPrivmsg(m.from, cmd, args)),
    };
    for (const h of [...this.handlers]) h(msg);
  }

  private write(c: Conn, type: number, line: string): boolean {
    if (!this.conns.has(c.id) || c.sock.destroyed) return false;
    if (Buffer.byteLength(line, 'utf8') > MAX_EMIT_BYTES) {
      this.log.warn({ id: c.id, type }, 'refusing to send an oversize direct line');
      return false;
    }
    if (c.sock.writableLength > this.limits.maxBufferedBytes) {
      this.limited(c, 'buffer', `${c.sock.writableLength} bytes unread`);
      return false;
    }
    c.sock.write(encodeEnvelope(type, line));
    return true;
  }
}

/** The peer's address if it tells peers apart; tor's (127.0.0.1 / ::1, every onion peer) and unknown do not. */
function meaningfulAddress(a: string | undefined): string | null {
  if (a === undefined || a === '') return null;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  return v4 === '127.0.0.1' || v4 === '::1' ? null : v4;
}
