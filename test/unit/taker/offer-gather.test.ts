// The taker's wait for offers ends on book events (enough eligible makers, then a quiet moment)
// or at the deadline, never on a fixed sleep; bonds are counted once.
import { describe, expect, it } from 'vitest';
import { gatherOffers, type OfferQuery, type TakerBook } from '../../../src/taker/offer-gather.js';
import { parseOffer, type Offer } from '../../../src/protocol/offers.js';
import { ManualClock } from '../../../src/util/clock.js';

const offer = (text: string): Offer => {
  const r = parseOffer(text.split(' ')[0]!, text.split(' ').slice(1));
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};
const FAIR = offer('sw0reloffer 0 100000 90000000 0 0.0002');
const GREEDY = offer('sw0absoffer 0 100000 90000000 0 5000000');
const BOND = 'bb'.repeat(32);

class FakeBook implements TakerBook {
  readonly rows: Array<{ nick: string; offers: Map<number, { offer: Offer }>; bond: { proofBase64: string } | null }> = [];
  private readonly handlers = new Set<() => void>();
  readonly book = { list: () => this.rows };
  readonly bonds = {
    verify: async (nick: string) => ({ status: 'verified' as const, value: nick === 'J5c' ? 2e9 : 1e9, txid: BOND, vout: 0, certExpiry: 10 }),
  };
  on(_e: 'changed', h: () => void): () => void {
    this.handlers.add(h);
    return () => this.handlers.delete(h);
  }
  add(nick: string, o: Offer, bonded = false): void {
    this.rows.push({ nick, offers: new Map([[0, { offer: o }]]), bond: bonded ? { proofBase64: `proof-${nick}` } : null });
    for (const h of this.handlers) h();
  }
  get listeners(): number {
    return this.handlers.size;
  }
}

const query = (need: number): OfferQuery => ({ amount: 1_000_000, need, eligible: (e) => e.offer.kind === 'rel' });

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('gatherOffers', () => {
  it('goes once enough eligible makers answered and the book was quiet, not before', async () => {
    const clock = new ManualClock();
    const b = new FakeBook();
    let done = false;
    const p = gatherOffers(b, query(2), { waitMs: 60_000, quietMs: 2_000, clock }).then((r) => ((done = true), r));
    b.add('J5a', FAIR);
    b.add('J5g', GREEDY); // not eligible: does not count
    clock.advance(10_000);
    await settle();
    expect(done).toBe(false);
    b.add('J5b', FAIR);
    clock.advance(1_500);
    b.add('J5z', FAIR); // a straggler restarts the quiet period
    clock.advance(1_500);
    await settle();
    expect(done).toBe(false);
    clock.advance(500);
    const r = await p;
    expect(r.map((e) => e.counterparty)).toEqual(['J5a', 'J5g', 'J5b', 'J5z']);
    expect(b.listeners).toBe(0);
  });

  it('gives up at the deadline with what it has', async () => {
    const clock = new ManualClock();
    const b = new FakeBook();
    const p = gatherOffers(b, query(3), { waitMs: 60_000, quietMs: 2_000, clock });
    b.add('J5a', FAIR);
    clock.advance(60_000);
    expect((await p).map((e) => e.counterparty)).toEqual(['J5a']);
    expect(b.listeners).toBe(0);
  });

  it('returns at once (after the quiet period) when the book already has enough', async () => {
    const clock = new ManualClock();
    const b = new FakeBook();
    b.add('J5a', FAIR);
    b.add('J5b', FAIR);
    const p = gatherOffers(b, query(2), { waitMs: 60_000, quietMs: 2_000, clock });
    clock.advance(2_000);
    expect(await p).toHaveLength(2);
  });

  it('a bond proved by two nicks counts for one; both carry the bond as their party', async () => {
    const clock = new ManualClock();
    const b = new FakeBook();
    b.add('J5c', FAIR, true);
    b.add('J5d', FAIR, true);
    b.add('J5e', FAIR);
    const p = gatherOffers(b, query(1), { waitMs: 1_000, quietMs: 10, clock });
    clock.advance(10);
    const r = await p;
    expect(r.map((e) => [e.counterparty, e.bondValue, e.bondKey])).toEqual([
      ['J5c', 2e9, `${BOND}:0`], ['J5d', 0, `${BOND}:0`], ['J5e', 0, null],
    ]);
  });
});
