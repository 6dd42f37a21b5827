/**
 * The in-memory order book (wire-protocol.md §6.5, "Recommendation for our watcher"):
 * offers keyed by (nick, oid) across all directories, one bond proof per nick, and presence
 * per nick = the set of directories that carried it. A `;D` from the last of those removes
 * the maker; so does silence longer than `staleAfterMs`.
 *
 * Public offers are unsigned and one 40 KB line carries ~880 of them, so the book is bounded
 * (docs/orderbook.md, "Limits"): offers per maker (a maker's least recently refreshed offer
 * makes room for a new oid), offers overall and nicks overall (evicting from the makers with
 * the most offers; among equals, makers without a chain-verified bond before those with one,
 * then the most recently first seen first, so that a crowd of fresh sybil nicks cannot push
 * out makers the book has known for longer). Evictions are counted.
 */
import { implausibleOffer, parseOffer, type Offer } from '../protocol/offers.js';

export type OfferSource = 'public' | 'private';

export interface OfferRow {
  nick: string;
  offer: Offer;
  source: OfferSource;
  firstSeen: number;
  lastSeen: number;
  /** Directories that delivered this offer. */
  dns: Set<string>;
}

export interface BondRow {
  nick: string;
  proofBase64: string;
  receivedAt: number;
  dn: string;
}

export interface MakerRow {
  nick: string;
  /** Directories on which the maker is currently present. */
  dns: Set<string>;
  /** Every directory the maker was ever seen on (provenance for the UI). */
  everSeen: Set<string>;
  /** When the book first heard of this nick (eviction protects the long-established). */
  firstSeen: number;
  lastSeen: number;
  offers: Map<number, OfferRow>;
  bond: BondRow | null;
  /** The bond above passed the chain check (a `!tbond` alone proves nothing: anyone can send one). */
  bondVerified: boolean;
}

export type OfferUpdate = { ok: true; row: OfferRow } | { ok: false; reason: string };

export interface BookLimits {
  /** Offers kept per nick. The reference announces 1, joinmarket-ng 1 or 2 (rel + abs). */
  maxOffersPerMaker: number;
  /** Offers kept overall. */
  maxOffers: number;
  /** Nicks kept overall (with or without offers: every nick heard from gets a presence row). */
  maxNicks: number;
}

export const DEFAULT_BOOK_LIMITS: BookLimits = { maxOffersPerMaker: 16, maxOffers: 5_000, maxNicks: 10_000 };

/** What the limits have cost so far (served in /health). */
export interface BookLimitCounters {
  /** Offers refused: unparseable, minsize > maxsize after dust, rel fee ≥ 1, abs fee > maxsize. */
  rejected: number;
  /** Offers beyond maxOffersPerMaker in one message, not parsed. */
  skipped: number;
  /** A maker's offers replaced by its newer oids beyond maxOffersPerMaker. */
  perMakerEvictions: number;
  /** Offers evicted because the book held maxOffers. */
  bookFullEvictions: number;
  /** Nicks evicted because the book held maxNicks. */
  nickEvictions: number;
}

/** Evict down to this share of a cap in one pass, so a flood pays one sort per many inserts. */
const EVICT_TO = 0.9;

export class OrderBook {
  private readonly makers = new Map<string, MakerRow>();
  private offerTotal = 0;
  readonly limits: BookLimits;
  readonly counters: BookLimitCounters = { rejected: 0, skipped: 0, perMakerEvictions: 0, bookFullEvictions: 0, nickEvictions: 0 };

  /** `onNickEvicted` lets the owner drop what it keeps per nick (bond checks). */
  constructor(
    private readonly staleAfterMs: number,
    limits: Partial<BookLimits> = {},
    private readonly onNickEvicted: (nick: string) => void = () => {},
  ) {
    this.limits = { ...DEFAULT_BOOK_LIMITS, ...limits };
  }

  private maker(nick: string, now: number): MakerRow {
    let m = this.makers.get(nick);
    if (!m) {
      this.makers.set(nick, (m = { nick, dns: new Set(), everSeen: new Set(), firstSeen: now, lastSeen: now, offers: new Map(), bond: null, bondVerified: false }));
      if (this.makers.size > this.limits.maxNicks) this.evictNicks(m);
    }
    return m;
  }

  /** Any message from `nick` on `dn` (or a peerlist saying it is there). */
  sighting(nick: string, dn: string, now: number): void {
    const m = this.maker(nick, now);
    m.dns.add(dn);
    m.everSeen.add(dn);
    m.lastSeen = Math.max(m.lastSeen, now);
  }

  /** An offer command; a newer receipt replaces the row, an invalid one is ignored. */
  offer(nick: string, dn: string, type: string, args: readonly string[], source: OfferSource, now: number): OfferUpdate {
    const parsed = parseOffer(type, args);
    const why = parsed.ok ? implausibleOffer(parsed.value) : parsed.reason;
    if (!parsed.ok || why !== null) {
      this.counters.rejected++;
      return { ok: false, reason: why! };
    }
    this.sighting(nick, dn, now);
    const m = this.maker(nick, now);
    const prev = m.offers.get(parsed.value.oid);
    const same = prev !== undefined && sameOffer(prev.offer, parsed.value);
    const row: OfferRow = {
      nick, offer: parsed.value, source: prev && same && prev.source === 'private' ? 'private' : source,
      firstSeen: same ? prev!.firstSeen : now, lastSeen: now, dns: same ? prev!.dns : new Set(),
    };
    row.dns.add(dn);
    if (prev === undefined) {
      if (m.offers.size >= this.limits.maxOffersPerMaker) {
        this.removeOffer(m, stalestOffer(m));
        this.counters.perMakerEvictions++;
      }
      this.offerTotal++;
    } else m.offers.delete(row.offer.oid); // re-insert: Map order = refresh order
    m.offers.set(row.offer.oid, row);
    if (this.offerTotal > this.limits.maxOffers) this.evictOffers(m);
    return { ok: true, row };
  }

  /** Another directory delivered an identical copy: record provenance only. */
  copy(nick: string, dn: string, oidText: string | undefined, now: number): void {
    const row = oidText !== undefined && /^[0-9]{1,15}$/.test(oidText) ? this.makers.get(nick)?.offers.get(Number(oidText)) : undefined;
    if (!row) return;
    row.dns.add(dn);
    row.lastSeen = Math.max(row.lastSeen, now);
  }

  cancel(nick: string, oid: number): boolean {
    const m = this.makers.get(nick);
    const row = m?.offers.get(oid);
    if (!m || !row) return false;
    this.removeOffer(m, row);
    return true;
  }

  bond(nick: string, dn: string, proofBase64: string, now: number): void {
    this.sighting(nick, dn, now);
    const m = this.maker(nick, now);
    if (m.bond?.proofBase64 !== proofBase64) m.bondVerified = false;
    m.bond = { nick, proofBase64, receivedAt: now, dn };
  }

  /** The chain check's verdict on `nick`'s bond proof (ignored if the proof has changed since). */
  bondChecked(nick: string, proofBase64: string, verified: boolean): void {
    const m = this.makers.get(nick);
    if (m?.bond?.proofBase64 === proofBase64) m.bondVerified = verified;
  }

  /** `;D` for `nick` from `dn`. Returns true when the maker was dropped. */
  leave(nick: string, dn: string): boolean {
    const m = this.makers.get(nick);
    if (!m) return false;
    m.dns.delete(dn);
    if (m.dns.size > 0) return false;
    this.dropMaker(m);
    return true;
  }

  /**
   * A lost directory no longer vouches for anyone, but offers stay (as in the reference):
   * reply routes differ per DN, and staleness removes them if nobody refreshes them.
   */
  directoryLost(dn: string): void {
    for (const m of this.makers.values()) m.dns.delete(dn);
  }

  /** Drops makers not heard from within the staleness window. Returns the dropped nicks. */
  prune(now: number): string[] {
    const dropped: string[] = [];
    for (const m of [...this.makers.values()]) {
      if (now - m.lastSeen > this.staleAfterMs) {
        this.dropMaker(m);
        dropped.push(m.nick);
      }
    }
    return dropped;
  }

  clear(): void {
    this.makers.clear();
    this.offerTotal = 0;
  }

  /** Makers with at least one offer or a bond. */
  list(): MakerRow[] {
    return [...this.makers.values()].filter((m) => m.offers.size > 0 || m.bond !== null);
  }

  get(nick: string): MakerRow | undefined {
    return this.makers.get(nick);
  }

  offerCount(): number {
    return this.offerTotal;
  }

  get nickCount(): number {
    return this.makers.size;
  }

  private removeOffer(m: MakerRow, row: OfferRow): void {
    if (m.offers.delete(row.offer.oid)) this.offerTotal--;
  }

  private dropMaker(m: MakerRow): void {
    if (this.makers.get(m.nick) !== m) return;
    this.makers.delete(m.nick);
    this.offerTotal -= m.offers.size;
  }

  /**
   * The book holds too many offers: level the makers holding the most down until 90 % of the
   * cap is left; at the last level in eviction order (evictionOrderAsc). Each maker loses its
   * stalest offers; `keep` (the maker just served) keeps the offer it sent.
   */
  private evictOffers(keep: MakerRow): void {
    const target = Math.floor(this.limits.maxOffers * EVICT_TO);
    const excess = this.offerTotal - target;
    const room = (m: MakerRow): number => m.offers.size - (m === keep ? 1 : 0);
    const makers = [...this.makers.values()].filter((m) => room(m) > 0);
    const removable = (level: number): number => makers.reduce((n, m) => n + Math.max(0, room(m) - level), 0);
    let level = makers.reduce((x, m) => Math.max(x, room(m)), 0);
    while (level > 0 && removable(level) < excess) level--;
    const evict = (m: MakerRow): void => {
      this.removeOffer(m, stalestOffer(m));
      this.counters.bookFullEvictions++;
    };
    for (const m of makers) while (room(m) > level + 1) evict(m);
    for (const m of makers.filter((x) => room(x) === level + 1).sort(evictionOrderAsc)) {
      if (this.offerTotal <= target) break;
      evict(m);
    }
  }

  /** Too many nicks: drop the ones without offers or verified bond first, then in eviction order. */
  private evictNicks(keep: MakerRow): void {
    const target = Math.floor(this.limits.maxNicks * EVICT_TO);
    const victims = [...this.makers.values()].filter((m) => m !== keep).sort(
      (a, b) => Number(a.offers.size > 0 || a.bondVerified) - Number(b.offers.size > 0 || b.bondVerified) || evictionOrderAsc(a, b),
    );
    for (const m of victims) {
      if (this.makers.size <= target) break;
      this.dropMaker(m);
      this.counters.nickEvictions++;
      this.onNickEvicted(m.nick);
    }
  }
}

/** The offer a maker refreshed least recently (Map order is refresh order). */
function stalestOffer(m: MakerRow): OfferRow {
  return m.offers.values().next().value!;
}

/**
 * Who goes first among equals: no chain-verified bond before a verified one, then the most
 * recently first seen (as address managers keep long-known peers; an honest maker refreshes
 * only every ~15 min, so "least recently seen" would pick it before any fresh sybil).
 */
function evictionOrderAsc(a: MakerRow, b: MakerRow): number {
  return Number(a.bondVerified) - Number(b.bondVerified) || b.firstSeen - a.firstSeen;
}

function sameOffer(a: Offer, b: Offer): boolean {
  return a.type === b.type && a.minsize === b.minsize && a.maxsize === b.maxsize && a.txfee === b.txfee && String(a.cjfee) === String(b.cjfee);
}
