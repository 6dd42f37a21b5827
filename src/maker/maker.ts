/**
 * The maker bot: offers (announced on every route, private reply with `!tbond` to each
 * `!orderbook`), one MakerSession per taker nick, commitment gossip, `!push` for our own
 * rounds, and the watch on every signed transaction that re-announces offers once it is seen.
 * Any bad input costs the sender its session; everyone else keeps being served.
 *
 * Under flood (docs/security.md, maker): `!orderbook` replies, `!fill` sessions, `!hp2` gossip
 * and `!error` replies each have a fair budget (rate-limit.ts): per nick, plus a global one
 * with a reserve only vouched-for requests may use. Nicks are free, so newcomers are served by
 * what a crowd of fresh nicks cannot exhaust: `!orderbook` askers past the private budget get
 * one public announcement per directory every few seconds (public-replies.ts); a `!fill` is
 * validated before it is charged, costs well under a millisecond, and sessions waiting for
 * `!auth` have room for many, the oldest making room when full (an honest taker's round trip
 * outlives the global budget's turnover); `!hp2` beyond the list's budget is remembered in
 * memory only. docs/decisions.md, "Maker: serving newcomers through a fresh-nick flood".
 */
import { Transaction, type Network } from 'bitcoinjs-lib';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { checkFill, isCoinjoinCommand, parseCoinjoinCommand, type AcceptedFill } from '../protocol/coinjoin/messages.js';
import type { YieldConfig } from '../protocol/coinjoin/yield.js';
import type { Command, Offer } from '../protocol/offers.js';
import { TypedEmitter } from '../client/typed-emitter.js';
import { randomNaclKeyPair, naclKeyPairFromSecret, type NaclKeyPair } from '../protocol/coinjoin/box.js';
import { systemClock, type Clock, type Timer } from '../util/clock.js';
import { AgeMap } from '../util/age-map.js';
import { LogThrottle } from '../util/log-throttle.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { CommitmentBlacklist } from './commitments.js';
import { OfferManager, type YieldAlgorithm } from './offer-manager.js';
import { DEFAULT_ORDER_POLICY, spendableBalances, type OrderPolicy } from './order-inputs.js';
import type { InboundMessage, MakerBond, MakerChain, MakerChannel, MakerWallet, SessionStage, TxStatus } from './ports.js';
import { PublicReplies } from './public-replies.js';
import { FairLimiter, type Verdict } from './rate-limit.js';
import { DEFAULT_SESSION_TIMEOUTS, MakerSession, type SessionTimeouts, type SignedCoinjoin } from './session.js';

export interface MakerTimeouts extends SessionTimeouts {
  /** Poll interval of the watch on signed transactions. */
  watchIntervalMs: number;
  /** Give up on a signed tx never seen (REF unconfirm_timeout_sec 180 s); its coins are unlocked. */
  unseenTimeoutMs: number;
}
export const DEFAULT_MAKER_TIMEOUTS: MakerTimeouts = { ...DEFAULT_SESSION_TIMEOUTS, watchIntervalMs: 5_000, unseenTimeoutMs: 180_000 };

/** Budgets per minute (see rate-limit.ts for per nick / global / reserve). */
export interface MakerLimits {
  /** Private `!orderbook` replies per nick (the DN allows 6; NG makers one per 10 s). */
  orderbookPerNick: number;
  orderbookGlobal: number;
  /** Part of orderbookGlobal kept for a directory's own probe and direct connections. */
  orderbookReserve: number;
  /** Past the global budget, askers are answered by a public announcement at most this often per offer, per directory. */
  publicReplyMsPerOffer: number;
  /** Valid `!fill`s (session starts) per nick. */
  fillsPerNick: number;
  fillsGlobal: number;
  /** Part of fillsGlobal kept for nicks that passed `!auth` with us before. */
  fillsReserve: number;
  /** Sessions past `!auth` at once (each holds coins); when all are taken a `!fill` gets `!error`. */
  maxSessions: number;
  /** Sessions waiting for `!auth` at once; when full, the oldest makes room for a new one. */
  maxWaitingSessions: number;
  /** `!hp2` gossip: commitments taken from one pubmsg, per nick per minute, all nicks per minute. */
  hp2PerMessage: number;
  hp2PerNick: number;
  hp2Global: number;
  /** `!hp2` relay requests (privmsg) we re-broadcast. */
  relayPerNick: number;
  relayGlobal: number;
  /** `!error` replies (refused or over-budget fills); beyond them refusals are silent. */
  errorsPerNick: number;
  errorsGlobal: number;
}
export const DEFAULT_MAKER_LIMITS: MakerLimits = {
  orderbookPerNick: 6, orderbookGlobal: 600, orderbookReserve: 100, publicReplyMsPerOffer: 3_000,
  fillsPerNick: 3, fillsGlobal: 6_000, fillsReserve: 600, maxSessions: 200, maxWaitingSessions: 6_000,
  hp2PerMessage: 1, hp2PerNick: 10, hp2Global: 300, relayPerNick: 2, relayGlobal: 30,
  errorsPerNick: 6, errorsGlobal: 300,
};

/** Counters of what the limits refused (for logs, tests and the attack benchmark). */
export interface MakerFloodStats {
  /** `!orderbook`s not answered: the nick was over its own allowance. */
  orderbookLimited: number;
  /** `!orderbook`s past the private budget, served by a public announcement. */
  orderbookPublic: number;
  /** Public announcements made for them. */
  publicReplies: number;
  fillsRefused: number;
  fillsLimited: number;
  sessionsEvicted: number;
  hp2Dropped: number;
  /** `!hp2` commitments past the list's budget, remembered in memory only. */
  hp2Transient: number;
}

export interface MakerOptions {
  channels: MakerChannel[];
  wallet: MakerWallet;
  chain: MakerChain;
  commitments: CommitmentBlacklist;
  network: Network;
  yieldConfig: YieldConfig;
  algorithm?: YieldAlgorithm;
  policy?: OrderPolicy;
  bond?: MakerBond | null;
  /** Re-reads the wallet's UTXOs from the chain (after a coinjoin was seen). */
  refreshWallet?: () => Promise<void>;
  timeouts?: Partial<MakerTimeouts>;
  limits?: Partial<MakerLimits>;
  clock?: Clock;
  logger?: Logger;
  rng?: () => number;
  randomBytes?: (n: number) => Uint8Array;
}

export interface CoinjoinEvent extends SignedCoinjoin {
  status: TxStatus;
}

export interface MakerEvents {
  offers: { offers: readonly Offer[] };
  session: { taker: string; state: 'started' | 'ioauth' | 'closed'; reason?: string };
  signed: SignedCoinjoin;
  /** A signed tx was first seen in the mempool, or confirmed. */
  coinjoin: CoinjoinEvent;
  /** A signed tx that never appeared; its coins are free again. */
  abandoned: SignedCoinjoin;
  /** A commitment learnt from public `!hp2` gossip. */
  commitment: { hex: string; from: string };
}

interface Watch {
  cj: SignedCoinjoin;
  seen: boolean;
  since: number;
  timer: Timer | null;
}

export class Maker extends TypedEmitter<MakerEvents> {
  readonly offers: OfferManager;
  private readonly sessions = new Map<string, MakerSession>();
  private readonly watches = new Map<string, Watch>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly timeouts: MakerTimeouts;
  private readonly limits: MakerLimits;
  private readonly orderbookLimiter: FairLimiter;
  private readonly fillLimiter: FairLimiter;
  private readonly hp2Limiter: FairLimiter;
  private readonly relayLimiter: FairLimiter;
  private readonly errorLimiter: FairLimiter;
  /** Nicks that passed `!auth` (proved a coin) with us: they may use the fill reserve. */
  private readonly provenTakers = new AgeMap<string, true>();
  /** Sessions still waiting for `!auth`, oldest first. */
  private readonly waiting = new AgeMap<MakerSession, true>();
  private readonly publicReplies: PublicReplies;
  private readonly throttled: LogThrottle;
  private readonly counts = { orderbookLimited: 0, orderbookPublic: 0, fillsRefused: 0, fillsLimited: 0, sessionsEvicted: 0, hp2Dropped: 0, hp2Transient: 0 };
  private readonly randomBytes: (n: number) => Uint8Array;
  /** Session keypairs: the platform's X25519, or derived from injected randomBytes (tests). */
  private readonly naclKeyPair: () => NaclKeyPair;
  private readonly offs: Array<() => void> = [];
  private running = false;

  constructor(private readonly o: MakerOptions) {
    const log = o.logger ?? silentLogger();
    super((err, ev) => log.error({ err, event: ev }, 'maker listener threw'));
    if (o.channels.length === 0) throw new Error('Maker needs at least one channel');
    this.log = log;
    this.clock = o.clock ?? systemClock;
    this.timeouts = { ...DEFAULT_MAKER_TIMEOUTS, ...o.timeouts };
    this.limits = { ...DEFAULT_MAKER_LIMITS, ...o.limits };
    const l = this.limits;
    const budget = (perKey: number, global: number, reserve = 0): FairLimiter => new FairLimiter(this.clock, { perKey, global, reserve, windowMs: 60_000 });
    this.orderbookLimiter = budget(l.orderbookPerNick, l.orderbookGlobal, l.orderbookReserve);
    this.fillLimiter = budget(l.fillsPerNick, l.fillsGlobal, l.fillsReserve);
    this.hp2Limiter = budget(l.hp2PerNick, l.hp2Global);
    this.relayLimiter = budget(l.relayPerNick, l.relayGlobal);
    this.errorLimiter = budget(l.errorsPerNick, l.errorsGlobal);
    this.throttled = new LogThrottle(log, undefined, this.clock);
    this.randomBytes = o.randomBytes ?? ((n) => new Uint8Array(nodeRandomBytes(n)));
    this.naclKeyPair = o.randomBytes ? () => naclKeyPairFromSecret(this.randomBytes(32)) : randomNaclKeyPair;
    this.offers = new OfferManager(o.yieldConfig, o.algorithm ?? 'privacy', o.rng ?? Math.random);
    this.publicReplies = new PublicReplies(this.clock, () => l.publicReplyMsPerOffer * Math.max(1, this.offers.current.length), () => this.offers.publicBodies());
  }

  get nick(): string {
    return this.o.channels[0]!.nick;
  }

  activeSessions(): number {
    return this.sessions.size;
  }

  get floodStats(): MakerFloodStats {
    return { ...this.counts, publicReplies: this.publicReplies.sent };
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.recomputeOffers();
    for (const ch of this.o.channels) {
      ch.setSessionView?.((nick) => this.sessionStage(nick));
      this.offs.push(
        ch.onMessage((m) => this.onMessage(m)),
        ch.onRouteUp((announce) => {
          for (const body of this.offers.publicBodies()) announce(body);
        }),
      );
      await ch.start();
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const off of this.offs.splice(0)) off();
    this.publicReplies.stop();
    for (const s of [...this.sessions.values()]) s.close('maker stopping');
    this.sessions.clear();
    for (const w of this.watches.values()) if (w.timer !== null) this.clock.clearTimeout(w.timer);
    this.watches.clear();
    for (const ch of this.o.channels) await ch.stop();
    this.throttled.close();
  }

  /** Where `nick`'s session stands (direct connections rank their slots by it). */
  sessionStage(nick: string): SessionStage {
    const s = this.sessions.get(nick);
    if (!s || s.state === 'closed') return { stage: 'none' };
    return { stage: s.state === 'await-tx' || s.state === 'signed' ? 'proven' : 'waiting', since: s.startedAt };
  }

  /** Recomputes offers from the wallet and announces what changed on every channel. */
  recomputeOffers(): void {
    const policy = this.o.policy ?? DEFAULT_ORDER_POLICY;
    const change = this.offers.update(spendableBalances(this.o.wallet, policy.minConfs));
    if (change.error) this.log.warn({ reason: change.error }, 'no offers: yield generator refused');
    if (this.running) {
      for (const oid of change.cancelled) this.announce(`!cancel ${oid}`);
      for (const body of this.offers.publicBodies(change.announced)) this.announce(body);
    }
    this.log.info({ offers: this.offers.publicBodies() }, 'offers');
    this.emit('offers', { offers: this.offers.current });
  }

  private announce(body: string): void {
    for (const ch of this.o.channels) ch.announce(body);
  }

  private onMessage(m: InboundMessage): void {
    if (!this.running) return;
    try {
      let hp2 = 0;
      for (const c of m.commands) {
        // a pubmsg may carry hundreds of `!hp2`; honest gossip carries one
        if (m.kind === 'pub' && c.name === 'hp2' && ++hp2 > this.limits.hp2PerMessage) {
          this.counts.hp2Dropped++;
          continue;
        }
        this.onCommand(m, c);
      }
    } catch (e) {
      // never let one peer's message take the bot down
      this.log.error({ from: m.from, err: (e as Error).message }, 'error handling message');
    }
  }

  private onCommand(m: InboundMessage, c: Command): void {
    if (m.kind === 'pub') {
      if (c.name === 'orderbook') this.replyOffers(m).catch((e: unknown) => this.log.error({ from: m.from, err: (e as Error).message }, 'error answering !orderbook'));
      else if (c.name === 'hp2' && /^[0-9a-fA-F]{64}$/.test(c.args[0] ?? '')) this.noteCommitment(c.args[0]!.toLowerCase(), m.from);
      return;
    }
    if (!isCoinjoinCommand(c.name)) return;
    const parsed = parseCoinjoinCommand(c.name, c.rest);
    if (!parsed.ok) {
      this.throttled.note('info', 'malformed-command', { from: m.from, reason: parsed.reason }, 'ignoring malformed command');
      return;
    }
    const msg = parsed.value;
    switch (msg.cmd) {
      case 'fill':
        return this.onFill(m, msg);
      case 'auth':
      case 'tx': {
        const s = this.sessions.get(m.from);
        // a throw inside the session is a bug of ours: close it (its coins unlocked) rather than leave it waiting
        s?.handle(msg.cmd, msg.ciphertext).catch((e: unknown) => {
          this.log.error({ taker: m.from, err: (e as Error).message }, 'error in a coinjoin session');
          s.close(`internal error: ${(e as Error).message}`);
        });
        return;
      }
      case 'push':
        return void this.onPush(m.from, msg.tx);
      case 'hp2':
        // REF relay request: re-broadcast publicly (rate-limited)
        if (this.relayLimiter.take(m.from) === 'ok') this.announce(`!hp2 ${msg.commitmentHex}`);
        return;
      case 'error':
        this.throttled.note('info', 'peer-error', { from: m.from, text: msg.text.slice(0, 200) }, 'peer reported an error');
        return;
      default:
        return;
    }
  }

  /** Gossip within the list's budget is kept for good; past it (a crowd of fresh nicks) in memory only. */
  private noteCommitment(hex: string, from: string): void {
    if (this.o.commitments.isUsed(hex)) return;
    const v = this.hp2Limiter.take(from);
    if (v === 'global' && this.hp2Limiter.takeKeyOnly(from)) {
      this.counts.hp2Transient++;
      this.o.commitments.learnTransient(hex);
      return;
    }
    if (v !== 'ok') {
      this.counts.hp2Dropped++;
      this.throttled.note('info', 'hp2-limited', { from, over: 'key' }, '!hp2 gossip over its per-nick budget; dropped');
      return;
    }
    if (this.o.commitments.learn(hex)) this.emit('commitment', { hex, from });
  }

  private async replyOffers(m: InboundMessage): Promise<void> {
    if (this.offers.current.length === 0) return;
    // the directory's own probe, and direct connections (bounded by their slots), may use the reserve
    const v = this.orderbookLimiter.take(m.from, m.fromDirectory || m.announce === undefined);
    if (v === 'global' && m.announce) {
      this.counts.orderbookPublic++;
      this.publicReplies.request(m.route, m.announce);
      return;
    }
    if (v !== 'ok') {
      this.counts.orderbookLimited++;
      this.throttled.note('debug', 'orderbook-limited', { from: m.from, over: v }, '!orderbook over its budget; not answered');
      return;
    }
    let proof: string | null = null;
    if (this.o.bond && !m.fromDirectory) {
      try {
        proof = await this.o.bond.proofFor(m.from, this.nick);
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'could not build the bond proof; replying without it');
      }
    }
    const r = this.offers.privateReply(proof);
    if (r && this.running) m.reply(r.cmd, r.args);
  }

  private onFill(m: InboundMessage, fill: Parameters<typeof checkFill>[0]): void {
    const taker = m.from;
    const existing = this.sessions.get(taker);
    if (existing?.state === 'signed') return; // that round is done; a new !fill waits for its close
    // validate first: a refused fill costs no session budget, only a (limited) !error
    const accepted = checkFill(fill, this.offers.current, (c) => this.o.commitments.isBlocked(c));
    if (!accepted.ok) {
      this.counts.fillsRefused++;
      this.throttled.note('info', 'fill-refused', { taker, reason: accepted.reason }, 'refused !fill');
      if (accepted.reply) this.replyError(m, accepted.reply);
      return;
    }
    const v = this.fillLimiter.take(taker, this.provenTakers.has(taker));
    if (v !== 'ok') return this.overBudget(m, v);
    existing?.close('replaced by a new !fill');
    if (this.sessions.size - this.waiting.size >= this.limits.maxSessions) return this.overBudget(m, 'sessions');
    if (this.waiting.size >= this.limits.maxWaitingSessions) this.evictWaitingSession();
    this.o.commitments.reserve(accepted.value.commitmentHex);
    this.startSession(taker, accepted.value, m.reply);
  }

  /**
   * A session for an accepted fill. Its closures hold only the nick, the reply function and the
   * session (not the inbound message and its parsed text): thousands may wait for `!auth`.
   */
  private startSession(taker: string, fill: AcceptedFill, reply: InboundMessage['reply']): void {
    const session: MakerSession = new MakerSession({
      takerNick: taker,
      fill,
      send: reply,
      wallet: this.o.wallet,
      chain: this.o.chain,
      commitments: this.o.commitments,
      network: this.o.network,
      clock: this.clock,
      log: this.log,
      randomBytes: this.randomBytes,
      keyPair: this.naclKeyPair(),
      timeouts: this.timeouts,
      policy: this.o.policy,
      onIoauth: (c) => {
        this.waiting.delete(session);
        this.provenTakers.set(taker, true);
        if (this.provenTakers.size > 10_000) this.provenTakers.shift();
        this.emit('session', { taker, state: 'ioauth' });
        this.o.channels[0]!.announceAnonymously(`!hp2 ${c}`).catch((e: unknown) => this.log.warn({ err: (e as Error).message }, 'commitment gossip failed'));
      },
      onSigned: (cj) => this.onSigned(cj),
      onClosed: (reason) => {
        this.waiting.delete(session);
        if (this.sessions.get(taker) === session) this.sessions.delete(taker);
        this.emit('session', { taker, state: 'closed', reason });
      },
    });
    this.sessions.set(taker, session);
    this.waiting.set(session, true);
    this.emit('session', { taker, state: 'started' });
    session.start();
  }

  /** Tells a taker its valid fill was not taken, so it can pick another maker at once. */
  private overBudget(m: InboundMessage, over: Verdict | 'sessions'): void {
    this.counts.fillsLimited++;
    this.throttled.note('info', 'fill-limited', { taker: m.from, over }, '!fill over its budget; refused');
    // never the word "blacklist": NG takers would then burn a commitment index
    this.replyError(m, over === 'key' ? 'too many !fill requests from you; try again later' : 'maker busy: too many !fill requests; try again later');
  }

  private replyError(m: InboundMessage, text: string): void {
    if (this.errorLimiter.take(m.from) === 'ok') m.reply('error', text);
  }

  /** Closes the oldest session still waiting for `!auth`. */
  private evictWaitingSession(): void {
    const oldest = this.waiting.oldest()?.[0];
    if (oldest === undefined) return;
    this.counts.sessionsEvicted++;
    oldest.close('dropped for a newer !fill: too many sessions waiting for !auth');
  }

  private onSigned(cj: SignedCoinjoin): void {
    this.log.info({ taker: cj.takerNick, txid: cj.txid, amount: cj.amount, earned: String(cj.earned) }, 'signed coinjoin');
    this.sessions.get(cj.takerNick)?.close('signed');
    this.emit('signed', cj);
    const w: Watch = { cj, seen: false, since: this.clock.now(), timer: null };
    this.watches.set(cj.txid, w);
    this.scheduleWatch(w);
  }

  private scheduleWatch(w: Watch): void {
    w.timer = this.clock.setTimeout(() => {
      w.timer = null;
      this.pollWatch(w).catch((e: unknown) => {
        this.log.error({ txid: w.cj.txid, err: (e as Error).message }, 'error watching a signed coinjoin');
        if (this.running && this.watches.get(w.cj.txid) === w) this.scheduleWatch(w);
      });
    }, this.timeouts.watchIntervalMs);
  }

  private async pollWatch(w: Watch): Promise<void> {
    if (!this.running || this.watches.get(w.cj.txid) !== w) return;
    let status: TxStatus = 'unseen';
    try {
      status = w.cj.cjVout >= 0 ? await this.o.chain.txStatus(w.cj.txid, w.cj.cjVout) : 'unseen';
    } catch (e) {
      this.log.warn({ txid: w.cj.txid, err: (e as Error).message }, 'tx watch lookup failed');
    }
    if (!this.running) return;
    if (status === 'unseen' && !w.seen && this.clock.now() - w.since > this.timeouts.unseenTimeoutMs) {
      this.watches.delete(w.cj.txid);
      this.o.wallet.unlock(w.cj.coins);
      this.log.warn({ txid: w.cj.txid }, 'signed coinjoin never appeared; coins unlocked');
      this.emit('abandoned', w.cj);
      return;
    }
    if ((status === 'mempool' && !w.seen) || status === 'confirmed') {
      w.seen = true;
      this.o.wallet.unlock(w.cj.coins);
      await this.walletChanged();
      this.emit('coinjoin', { ...w.cj, status });
      if (status === 'confirmed') {
        this.watches.delete(w.cj.txid);
        return;
      }
    }
    this.scheduleWatch(w);
  }

  private async walletChanged(): Promise<void> {
    try {
      await this.o.refreshWallet?.();
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'wallet refresh failed');
    }
    if (this.running) this.recomputeOffers();
  }

  private async onPush(taker: string, raw: Uint8Array): Promise<void> {
    // NG rule: only a transaction we signed for this taker
    let txid: string;
    try {
      txid = Transaction.fromBuffer(raw).getId();
    } catch {
      return;
    }
    const w = this.watches.get(txid);
    if (!w || w.cj.takerNick !== taker) {
      this.throttled.note('info', 'push-refused', { taker, txid }, 'ignoring !push of a transaction we did not sign for this taker');
      return;
    }
    try {
      await this.o.chain.broadcast(Buffer.from(raw).toString('hex'));
      this.log.info({ txid }, 'broadcast pushed transaction');
    } catch (e) {
      this.log.info({ txid, err: (e as Error).message }, 'pushed transaction rejected');
    }
  }
}
