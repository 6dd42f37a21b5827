/**
 * DirectoryServer: composes the admission stages (connection cap → handshake/network →
 * nick rules → rate limits), the router, the heartbeat and coalesced departure notices.
 */
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';
import { LogThrottle } from '../util/log-throttle.js';
import { MAX_LINE_BYTES, encodeEnvelopeBuffer, parseWireLine, type Envelope } from '../protocol/framing.js';
import { MsgType, isNickAuthType } from '../protocol/message-types.js';
import { NOT_SERVING_ONION, formatLocation } from '../protocol/onion.js';
import { nickFromPrivateKey } from '../protocol/nick.js';
import { randomPrivateKey } from '../protocol/crypto.js';
import type { Network } from '../protocol/handshake.js';
import { TcpListener } from '../transport/tcp.js';
import type { ListenAddress, Listener, LocationPublisher } from '../transport/types.js';
import { admit } from './admission.js';
import { ConnectionManager } from './connection-manager.js';
import { DepartureNotifier } from './departures.js';
import { HandshakeHandler } from './handshake-handler.js';
import { NickAuthGate, REQUIRE_REASON, resultBuffer, type AuthPending, type NickAuthMode, type ProofVerdict } from './nick-auth.js';
import { errorMessage } from './log-util.js';
import type { NickAuthCode } from '../protocol/nick-auth.js';
import { Heartbeat } from './heartbeat.js';
import { resolveLimits, type DirectoryLimits, type DirectoryLimitsInput } from './limits.js';
import { LOG_INPUT_MAX, clip } from './log-util.js';
import { MessageRouter } from './message-router.js';
import { ConnState, LocationProof, type AdmittedHandshake, type PeerConnection } from './peer-connection.js';
import { LocationProofLimitsSchema, LocationProver, type LocationDialer, type LocationProofLimitsInput } from './location-prover.js';
import { locationDialer } from './location-dialer.js';
import { DEFAULT_LOOPBACK_PROOF_PORTS, proofRefusal, type PortRange } from './proof-policy.js';
import { PeerRegistry, locationKey } from './peer-registry.js';
import { RateLimiter } from './rate-limiter.js';
import { BroadcastBudget, type BudgetLevels } from './broadcast-budget.js';
import { InboxBudget } from './inbox-budget.js';
import { DirectoryStats } from './stats.js';
import { packageVersion } from './version.js';
import type { HttpEndpoint } from './http.js';
import { VerifyPool } from './verify-pool.js';

export interface DirectoryServerOptions {
  network: Network;
  /** 'loopback' accepts 127.0.0.1:port locations (reference testing mode); 'onion' does not. */
  mode?: 'loopback' | 'onion';
  /** A ready-made listener (tests, Tor); otherwise a TcpListener on `listen`. */
  listener?: Listener;
  listen?: { host: string; port: number };
  motd?: string;
  /** Shorthand for limits.maxPeers. */
  maxPeers?: number;
  limits?: DirectoryLimitsInput;
  clock?: Clock;
  logger?: Logger;
  /** Our advertised location; default 127.0.0.1:<port> in loopback mode. */
  publicLocation?: string;
  /** Supplies the public location after listening (e.g. a Tor onion publisher). */
  locationPublisher?: LocationPublisher;
  /** Fixed nick (tests); default a fresh random J5 nick per run, as every DN does. */
  nick?: string;
  /** Serve /health and /metrics here. */
  http?: { host: string; port: number };
  /**
   * Nick authentication (§2.8). Default mode 'prefer'. The directory id defaults to our public
   * location (`<onion>:5222`, or 127.0.0.1:<port> in loopback mode); start() fails if nick-auth
   * is on and there is no id we can stand behind.
   */
  nickAuth?: {
    mode?: NickAuthMode; directoryId?: string; timeoutMs?: number;
    /** Verify proofs' signatures on a worker thread (default true; false: on the main thread). */
    verifyWorker?: boolean;
  };
  /**
   * Proven locations (location-prover.ts): on by default. Loopback locations are dialled over
   * TCP; onion locations through `socks` (or `dial`), else their proofs fail.
   */
  locationProofs?: {
    enabled?: boolean;
    socks?: { host: string; port: number };
    dial?: LocationDialer;
    limits?: LocationProofLimitsInput;
    /** Loopback mode only: ports a claimed 127.0.0.1 location may name (default 1024-65535). */
    loopbackPorts?: PortRange;
  };
}

export class DirectoryServer {
  readonly nick: string;
  readonly network: Network;
  readonly mode: 'loopback' | 'onion';
  readonly limits: DirectoryLimits;
  readonly stats = new DirectoryStats();
  readonly registry = new PeerRegistry();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly manager: ConnectionManager;
  private readonly handshake: HandshakeHandler;
  private readonly router: MessageRouter;
  private readonly heartbeat: Heartbeat;
  private readonly departures: DepartureNotifier;
  private readonly limiter: RateLimiter;
  /** Per-handshake log lines (a churn flood): in full up to connectionLogLinesPerMin a minute per kind. */
  private readonly peerLog: LogThrottle;
  private readonly budget: BroadcastBudget;
  readonly nickAuth: NickAuthGate;
  /** Verifies nick-auth signatures off the main thread (null: inline, or nick-auth off). */
  private verifier: VerifyPool | null = null;
  /** Null when location proofs are off: declared locations are listed as they come. */
  readonly prover: LocationProver<PeerConnection> | null;
  private location: string;
  /** SOCKS proxy for onion proofs: the option, else the publisher's tor once published. */
  private proofSocks: { host: string; port: number } | null = null;
  private selfPlain = '';
  private selfWithF = '';
  private startedAt = 0;
  private departureLogAt = -Infinity;
  private bound: ListenAddress | null = null;
  private httpEndpoint: HttpEndpoint | null = null;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(private readonly opts: DirectoryServerOptions) {
    this.network = opts.network;
    this.mode = opts.mode ?? 'loopback';
    this.limits = resolveLimits({ ...opts.limits, ...(opts.maxPeers !== undefined ? { maxPeers: opts.maxPeers } : {}) });
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger();
    this.nick = opts.nick ?? nickFromPrivateKey(randomPrivateKey());
    this.limiter = new RateLimiter(this.limits);
    this.peerLog = new LogThrottle(this.logger, undefined, this.clock);
    this.budget = new BroadcastBudget(this.limits, this.clock.now());
    this.nickAuth = new NickAuthGate(opts.nickAuth?.mode ?? 'prefer', this.stats, opts.nickAuth?.timeoutMs);
    const lp = opts.locationProofs;
    this.prover = lp?.enabled === false ? null : new LocationProver<PeerConnection>({
      dial: lp?.dial ?? locationDialer(() => this.proofSocks),
      network: this.network,
      limits: LocationProofLimitsSchema.parse(lp?.limits ?? {}),
      clock: this.clock,
      logger: this.logger,
      events: { proven: (c, key) => this.onLocationProven(c, key), failed: (c, key, why) => this.onLocationFailed(c, key, why) },
      refuse: (loc) => proofRefusal({
        publicLocation: () => this.location,
        ownPorts: () => [this.bound?.port ?? 0, this.httpEndpoint?.address.port ?? 0],
        loopbackPorts: lp?.loopbackPorts ?? DEFAULT_LOOPBACK_PROOF_PORTS,
      }, loc),
    });
    const listener = opts.listener ?? new TcpListener({
      host: opts.listen?.host ?? '127.0.0.1',
      port: opts.listen?.port ?? 0,
      onError: (err) => this.logger.error({ err: err.message }, 'listener error'),
    });
    this.manager = new ConnectionManager({
      listener,
      clock: this.clock,
      logger: this.logger,
      limits: this.limits,
      stats: this.stats,
      audience: this.registry.peers,
      handler: { onLine: (c, t, now) => this.onLine(c, t, now), onRetire: (c) => this.onRetire(c) },
    });
    this.handshake = new HandshakeHandler({
      network: this.network,
      allowLoopback: this.mode === 'loopback',
      nick: this.nick,
      version: packageVersion(),
      operatorMotd: opts.motd ?? '',
      nickAuth: () => this.nickAuth.enabled,
    });
    const send = (c: PeerConnection, b: Buffer): void => this.manager.send(c, b);
    this.router = new MessageRouter({
      registry: this.registry,
      limiter: this.limiter,
      budget: this.budget,
      inbox: new InboxBudget(this.limits),
      hasRoom: (c) => this.manager.hasRoom(c),
      stats: this.stats,
      logger: this.logger,
      send,
      broadcast: (b, from) => this.manager.broadcast(b, from),
      close: (c, reason, kind) => this.manager.close(c, reason, kind),
      nick: () => this.nick,
      selfEntry: (f) => (f ? this.selfWithF : this.selfPlain),
    });
    this.heartbeat = new Heartbeat({
      registry: this.registry,
      manager: this.manager,
      limits: this.limits,
      clock: this.clock,
      stats: this.stats,
      logger: this.logger,
      nick: this.nick,
      nickAuth: { expired: (p, now) => this.nickAuth.expired(p, now), expire: (c) => this.endAuth(c, 'expired', `no proof within ${this.nickAuth.timeoutMs} ms`) },
    });
    this.departures = new DepartureNotifier(
      {
        selfEntry: () => this.selfPlain,
        isPresent: (nick) => this.registry.byNick(nick) !== undefined,
        broadcast: (buf) => this.manager.broadcast(buf, null),
        dropped: (priority, other) => this.departuresDropped(priority, other),
      },
      this.clock,
      this.limits.departureCoalesceMs,
      { bytesPerSec: this.limits.departureBytesPerSec, burstMs: this.limits.broadcastBurstMs },
    );
    this.location = opts.publicLocation ?? NOT_SERVING_ONION;
    this.setPublicLocation(this.location);
  }

  /** Our advertised location (MOTD, peerlists). An onion publisher may set it after start. */
  setPublicLocation(location: string): void {
    this.location = location;
    this.handshake.setLocation(location);
    this.selfPlain = `${this.nick};${location}`;
    this.selfWithF = `${this.selfPlain};F:${this.handshake.features().join('+')}`;
  }

  get publicLocation(): string {
    return this.location;
  }

  get address(): ListenAddress | null {
    return this.bound;
  }

  get uptimeSeconds(): number {
    return this.startedAt === 0 ? 0 : Math.floor((this.clock.now() - this.startedAt) / 1000);
  }

  get pendingCount(): number {
    return this.manager.pending.size;
  }

  /** Bytes held for unterminated lines, all connections. */
  get partialLineBytes(): number {
    return this.manager.input.heldBytes;
  }

  /** Unsent private output bytes, all connections. */
  get unsentOutputBytes(): number {
    return this.manager.output.total;
  }

  /** The DN-wide broadcast budget's fill and the peers skipped by broadcasts. */
  get broadcast(): { levels: BudgetLevels; laggingPeers: number } {
    return { levels: this.budget.levels(this.clock.now()), laggingPeers: this.manager.laggingPeers };
  }

  get connectionCount(): number {
    return this.manager.all.size;
  }

  async start(): Promise<ListenAddress> {
    if (this.state !== 'new') throw new Error('directory already started');
    this.state = 'running';
    this.startedAt = this.clock.now();
    const addr = await this.manager.start();
    this.bound = addr;
    if (this.opts.publicLocation === undefined) {
      if (this.opts.locationPublisher) this.setPublicLocation(await this.opts.locationPublisher.publish(addr));
      else if (this.mode === 'loopback') this.setPublicLocation(formatLocation({ kind: 'loopback', host: '127.0.0.1', port: addr.port }));
    }
    if (this.prover && this.mode === 'onion' && !this.opts.locationProofs?.dial) {
      // The option, else the SOCKS port of the tor we publish through, else tor's usual 9050.
      const fromTor = this.opts.locationProofs?.socks ? null : ((await this.opts.locationPublisher?.socks?.()) ?? null);
      this.proofSocks = this.opts.locationProofs?.socks ?? fromTor ?? { host: '127.0.0.1', port: 9050 };
      this.logger.info({ socks: `${this.proofSocks.host}:${this.proofSocks.port}`, from: this.opts.locationProofs?.socks ? 'option' : fromTor ? 'tor' : 'default' }, 'location proofs dial onions through this SOCKS proxy');
    } else this.proofSocks = this.opts.locationProofs?.socks ?? null;
    try {
      this.setupNickAuth();
    } catch (e) {
      await this.stop();
      throw e;
    }
    this.heartbeat.start();
    if (this.opts.http) {
      const { startHttpEndpoint } = await import('./http.js');
      this.httpEndpoint = await startHttpEndpoint(this.opts.http, this, this.logger);
    }
    return addr;
  }

  /** The id we sign for: explicit, else our onion or loopback location; none → refuse to start. */
  private setupNickAuth(): void {
    if (this.nickAuth.mode === 'off') return;
    const explicit = this.opts.nickAuth?.directoryId;
    const loc = this.location.toLowerCase();
    const id = explicit ?? (/^([a-z2-7]{56}\.onion|127\.0\.0\.1|localhost):[0-9]{1,5}$/.test(loc) ? loc : null);
    if (id === null) {
      throw new Error(`nick-auth is ${this.nickAuth.mode} but the directory has no id to stand behind (public location ${JSON.stringify(this.location)}); set a directory id or turn nick-auth off`);
    }
    this.nickAuth.setDirectoryId(id);
    this.handshake.setLocation(this.location); // the features of the accepted reply changed
    this.setPublicLocation(this.location);
    if (this.opts.nickAuth?.verifyWorker !== false) this.verifier = new VerifyPool((why) => this.logger.warn({ why }, 'nick-auth proofs now verified on the main thread'));
    this.logger.info({ mode: this.nickAuth.mode, directoryId: id }, 'nick authentication on');
  }

  get httpAddress(): ListenAddress | null {
    return this.httpEndpoint?.address ?? null;
  }

  /** Graceful shutdown: stop accepting, end every connection, wait for the sockets to close. */
  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    this.heartbeat.stop();
    this.prover?.stop();
    this.departures.stop();
    this.announceDeparture();
    await this.httpEndpoint?.close();
    await this.manager.stop();
    this.peerLog.close();
    this.departures.stop();
    await this.opts.locationPublisher?.close?.();
    await this.verifier?.stop();
    this.state = 'stopped';
  }

  /**
   * Tells every peer that the directory itself is leaving: one PEERLIST `<dn>;<loc>;D`, flushed
   * before the graceful close. Reference and ng clients handle it as a departure of a nick they
   * hold nothing for (harmless); our clients take it as "restarting" and retry at their first
   * backoff step instead of a growing one (docs/directory.md, restarts).
   */
  private announceDeparture(): void {
    if (this.registry.size === 0) return;
    this.manager.broadcast(encodeEnvelopeBuffer(MsgType.PEERLIST, `${this.selfPlain};D`), null);
    this.logger.info({ peers: this.registry.size }, 'departure notice sent to every peer');
  }

  /** Runs the heartbeat sweep now (tests drive it with a ManualClock instead). */
  sweep(): void {
    this.heartbeat.sweep();
  }

  private onLine(conn: PeerConnection, data: Buffer, now: number): void {
    if (conn.auth?.held) return this.holdLine(conn, conn.auth.held, data);
    const r = parseWireLine(data);
    if (!r.ok) {
      this.logger.debug({ conn: conn.id, line: clip(data.subarray(0, 2 * LOG_INPUT_MAX).toString('utf8')) }, 'malformed line');
      if (conn.state === ConnState.Pending) this.stats.handshakes.invalid++;
      return this.manager.close(conn, `malformed line: ${r.reason}`, r.invalidUtf8 ? 'invalid-utf8' : 'malformed');
    }
    conn.lastSeen = now;
    conn.probeSentAt = 0;
    if (conn.auth !== null) return this.onAuthProof(conn, r.line.env, now);
    if (conn.state === ConnState.Pending) return this.onHandshake(conn, r.line.env, now);
    if (isNickAuthType(r.line.env.type)) return this.manager.close(conn, `nick-auth message ${r.line.env.type} out of order`, 'nick-auth-order');
    this.router.handle(conn, r.line, now);
  }

  private onHandshake(conn: PeerConnection, env: Envelope, now: number): void {
    if (env.type !== MsgType.HANDSHAKE) {
      this.stats.handshakes.invalid++;
      return this.manager.close(conn, `first message is type ${env.type}, not a handshake`, 'no-handshake');
    }
    const v = this.handshake.validate(env.line);
    if (!v.ok) return this.reject(conn, v.reason);
    const hs: AdmittedHandshake = { nick: v.hs.nick, location: v.location, features: v.features };
    if (this.nickAuth.negotiates(hs.features)) {
      if (this.registry.size >= this.limits.maxPeers) return this.reject(conn, 'Maximum peers reached', hs.nick);
      const { pending, challenge } = this.nickAuth.begin(env.line, hs.nick, hs, now);
      conn.auth = pending;
      this.manager.send(conn, this.handshake.accepted());
      this.manager.send(conn, challenge);
      this.logger.debug({ conn: conn.id, nick: hs.nick }, 'nick-auth challenge sent');
      return;
    }
    if (this.nickAuth.mode === 'require' && this.nickAuth.enabled) {
      this.stats.nickAuth.required++;
      return this.reject(conn, REQUIRE_REASON, hs.nick);
    }
    this.admit(conn, hs, null, now);
  }

  /**
   * The peer's answer to our 803: verified → admitted (807 ok), else 807 <code> and close. The
   * signature is verified on the worker when there is one; lines the peer sends meanwhile are
   * held and handled afterwards, in order, as they would have been without it.
   */
  private onAuthProof(conn: PeerConnection, env: Envelope, now: number): void {
    const p = conn.auth!;
    if (this.verifier === null) return this.authVerified(conn, p, this.nickAuth.check(p, env), now);
    const r = this.nickAuth.prepare(p, env);
    if (!r.ok) return this.endAuth(conn, r.code, r.reason);
    p.held = { lines: [], bytes: 0 };
    this.verifier.verify(r.input, (res) => {
      if (conn.auth !== p || conn.state >= ConnState.Closing) return;
      const held = p.held!.lines;
      p.held = undefined;
      try {
        const t = this.clock.now();
        this.authVerified(conn, p, this.nickAuth.verdict(r.pubkey, res), t);
        for (const line of held) {
          if (conn.state >= ConnState.Closing) break;
          this.onLine(conn, line, t);
        }
      } catch (e) {
        this.logger.error({ conn: conn.id, err: errorMessage(e) }, 'internal error after a nick-auth verification');
        this.manager.close(conn, 'internal error', 'internal');
      }
    });
  }

  private authVerified(conn: PeerConnection, p: AuthPending<AdmittedHandshake>, v: ProofVerdict, now: number): void {
    if (!v.ok) return this.endAuth(conn, v.code, v.reason);
    this.admit(conn, p.handshake, v.pubkey, now);
  }

  /** A line that came while the proof is verified: kept (copied) up to one maximal line's worth. */
  private holdLine(conn: PeerConnection, held: { lines: Buffer[]; bytes: number }, data: Buffer): void {
    held.bytes += data.length;
    if (held.bytes > MAX_LINE_BYTES) return this.endAuth(conn, 'malformed', `more than ${MAX_LINE_BYTES} bytes sent before the 807 result`);
    held.lines.push(Buffer.from(data));
  }

  /** Ends a failed exchange: the 807 code, a log line, a graceful close. */
  endAuth(conn: PeerConnection, code: Exclude<NickAuthCode, 'ok'>, reason: string): void {
    this.nickAuth.count(code);
    this.peerLog.note('info', 'nick-auth-failed', { conn: conn.id, remote: conn.remote, nick: conn.auth?.nick, code, reason }, 'nick authentication failed', this.limits.connectionLogLinesPerMin);
    conn.auth = null;
    this.manager.send(conn, resultBuffer(code));
    this.manager.close(conn, `nick-auth ${code}: ${reason}`, 'nick-auth', true);
  }

  /** Stage 3 (nick and location rules, capacity), then registration. */
  private admit(conn: PeerConnection, hs: AdmittedHandshake, verified: string | null, now: number): void {
    const { nick, location, features } = hs;
    const claimed = locationKey(location);
    // With proofs, a location is owned once proven there, not by whoever claims it first.
    const key = this.prover ? '' : claimed;
    const a = admit(this.registry, nick, key, now, this.limits, verified);
    if (a.kind === 'reject') {
      for (const holder of a.probe) this.heartbeat.probe(holder, now);
      if (conn.auth !== null) return this.endAuth(conn, 'policy', a.reason);
      return this.reject(conn, a.reason, nick);
    }
    // Peers that knew the nick through an earlier connection still do.
    let known = this.departures.has(nick);
    for (const old of a.replace) {
      if (old.nick === nick && old.known) known = true;
      const why = verified !== null && old.verifiedPubkey === null ? `displaced by a verified claim for ${nick}` : `replaced by a new connection for ${old.nick}`;
      if (verified !== null && old.verifiedPubkey === null) this.logger.info({ conn: old.id, nick: old.nick, by: conn.id }, 'unverified holder displaced by a verified claim');
      this.manager.close(old, why, verified !== null && old.verifiedPubkey === null ? 'displaced' : 'replaced');
    }
    this.stats.nickAuth.displaced += a.displaced;
    conn.nick = nick;
    conn.location = formatLocation(location);
    conn.locationKey = key;
    conn.claimedKey = claimed;
    conn.serving = location.kind !== 'not-serving';
    const proving = this.prover !== null && conn.serving;
    conn.listedLocation = proving ? NOT_SERVING_ONION : conn.location;
    if (proving) conn.locationProof = LocationProof.Pending;
    conn.known = known || conn.serving;
    conn.verifiedPubkey = verified;
    if (features.length > 0) conn.features = features;
    conn.wantsPing = features.includes('ping');
    conn.wantsPeerlistFeatures = features.includes('peerlist_features');
    this.registry.add(conn);
    this.manager.markReady(conn);
    this.limiter.init(conn, now);
    this.stats.handshakes.accepted++;
    if (conn.auth !== null) {
      conn.auth = null;
      this.nickAuth.count('ok');
      this.manager.send(conn, resultBuffer('ok'));
    } else this.manager.send(conn, this.handshake.accepted());
    this.peerLog.note('info', 'handshake-accepted', { conn: conn.id, nick, location: conn.location, role: conn.role, features, verified: verified !== null }, 'handshake accepted', this.limits.connectionLogLinesPerMin);
    if (proving) this.prover!.claim(conn, claimed, location);
  }

  private onLocationProven(conn: PeerConnection, key: string): void {
    if (!this.registry.has(conn) || conn.claimedKey !== key) return;
    const prev = this.registry.setLocation(conn, key);
    if (prev) {
      prev.listedLocation = NOT_SERVING_ONION;
      prev.locationProof = LocationProof.Failed;
      this.logger.info({ conn: prev.id, nick: prev.nick, location: prev.location, by: conn.nick }, 'location now serves another nick; no longer listed');
    }
    conn.listedLocation = conn.location;
    conn.locationProof = LocationProof.Proven;
    this.logger.info({ conn: conn.id, nick: conn.nick, location: conn.location }, 'location proven');
  }

  private onLocationFailed(conn: PeerConnection, key: string, reason: string): void {
    if (!this.registry.has(conn) || conn.claimedKey !== key || conn.locationProof === LocationProof.Proven) return;
    conn.locationProof = LocationProof.Failed;
    this.logger.debug({ conn: conn.id, nick: conn.nick, location: conn.location, reason }, 'location not proven; listed as not serving');
  }

  /** Proven, pending and failed serving claims of the registered peers. */
  locationCounts(): { proven: number; pending: number; failed: number } {
    const n = [0, 0, 0, 0];
    for (const p of this.registry.peers) n[p.locationProof]!++;
    return { proven: n[LocationProof.Proven]!, pending: n[LocationProof.Pending]!, failed: n[LocationProof.Failed]! };
  }

  private reject(conn: PeerConnection, reason: string, nick?: string): void {
    this.stats.handshakes.rejected++;
    this.peerLog.note('info', 'handshake-rejected', { conn: conn.id, remote: conn.remote, nick, reason }, 'handshake rejected', this.limits.connectionLogLinesPerMin);
    this.manager.send(conn, this.handshake.rejected(reason));
    this.manager.close(conn, `handshake rejected: ${reason}`, 'rejected', true);
  }

  /**
   * A peer nobody can know of (never listed, never relayed) leaves without a `;D`; the `;D`
   * names the location as listed (an unproven claim is never broadcast).
   */
  private onRetire(conn: PeerConnection): void {
    if (conn.claimedKey !== '') this.prover?.release(conn, conn.claimedKey);
    if (this.registry.remove(conn) && conn.known) {
      this.departures.add(conn.nick, conn.listedLocation, conn.announcedOffer || conn.locationProof === LocationProof.Proven);
    }
  }

  /** Counts departures the `;D` budget left unannounced; at most one log line a minute. */
  private departuresDropped(priority: number, other: number): void {
    const d = this.stats.departuresDropped;
    d.priority += priority;
    d.other += other;
    const now = this.clock.now();
    if (now - this.departureLogAt < 60_000) return;
    this.departureLogAt = now;
    this.logger.warn({ dropped: { ...d }, budgetBytesPerSec: this.limits.departureBytesPerSec }, 'departure notice budget: departures left unannounced (totals so far)');
  }

  /** The `;D` byte budget's fill (1 full, 0 empty; null off) and the departures it dropped. */
  get departureBudget(): { level: number | null; dropped: { priority: number; other: number } } {
    return { level: this.departures.fill(), dropped: { ...this.stats.departuresDropped } };
  }
}

/** Creates and starts a directory; resolves once it accepts peers. */
export async function startDirectory(opts: DirectoryServerOptions): Promise<DirectoryServer> {
  const s = new DirectoryServer(opts);
  await s.start();
  return s;
}
