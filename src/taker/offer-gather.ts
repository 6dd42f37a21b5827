/**
 * Collects offers with the watcher's orderbook (coinjoin-protocol.md §9 "Collect offers"):
 * waits until enough makers offer the amount and the book has been quiet for a moment (or
 * the wait runs out), then verifies their bonds on chain and hands back one row per offer.
 */
import type { OrderbookWatcher } from '../orderbook/watcher.js';
import type { OrderbookEntry } from '../protocol/coinjoin/taker-choice.js';
import type { Clock, Timer } from '../util/clock.js';

export interface GatherOptions {
  amount: number;
  /** Makers needed (with spares for replacements). */
  need: number;
  /** Longest wait for offers (REF 60 s). */
  waitMs: number;
  /** Once `need` makers are in, stop after this long without book changes. */
  quietMs: number;
  clock: Clock;
}

function offering(watcher: OrderbookWatcher, amount: number): number {
  return watcher.book.list().filter((m) => [...m.offers.values()].some((r) => r.offer.minsize <= amount && amount <= r.offer.maxsize)).length;
}

export async function gatherOffers(watcher: OrderbookWatcher, o: GatherOptions): Promise<OrderbookEntry[]> {
  await new Promise<void>((resolve) => {
    let quiet: Timer | null = null;
    const deadline = o.clock.setTimeout(finish, o.waitMs);
    const off = watcher.on('changed', check);
    function finish(): void {
      off();
      o.clock.clearTimeout(deadline);
      if (quiet !== null) o.clock.clearTimeout(quiet);
      resolve();
    }
    function check(): void {
      if (offering(watcher, o.amount) < o.need) return;
      if (quiet !== null) o.clock.clearTimeout(quiet);
      quiet = o.clock.setTimeout(finish, o.quietMs);
    }
    check();
  });
  const entries: OrderbookEntry[] = [];
  for (const m of watcher.book.list()) {
    let bondValue = 0;
    if (m.bond) {
      const e = await watcher.bonds.verify(m.nick, m.bond.proofBase64);
      if (e.status === 'verified' && e.value !== null && Number.isFinite(e.value)) bondValue = e.value;
    }
    for (const r of m.offers.values()) entries.push({ counterparty: m.nick, offer: r.offer, bondValue });
  }
  return entries;
}
