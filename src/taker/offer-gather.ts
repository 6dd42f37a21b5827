/**
 * Collects offers from the watcher's orderbook (coinjoin-protocol.md §9 "Collect offers"). The
 * wait is driven by book events: it ends once `need` makers have an eligible offer and the book
 * has then been quiet for `quietMs` (stragglers and spares get in), or when `waitMs` runs out;
 * a slow machine therefore waits longer instead of going with too few. Bonds are then verified
 * on chain and each bond UTXO counts once (protocol/coinjoin/bond-weights.ts).
 *
 * The book is typed structurally (what OrderbookWatcher offers), so the taker imports nothing
 * from the orderbook package.
 */
import { bondWeights } from '../protocol/coinjoin/bond-weights.js';
import type { OrderbookEntry } from '../protocol/coinjoin/taker-choice.js';
import type { Offer } from '../protocol/offers.js';
import type { Clock, Timer } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';

/** The parts of OrderbookWatcher the taker reads. */
export interface TakerBook {
  readonly book: {
    list(): ReadonlyArray<{ nick: string; offers: ReadonlyMap<number, { offer: Offer }>; bond: { proofBase64: string } | null }>;
  };
  readonly bonds: {
    verify(nick: string, proofBase64: string): Promise<{
      status: 'verified' | 'unverified' | 'invalid'; value: number | null; txid: string | null; vout: number | null; certExpiry: number | null;
    }>;
  };
  on(event: 'changed', h: () => void): () => void;
}

/** What one attempt asks for: `need` makers with an offer `eligible` says yes to. */
export interface OfferQuery {
  amount: number;
  need: number;
  eligible(e: { counterparty: string; offer: Offer }): boolean;
}

export interface GatherTiming {
  /** Longest wait for enough makers (REF 60 s). */
  waitMs: number;
  /** Once enough makers offer, go after this long without book changes. */
  quietMs: number;
  clock: Clock;
  logger?: Logger;
}

function eligibleMakers(b: TakerBook, q: OfferQuery): number {
  return b.book.list().filter((m) => [...m.offers.values()].some((r) => q.eligible({ counterparty: m.nick, offer: r.offer }))).length;
}

/** Resolves when enough makers offer and the book went quiet, or at the deadline. */
function waitForOffers(b: TakerBook, q: OfferQuery, t: GatherTiming): Promise<void> {
  return new Promise<void>((resolve) => {
    let quiet: Timer | null = null;
    const deadline = t.clock.setTimeout(finish, t.waitMs);
    const off = b.on('changed', check);
    function finish(): void {
      off();
      t.clock.clearTimeout(deadline);
      if (quiet !== null) t.clock.clearTimeout(quiet);
      resolve();
    }
    function check(): void {
      if (quiet !== null) t.clock.clearTimeout(quiet);
      quiet = null;
      if (eligibleMakers(b, q) >= q.need) quiet = t.clock.setTimeout(finish, t.quietMs);
    }
    check();
  });
}

export async function gatherOffers(b: TakerBook, q: OfferQuery, t: GatherTiming): Promise<OrderbookEntry[]> {
  const log = t.logger ?? silentLogger();
  await waitForOffers(b, q, t);
  const makers = b.book.list();
  const claims = await Promise.all(makers.map(async (m) => {
    if (!m.bond) return { nick: m.nick, outpoint: null, value: 0, certExpiry: 0 };
    const e = await b.bonds.verify(m.nick, m.bond.proofBase64);
    // only a chain-checked proof ties the outpoint to the signing key: others cannot claim anything
    const ok = e.status === 'verified' && e.txid !== null;
    return { nick: m.nick, outpoint: ok ? `${e.txid}:${e.vout}` : null, value: ok ? e.value ?? 0 : 0, certExpiry: e.certExpiry ?? 0 };
  }));
  const weights = bondWeights(claims);
  const entries: OrderbookEntry[] = [];
  for (const m of makers) {
    const w = weights.get(m.nick);
    if (w?.duplicateOf) log.warn({ maker: m.nick, bond: w.outpoint, countedFor: w.duplicateOf }, 'fidelity bond already counted for another maker: weighted as bondless, never in the same round');
    for (const r of m.offers.values()) entries.push({ counterparty: m.nick, offer: r.offer, bondValue: w?.weight ?? 0, bondKey: w?.outpoint ?? null });
  }
  return entries;
}
