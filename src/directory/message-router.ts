/**
 * Routing of handshaked peers' messages (wire-protocol.md §4.6): pubmsg fan-out, privmsg relay
 * to the one target, GETPEERLIST, PING/PONG. A relayed line is the reference encoding of the
 * received one (the received bytes themselves when they are already in that form), and is
 * dropped when that encoding would be longer than the line received or than 39,998 bytes.
 */
import type { Logger } from 'pino';
import { encodeEnvelopeBuffer, relayEncoding, type WireLine } from '../protocol/framing.js';
import { PUBLIC, splitRouted } from '../protocol/jm-message.js';
import { MsgType } from '../protocol/message-types.js';
import { chunkPeerlist, encodePeerEntry } from '../protocol/peerlist.js';
import { NOT_SERVING_ONION } from '../protocol/onion.js';
import { LocationProof, type PeerConnection } from './peer-connection.js';
import { ADMITTED, BUDGET_DROPS, type BroadcastBudget } from './broadcast-budget.js';
import { INBOX_OK, PRIVMSG_DROPS, type InboxBudget } from './inbox-budget.js';
import type { PeerRegistry } from './peer-registry.js';
import { RATE_KIND_NAMES, RateKind, type RateKindCode, type RateLimiter, type RateVerdict } from './rate-limiter.js';
import type { DirectoryStats } from './stats.js';
import { clip } from './log-util.js';

export const OFFER_COMMANDS: ReadonlySet<string> = new Set(['sw0reloffer', 'sw0absoffer', 'swreloffer', 'swabsoffer', 'reloffer', 'absoffer']);

export interface RouterContext {
  registry: PeerRegistry;
  limiter: RateLimiter;
  /** DN-wide allowance for relayed pubmsgs, shared fairly among senders. */
  budget: BroadcastBudget;
  /** Per-target allowance for relayed privmsgs, shared fairly among senders. */
  inbox: InboxBudget;
  /** The target's queue has room for a relayed privmsg (not over the soft mark). */
  hasRoom(conn: PeerConnection): boolean;
  stats: DirectoryStats;
  logger: Logger;
  send(conn: PeerConnection, buf: Buffer): void;
  /** Queues a buffer for every registered peer except `from`. */
  broadcast(buf: Buffer, from: PeerConnection | null): void;
  close(conn: PeerConnection, reason: string, kind: string): void;
  /** The directory's nick: privmsgs to it are consumed (probe answers). */
  nick(): string;
  /** "<dn-nick>;<dn-location>", with `;F:` when asked for. */
  selfEntry(withFeatures: boolean): string;
}

const PONG = encodeEnvelopeBuffer(MsgType.PONG, '');
const BUDGET_LOG_MS = 60_000;

/** A serialised GETPEERLIST reply and what it was built from. */
interface PeerlistReply {
  key: string;
  buf: Buffer;
  chunks: number;
}

/** Command names of a body "cmd a b!cmd2 c" (the pubmsg body after "PUBLIC!"). */
export function commandNames(body: string): string[] {
  const names: string[] = [];
  for (const chunk of body.split('!')) {
    if (chunk === '') continue;
    const sp = chunk.indexOf(' ');
    names.push(sp === -1 ? chunk : chunk.slice(0, sp));
  }
  return names;
}

export class MessageRouter {
  /** Cached replies without and with `;F:`. */
  private readonly replies: [PeerlistReply | null, PeerlistReply | null] = [null, null];
  private budgetLoggedAt = -Infinity;
  private privDropLoggedAt = -Infinity;

  constructor(private readonly ctx: RouterContext) {}

  handle(conn: PeerConnection, w: WireLine, now: number): void {
    const env = w.env;
    switch (env.type) {
      case MsgType.PUBMSG:
        return this.pubmsg(conn, w, now);
      case MsgType.PRIVMSG:
        return this.privmsg(conn, w, now);
      case MsgType.GETPEERLIST:
        return this.getPeerlist(conn, now);
      case MsgType.PING:
        if (this.limit(conn, RateKind.Privmsg, now) !== 'ok') return;
        this.ctx.stats.routed.pong++;
        return this.ctx.send(conn, PONG);
      case MsgType.PONG:
        return; // liveness was recorded on receipt
      default:
        // Unknown or misplaced types are ignored (spec §1.5).
        this.ctx.logger.debug({ conn: conn.id, type: env.type }, 'ignored message type');
    }
  }

  /** Applies a bucket; on abuse disconnects. Returns the verdict. */
  private limit(conn: PeerConnection, kind: RateKindCode, now: number): RateVerdict {
    const v = this.ctx.limiter.take(conn, kind, now);
    if (v === 'ok') return v;
    const name = RATE_KIND_NAMES[kind];
    if (v === 'abuse') {
      this.ctx.stats.rateLimitDisconnects[name]++;
      this.ctx.close(conn, `rate limit exceeded: ${name}`, 'rate-limit');
    } else {
      this.ctx.stats.rateLimitDrops[name]++;
      this.ctx.logger.debug({ conn: conn.id, nick: conn.nick, kind: name }, 'rate limited, message dropped');
    }
    return v;
  }

  private drop(conn: PeerConnection, why: string, line: string): void {
    this.ctx.stats.dropped++;
    this.ctx.logger.debug({ conn: conn.id, nick: conn.nick, why, line: clip(line) }, 'message dropped');
  }

  /** Sender binding (§4.4): a from-nick other than the handshake nick is never accidental. */
  private spoofed(conn: PeerConnection, from: string): boolean {
    if (from === conn.nick) return false;
    this.ctx.close(conn, `spoofed from-nick ${clip(from, 64)}`, 'spoofed-nick');
    return true;
  }

  /** The bytes to relay, or null (counted) when the line cannot be relayed without growing. */
  private relayBytes(conn: PeerConnection, w: WireLine): Buffer | null {
    const r = relayEncoding(w);
    if (r.ok) return r.bytes;
    this.ctx.stats.relayRefused[r.reason]++;
    this.ctx.logger.debug({ conn: conn.id, nick: conn.nick, why: r.reason, bytes: w.size }, 'line not relayed');
    return null;
  }

  private pubmsg(conn: PeerConnection, w: WireLine, now: number): void {
    const line = w.env.line;
    const r = splitRouted(line);
    if (!r || r.to !== PUBLIC) return this.drop(conn, 'pubmsg is not from!PUBLIC!body', line);
    if (this.spoofed(conn, r.from)) return;
    const names = commandNames(r.body);
    let verdict = this.limit(conn, RateKind.Pubmsg, now);
    if (verdict === 'abuse') return;
    const orderbook = names.includes('orderbook');
    if (orderbook) {
      const v = this.limit(conn, RateKind.Orderbook, now);
      if (v === 'abuse') return;
      if (v === 'drop') verdict = v;
    }
    if (verdict !== 'ok') return;
    const out = this.relayBytes(conn, w);
    if (out === null) return;
    if (this.ctx.limiter.charge(conn, RateKind.PubmsgBytes, out.length, now) !== 'ok') {
      this.ctx.stats.rateLimitDrops.pubmsg_bytes++;
      this.ctx.logger.debug({ conn: conn.id, nick: conn.nick, bytes: out.length }, 'pubmsg over the byte allowance, dropped');
      return;
    }
    const b = this.ctx.budget.admit(conn, out.length, orderbook, conn.locationProof === LocationProof.Proven, now);
    if (b !== ADMITTED) return this.budgetDrop(b, now);
    if (!conn.announcedOffer && names.some((n) => OFFER_COMMANDS.has(n))) this.ctx.registry.markOfferer(conn);
    this.ctx.stats.routed.pubmsg++;
    conn.known = true;
    this.ctx.broadcast(out, conn);
  }

  /** Counts a pubmsg the DN-wide budget refused; at most one log line a minute (no allocation per drop). */
  private budgetDrop(code: number, now: number): void {
    this.ctx.stats.budgetDrops[BUDGET_DROPS[code - 1]!]++;
    if (now - this.budgetLoggedAt < BUDGET_LOG_MS) return;
    this.budgetLoggedAt = now;
    this.ctx.logger.warn({ dropped: { ...this.ctx.stats.budgetDrops } }, 'broadcast budget: shedding the heaviest senders (totals so far)');
  }

  private privmsg(conn: PeerConnection, w: WireLine, now: number): void {
    const line = w.env.line;
    const r = splitRouted(line);
    if (!r) return this.drop(conn, 'privmsg is not from!to!body', line);
    if (this.spoofed(conn, r.from)) return;
    if (this.limit(conn, RateKind.Privmsg, now) !== 'ok') return;
    if (r.to === this.ctx.nick()) return; // e.g. a maker answering our !orderbook probe
    const target = this.ctx.registry.byNick(r.to);
    if (!target) return this.drop(conn, 'privmsg target not connected', line);
    const out = this.relayBytes(conn, w);
    if (out === null) return;
    if (this.ctx.limiter.charge(conn, RateKind.PrivmsgBytes, out.length, now) !== 'ok') {
      this.ctx.stats.rateLimitDrops.privmsg_bytes++;
      this.ctx.logger.debug({ conn: conn.id, nick: conn.nick, bytes: out.length }, 'privmsg over the byte allowance, dropped');
      return;
    }
    // The target's sake: a full queue or inbox drops the privmsg (the target is not cut for it).
    if (!this.ctx.hasRoom(target)) return this.privDrop(0, now);
    const v = this.ctx.inbox.admit(conn, target, out.length, now);
    if (v !== INBOX_OK) return this.privDrop(v, now);
    this.ctx.stats.routed.privmsg++;
    conn.known = true;
    this.ctx.send(target, out);
    // Tell the recipient where the sender can be reached directly (reference order: DN first).
    const withF = target.wantsPeerlistFeatures;
    let pl = this.ctx.selfEntry(withF);
    if (conn.listedLocation !== NOT_SERVING_ONION) pl += ',' + encodePeerEntry({ nick: conn.nick, location: conn.listedLocation, features: conn.features }, withF);
    this.ctx.stats.routed.peerlist++;
    this.ctx.send(target, encodeEnvelopeBuffer(MsgType.PEERLIST, pl));
  }

  /** Counts a privmsg dropped for its target's sake; at most one log line a minute. */
  private privDrop(reason: number, now: number): void {
    this.ctx.stats.privmsgDrops[PRIVMSG_DROPS[reason]!]++;
    if (now - this.privDropLoggedAt < BUDGET_LOG_MS) return;
    this.privDropLoggedAt = now;
    this.ctx.logger.warn({ dropped: { ...this.ctx.stats.privmsgDrops } }, 'privmsgs dropped: targets lagging or over their inbox budget (totals so far)');
  }

  /**
   * The reply costs O(1): it is built once per change of the listed peers and the same Buffer
   * goes to every requester. Its bytes are charged to the requester's byte bucket, so asking
   * cannot make the DN send more than that allowance (plus one reply) per minute; a requester
   * whose bucket is in debt is turned away before the reply is looked at or rebuilt.
   */
  private getPeerlist(conn: PeerConnection, now: number): void {
    if (this.limit(conn, RateKind.Getpeerlist, now) !== 'ok') return;
    if (!this.ctx.limiter.canCharge(conn, RateKind.PeerlistBytes, now)) {
      this.ctx.stats.rateLimitDrops.peerlist_bytes++;
      this.ctx.logger.debug({ conn: conn.id, nick: conn.nick }, 'GETPEERLIST over the byte allowance, dropped');
      return;
    }
    const reply = this.peerlistReply(conn.wantsPeerlistFeatures);
    this.ctx.limiter.charge(conn, RateKind.PeerlistBytes, reply.buf.length, now);
    this.ctx.stats.routed.peerlist += reply.chunks;
    this.ctx.send(conn, reply.buf);
  }

  /**
   * DN entry first, then serving peers and any peer that announced an offer (spec §3.4); a
   * location not yet proven is listed as NOT-SERVING-ONION.
   */
  private peerlistReply(withF: boolean): PeerlistReply {
    const self = this.ctx.selfEntry(withF);
    const key = `${this.ctx.registry.version}/${self}`;
    const cached = this.replies[withF ? 1 : 0];
    if (cached && cached.key === key) return cached;
    const entries = [self];
    for (const p of this.ctx.registry.peers) {
      if (!(p.serving || p.announcedOffer)) continue;
      p.known = true;
      entries.push(encodePeerEntry({ nick: p.nick, location: p.listedLocation, features: p.features }, withF));
    }
    const chunks = chunkPeerlist(entries, 20);
    const reply = { key, buf: Buffer.concat(chunks.map((c) => encodeEnvelopeBuffer(MsgType.PEERLIST, c))), chunks: chunks.length };
    this.replies[withF ? 1 : 0] = reply;
    return reply;
  }
}
