/**
 * The orderbook watcher: asks every directory for the book on connect and periodically
 * (within the rs limit of 3 `!orderbook` per minute per DN), feeds offers, cancels, bonds
 * and departures into the OrderBook, checks bonds, and renders API snapshots.
 *
 * A `!tbond` costs two ECDSA checks and, with RPC, chain lookups, and anyone can send one per
 * privmsg: a proof a nick already holds costs nothing, a new one is checked only within a
 * budget per nick and overall (BondBudget); the rest are dropped and counted.
 */
import type { DirectoryPool, PoolPrivmsgEvent, PoolPubmsgEvent } from '../client/directory-pool.js';
import { isOfferType } from '../protocol/offers.js';
import { systemClock, type Clock, type Timer } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { DEFAULT_BOND_VALUE_EXPONENT, DEFAULT_INTEREST_RATE } from '../wallet/bond-value.js';
import { OrderBook, type BookLimits, type OfferSource } from './book.js';
import { BondVerifier, type BondChain } from './bonds.js';
import { DEFAULT_BONDLESS_ALLOWANCE } from './selection.js';
import { buildDirectories, buildHealth, buildOrderbook } from './snapshot.js';
import type { ApiDirectories, ApiHealth, ApiOrderbook } from './schema.js';
import { DocumentCache, type CachedDocument } from './snapshot-cache.js';
import { DirectoryHistory } from './directory-history.js';
import { TypedEmitter } from '../client/typed-emitter.js';
import { AgeMap } from '../util/age-map.js';
import { TokenBuckets } from '../util/rate-limit.js';

export interface WatcherOptions {
  pool: DirectoryPool;
  network: string;
  chain?: BondChain | null;
  clock?: Clock;
  logger?: Logger;
  /** Re-send `!orderbook` on every DN this often. Default 15 min. */
  refreshIntervalMs?: number;
  /** Drop makers silent for this long. Default 3 × refresh. */
  staleAfterMs?: number;
  interestRate?: number;
  exponent?: number;
  bondlessAllowance?: number;
  /** Offers per maker, offers and nicks overall (defaults: DEFAULT_BOOK_LIMITS). */
  bookLimits?: Partial<BookLimits>;
  /** The served snapshot is rebuilt at most this often while the book changes. Default 1 s. */
  snapshotIntervalMs?: number;
  /** Directory history: sample up/down this often (default 60 s), PING directories that support it this often (default 5 min). */
  historySampleMs?: number;
  historyPingMs?: number;
  /** New bond proofs checked per nick per 10 min and of all nicks per minute (defaults 2 and 300). */
  bondProofsPerNick?: number;
  bondProofsGlobal?: number;
}

export interface WatcherEvents {
  /** Something in the book changed (offer, cancel, bond, departure). */
  changed: { reason: string; nick: string };
  orderbookRequested: { dn: string };
}

export class OrderbookWatcher extends TypedEmitter<WatcherEvents> {
  readonly book: OrderBook;
  readonly bonds: BondVerifier;
  private readonly pool: DirectoryPool;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly refreshMs: number;
  private readonly offs: Array<() => void> = [];
  private readonly deferred = new Map<string, Timer>();
  private refreshTimer: Timer | null = null;
  private pruneTimer: Timer | null = null;
  private historyTimer: Timer | null = null;
  readonly history: DirectoryHistory;
  private readonly lastPing = new Map<string, number>();
  private running = false;
  /** Bumped on every change of the book or of a bond check (the snapshot cache's key). */
  private version = 0;
  private readonly cache: DocumentCache<ApiOrderbook>;
  private readonly bondBudget: BondBudget;
  /** `!tbond`s with a new proof not checked because a budget was spent. */
  private _bondProofsDropped = 0;

  constructor(private readonly o: WatcherOptions) {
    const log = o.logger ?? silentLogger();
    super((err, ev) => log.error({ err, event: ev }, 'watcher listener threw'));
    this.pool = o.pool;
    this.clock = o.clock ?? systemClock;
    this.log = log;
    this.refreshMs = o.refreshIntervalMs ?? 15 * 60_000;
    this.book = new OrderBook(o.staleAfterMs ?? 3 * this.refreshMs, o.bookLimits, (nick) => this.bonds.forget(nick));
    this.bonds = new BondVerifier({
      takerNick: o.pool.nick, chain: o.chain ?? null, clock: this.clock, logger: log,
      interestRate: o.interestRate ?? DEFAULT_INTEREST_RATE, exponent: o.exponent ?? DEFAULT_BOND_VALUE_EXPONENT,
    });
    this.bondBudget = new BondBudget(o.bondProofsPerNick ?? 2, o.bondProofsGlobal ?? 300, this.book.limits.maxNicks);
    this.history = new DirectoryHistory(this.clock);
    this.cache = new DocumentCache({
      build: () => this.orderbook(), version: () => this.version, now: () => this.clock.now(),
      ...(o.snapshotIntervalMs !== undefined ? { minIntervalMs: o.snapshotIntervalMs } : {}),
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const p = this.pool;
    this.offs.push(
      p.on('connected', ({ dn }) => this.requestOrderbook(dn)),
      p.on('disconnected', ({ dn }) => this.book.directoryLost(dn)),
      p.on('connected', ({ dn, info }) => this.history.connected(dn, info.handshakeLatencyMs)),
      p.on('disconnected', ({ dn, wasConnected }) => {
        if (wasConnected) this.history.disconnected(dn);
      }),
      p.on('sighting', ({ dn, nick }) => this.book.sighting(nick, dn, this.clock.now())),
      p.on('pubmsg', (m) => this.onPubmsg(m)),
      p.on('privmsg', (m) => this.onPrivmsg(m)),
      p.on('copy', (m) => {
        let any = false;
        for (const c of m.commands) if (isOfferType(c.name)) {
          this.book.copy(m.from, m.dn, c.args[0], this.clock.now());
          any = true;
        }
        if (any) this.changed('provenance', m.from);
      }),
      p.on('peerlist', ({ dn, entries }) => {
        for (const e of entries) {
          if (!this.book.get(e.nick)) continue;
          // A listing is presence (ng GETPEERLIST replies, post-privmsg location updates).
          if (!e.disconnected) {
            this.book.sighting(e.nick, dn, this.clock.now());
            continue;
          }
          if (this.book.leave(e.nick, dn)) {
            this.bonds.forget(e.nick);
            this.changed('left', e.nick);
          }
        }
      }),
    );
    this.refreshTimer = this.clock.setInterval(() => this.refresh(), this.refreshMs);
    this.pruneTimer = this.clock.setInterval(() => this.prune(), Math.min(60_000, this.refreshMs));
    this.historyTimer = this.clock.setInterval(() => void this.sampleDirectories(), this.o.historySampleMs ?? 60_000);
    for (const dn of p.connectedIds()) this.requestOrderbook(dn);
  }

  /** One history sample per directory; a PING where supported and due. Resolves when the PINGs settle. */
  sampleDirectories(): Promise<void> {
    const now = this.clock.now();
    const pings: Array<Promise<void>> = [];
    for (const dn of this.pool.directoryIds()) {
      const c = this.pool.client(dn);
      const up = c?.connected === true;
      this.history.sample(dn, up);
      if (!up || !c.directory?.features.includes('ping') || now - (this.lastPing.get(dn) ?? -Infinity) < (this.o.historyPingMs ?? 300_000)) continue;
      this.lastPing.set(dn, now);
      pings.push(c.ping(30_000).then(
        (ms) => this.history.rtt(dn, ms),
        (err: unknown) => this.log.debug({ dn, err: String(err) }, 'directory PING failed'),
      ));
    }
    return Promise.all(pings).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const off of this.offs.splice(0)) off();
    if (this.refreshTimer !== null) this.clock.clearInterval(this.refreshTimer);
    if (this.pruneTimer !== null) this.clock.clearInterval(this.pruneTimer);
    if (this.historyTimer !== null) this.clock.clearInterval(this.historyTimer);
    for (const t of this.deferred.values()) this.clock.clearTimeout(t);
    this.deferred.clear();
  }

  /** `!orderbook` on one DN now, or as soon as its rate limit allows. */
  requestOrderbook(dn: string): void {
    const c = this.pool.client(dn);
    if (!c || !c.connected || this.deferred.has(dn)) return;
    const wait = c.orderbookWaitMs();
    if (wait > 0) {
      const t = this.clock.setTimeout(() => {
        this.deferred.delete(dn);
        if (this.running) this.requestOrderbook(dn);
      }, wait + 50);
      this.deferred.set(dn, t);
      return;
    }
    const r = c.sendPubmsg('!orderbook');
    if (r.ok) this.emit('orderbookRequested', { dn });
    else this.log.warn({ dn, reason: r.reason }, 'could not request the orderbook');
  }

  /** Re-requests on every DN and re-checks every bond against the chain. */
  refresh(): void {
    for (const dn of this.pool.connectedIds()) {
      this.requestOrderbook(dn);
      // Directories that support GETPEERLIST confirm presence of makers that reply elsewhere.
      const c = this.pool.client(dn);
      if (c?.directory?.features.includes('peerlist_features')) {
        c.requestPeerlist(30_000).catch((err: unknown) => this.log.debug({ dn, err: String(err) }, 'GETPEERLIST failed'));
      }
    }
    for (const m of this.book.list()) if (m.bond) this.checkBondLater(m.nick, m.bond.proofBase64);
  }

  /** Runs the full check of every current bond (for one-shot output). */
  async verifyAllBonds(): Promise<void> {
    await Promise.all(this.book.list().filter((m) => m.bond).map((m) => this.bonds.verify(m.nick, m.bond!.proofBase64)));
  }

  prune(): void {
    for (const nick of this.book.prune(this.clock.now())) {
      this.bonds.forget(nick);
      this.changed('stale', nick);
    }
  }

  orderbook(): ApiOrderbook {
    return buildOrderbook({
      book: this.book, bonds: this.bonds, network: this.o.network, ourNick: this.pool.nick, now: this.clock.now(),
      interestRate: this.o.interestRate ?? DEFAULT_INTEREST_RATE, exponent: this.o.exponent ?? DEFAULT_BOND_VALUE_EXPONENT,
      allowance: this.o.bondlessAllowance ?? DEFAULT_BONDLESS_ALLOWANCE,
    });
  }

  /** The orderbook document as served over HTTP: cached, rebuilt at most once per interval. */
  snapshot(): CachedDocument<ApiOrderbook> {
    return this.cache.get();
  }

  directories(): ApiDirectories {
    return buildDirectories(this.pool.status(), this.book, this.clock.now(), (dn) => this.history.summary(dn));
  }

  health(): ApiHealth {
    return buildHealth(this.pool.status(), this.book, this._bondProofsDropped);
  }

  private changed(reason: string, nick: string): void {
    this.version++;
    this.emit('changed', { reason, nick });
  }

  private onPubmsg(m: PoolPubmsgEvent): void {
    if (m.fromDirectory) return;
    const now = this.clock.now();
    this.takeOffers(m.from, m.dn, m.commands, 'public', now);
    for (const c of m.commands) {
      if (c.name !== 'cancel') continue;
      const oid = c.args[0];
      if (oid !== undefined && /^[0-9]{1,15}$/.test(oid) && this.book.cancel(m.from, Number(oid))) this.changed('cancel', m.from);
    }
  }

  /** `!tbond`s whose new proof was not checked (over the per-nick or overall budget). */
  get bondProofsDropped(): number {
    return this._bondProofsDropped;
  }

  private onPrivmsg(m: PoolPrivmsgEvent): void {
    const now = this.clock.now();
    this.takeOffers(m.from, m.dn, m.commands, 'private', now);
    for (const c of m.commands) {
      const proof = c.args[0];
      if (c.name !== 'tbond' || !proof) continue;
      if (this.book.get(m.from)?.bond?.proofBase64 === proof) {
        this.book.bond(m.from, m.dn, proof, now); // the same proof again: presence only, checked on refresh
        continue;
      }
      if (!this.bondBudget.take(m.from, now)) {
        this._bondProofsDropped++;
        this.log.debug({ nick: m.from }, 'new bond proof over its budget; not checked');
        continue;
      }
      this.book.bond(m.from, m.dn, proof, now);
      this.bonds.evaluation(m.from, proof);
      this.changed('bond', m.from);
      this.checkBondLater(m.from, proof);
    }
  }

  /**
   * A message's offers, at most maxOffersPerMaker of them: the book would keep no more, so the
   * rest of a 880-offer line is counted and not even parsed (a watcher that parses slower than
   * the directory sends would be cut as a slow reader). Refusals are counted in /health.
   */
  private takeOffers(from: string, dn: string, commands: PoolPubmsgEvent['commands'], source: OfferSource, now: number): void {
    let n = 0;
    for (const c of commands) {
      if (!isOfferType(c.name)) continue;
      if (++n > this.book.limits.maxOffersPerMaker) {
        this.book.counters.skipped++;
        continue;
      }
      const r = this.book.offer(from, dn, c.name, c.args, source, now);
      if (r.ok) this.changed('offer', from);
      else this.log.debug({ nick: from, source, reason: r.reason }, 'ignoring invalid offer');
    }
  }

  private checkBondLater(nick: string, proof: string): void {
    this.checkBond(nick, proof).catch((err: unknown) => this.log.warn({ nick, err: (err as Error).message }, 'bond check failed'));
  }

  private async checkBond(nick: string, proof: string): Promise<void> {
    if (!this.bonds.hasChain) return;
    const e = await this.bonds.verify(nick, proof);
    this.book.bondChecked(nick, proof, e.status === 'verified');
    if (this.running) this.changed(`bond-${e.status}`, nick);
  }
}

/**
 * How many new bond proofs the watcher checks: `perNick` per 10 minutes for each nick (an
 * honest maker's proof for us changes only when its certificate does) and `global` per minute
 * for all nicks together. Continuous buckets; nick state bounded like the book's nicks.
 */
class BondBudget {
  private readonly perNick: TokenBuckets;
  private readonly all: TokenBuckets;
  private readonly allStore: number[];
  private readonly nicks = new AgeMap<string, number[]>();

  constructor(perNick: number, global: number, private readonly maxNicks: number) {
    this.perNick = new TokenBuckets([perNick], 600_000);
    this.all = new TokenBuckets([global], 60_000);
    this.allStore = this.all.create(0);
  }

  take(nick: string, now: number): boolean {
    const store = this.nicks.get(nick) ?? this.perNick.create(now);
    this.nicks.set(nick, store);
    if (this.nicks.size > this.maxNicks) this.nicks.shift();
    if (this.perNick.level(store, 0, now) < 1 || this.all.level(this.allStore, 0, now) < 1) return false;
    this.perNick.spend(store, 0, 1, now);
    this.all.spend(this.allStore, 0, 1, now);
    return true;
  }
}
