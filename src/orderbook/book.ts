/**
 * The in-memory order book (wire-protocol.md §6.5, "Recommendation for our watcher"):
 * offers keyed by (nick, oid) across all directories, one bond proof per nick, and presence
 * per nick = the set of directories that carried it. A `;D` from the last of those removes
 * the maker; so does silence longer than `staleAfterMs`.
 */
import { parseOffer, type Offer } from '../protocol/offers.js';

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
  lastSeen: number;
  offers: Map<number, OfferRow>;
  bond: BondRow | null;
}

export type OfferUpdate = { ok: true; row: OfferRow } | { ok: false; reason: string };

export class OrderBook {
  private readonly makers = new Map<string, MakerRow>();

  constructor(private readonly staleAfterMs: number) {}

  private maker(nick: string, now: number): MakerRow {
    let m = this.makers.get(nick);
    if (!m) this.makers.set(nick, (m = { nick, dns: new Set(), everSeen: new Set(), lastSeen: now, offers: new Map(), bond: null }));
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
    if (!parsed.ok) return parsed;
    this.sighting(nick, dn, now);
    const m = this.maker(nick, now);
    const prev = m.offers.get(parsed.value.oid);
    const same = prev !== undefined && sameOffer(prev.offer, parsed.value);
    const row: OfferRow = {
      nick, offer: parsed.value, source: prev && same && prev.source === 'private' ? 'private' : source,
      firstSeen: same ? prev!.firstSeen : now, lastSeen: now, dns: same ? prev!.dns : new Set(),
    };
    row.dns.add(dn);
    m.offers.set(row.offer.oid, row);
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
    return this.makers.get(nick)?.offers.delete(oid) ?? false;
  }

  bond(nick: string, dn: string, proofBase64: string, now: number): void {
    this.sighting(nick, dn, now);
    this.maker(nick, now).bond = { nick, proofBase64, receivedAt: now, dn };
  }

  /** `;D` for `nick` from `dn`. Returns true when the maker was dropped. */
  leave(nick: string, dn: string): boolean {
    const m = this.makers.get(nick);
    if (!m) return false;
    m.dns.delete(dn);
    if (m.dns.size > 0) return false;
    this.makers.delete(nick);
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
    for (const [nick, m] of this.makers) {
      if (now - m.lastSeen > this.staleAfterMs) {
        this.makers.delete(nick);
        dropped.push(nick);
      }
    }
    return dropped;
  }

  clear(): void {
    this.makers.clear();
  }

  /** Makers with at least one offer or a bond. */
  list(): MakerRow[] {
    return [...this.makers.values()].filter((m) => m.offers.size > 0 || m.bond !== null);
  }

  get(nick: string): MakerRow | undefined {
    return this.makers.get(nick);
  }

  offerCount(): number {
    let n = 0;
    for (const m of this.makers.values()) n += m.offers.size;
    return n;
  }
}

function sameOffer(a: Offer, b: Offer): boolean {
  return a.type === b.type && a.minsize === b.minsize && a.maxsize === b.maxsize && a.txfee === b.txfee && String(a.cjfee) === String(b.cjfee);
}
