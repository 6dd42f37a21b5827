import { describe, expect, it } from 'vitest';
import { OrderBook } from '../../../src/orderbook/book.js';

const NICK = 'J5D7wbEWpGZCy3Zv';
const args = (s: string) => s.split(' ');

describe('OrderBook', () => {
  it('keys offers by (nick, oid); a newer receipt replaces; invalid offers are ignored', () => {
    const b = new OrderBook(1_000);
    expect(b.offer(NICK, 'A', 'sw0reloffer', args('0 27300 5000000 0 0.00002'), 'public', 1).ok).toBe(true);
    expect(b.offer(NICK, 'B', 'sw0reloffer', args('0 27300 6000000 0 0.00003'), 'private', 2).ok).toBe(true);
    expect(b.offer(NICK, 'A', 'sw0reloffer', args('0 9 1 0 0.1'), 'public', 3)).toMatchObject({ ok: false });
    const row = b.get(NICK)!.offers.get(0)!;
    expect(row.offer.maxsize).toBe(6_000_000);
    expect([...row.dns]).toEqual(['B']);
    expect(b.offerCount()).toBe(1);
  });

  it('raises minsize below dust to 27300 as the reference does', () => {
    const b = new OrderBook(1_000);
    b.offer(NICK, 'A', 'sw0absoffer', args('1 100 5000000 0 250'), 'public', 1);
    expect(b.get(NICK)!.offers.get(1)!.offer.minsize).toBe(27_300);
  });

  it('drops a maker only when every DN it was seen on reports ;D', () => {
    const b = new OrderBook(1_000);
    b.offer(NICK, 'A', 'sw0absoffer', args('1 27300 5000000 0 250'), 'public', 1);
    b.sighting(NICK, 'B', 2);
    expect(b.leave(NICK, 'A')).toBe(false);
    expect(b.offerCount()).toBe(1);
    expect(b.leave(NICK, 'B')).toBe(true);
    expect(b.offerCount()).toBe(0);
  });

  it('cancel removes one offer; prune drops silent makers', () => {
    const b = new OrderBook(1_000);
    b.offer(NICK, 'A', 'sw0absoffer', args('1 27300 5000000 0 250'), 'public', 0);
    b.offer(NICK, 'A', 'sw0absoffer', args('2 27300 5000000 0 250'), 'public', 0);
    expect(b.cancel(NICK, 1)).toBe(true);
    expect(b.cancel(NICK, 1)).toBe(false);
    expect(b.prune(1_000)).toEqual([]);
    b.sighting('J58siV5gCJuQWAQf', 'A', 1_500);
    expect(b.prune(1_001)).toEqual([NICK]);
    expect(b.offerCount()).toBe(0);
  });

  it('losing a directory keeps offers (the reference does too)', () => {
    const b = new OrderBook(1_000);
    b.offer(NICK, 'A', 'sw0absoffer', args('1 27300 5000000 0 250'), 'public', 0);
    b.directoryLost('A');
    expect(b.offerCount()).toBe(1);
    expect(b.get(NICK)!.dns.size).toBe(0);
  });

  it('refuses offers no maker can mean: range below dust, rel fee >= 1, abs fee > maxsize', () => {
    const b = new OrderBook(1_000);
    expect(b.offer(NICK, 'A', 'sw0reloffer', args('0 100 20000 0 0.0001'), 'public', 1)).toMatchObject({ ok: false, reason: expect.stringMatching(/minsize 27300 > maxsize 20000/) });
    expect(b.offer(NICK, 'A', 'sw0reloffer', args('0 27300 5000000 0 1'), 'public', 1)).toMatchObject({ ok: false, reason: expect.stringMatching(/100 %/) });
    expect(b.offer(NICK, 'A', 'sw0reloffer', args('0 27300 5000000 0 1.5'), 'public', 1)).toMatchObject({ ok: false });
    expect(b.offer(NICK, 'A', 'sw0absoffer', args('0 27300 5000000 0 5000001'), 'public', 1)).toMatchObject({ ok: false, reason: expect.stringMatching(/exceeds maxsize/) });
    expect(b.offer(NICK, 'A', 'sw0reloffer', args('0 27300 5000000 0 0.999999'), 'public', 1).ok).toBe(true);
    expect(b.offer(NICK, 'A', 'sw0absoffer', args('1 27300 5000000 0 5000000'), 'public', 1).ok).toBe(true);
    expect(b.counters.rejected).toBe(4);
    expect(b.offerCount()).toBe(2);
  });

  it('keeps at most maxOffersPerMaker offers per nick: a new oid replaces the least recently refreshed', () => {
    const b = new OrderBook(1_000, { maxOffersPerMaker: 3 });
    for (let oid = 0; oid < 3; oid++) b.offer(NICK, 'A', 'sw0absoffer', args(`${oid} 27300 5000000 0 250`), 'public', oid);
    b.offer(NICK, 'A', 'sw0absoffer', args('0 27300 5000000 0 251'), 'public', 10); // refreshes oid 0
    b.offer(NICK, 'A', 'sw0absoffer', args('7 27300 5000000 0 250'), 'public', 11);
    expect([...b.get(NICK)!.offers.keys()].sort()).toEqual([0, 2, 7]);
    for (let oid = 100; oid < 980; oid++) b.offer(NICK, 'A', 'sw0absoffer', args(`${oid} 27300 5000000 0 250`), 'public', 12);
    expect(b.get(NICK)!.offers.size).toBe(3);
    expect(b.offerCount()).toBe(3);
    expect(b.counters.perMakerEvictions).toBe(881);
  });

  it('bounds offers overall: the makers holding the most lose offers first, honest small makers stay', () => {
    const b = new OrderBook(1_000, { maxOffersPerMaker: 16, maxOffers: 100 });
    const honest = ['J5honest1', 'J5honest2', 'J5honest3'];
    honest.forEach((n, i) => b.offer(n, 'A', 'sw0reloffer', args(`0 27300 5000000 0 0.0002`), 'private', i));
    b.bond(honest[0]!, 'A', 'proof', 0);
    for (let s = 0; s < 50; s++) {
      for (let oid = 0; oid < 16; oid++) b.offer(`J5sybil${s}`, 'A', 'sw0absoffer', args(`${oid} 27300 5000000 0 1`), 'public', 100 + s);
    }
    expect(b.offerCount()).toBeLessThanOrEqual(100);
    for (const n of honest) expect(b.get(n)?.offers.size).toBe(1);
    expect(b.counters.bookFullEvictions).toBe(803 - b.offerCount());
    // The count kept incrementally agrees with the rows.
    expect(b.list().reduce((n, m) => n + m.offers.size, 0)).toBe(b.offerCount());
    // Every sybil keeps something (levelled, not wiped), the latest one its own offers.
    const sizes = Array.from({ length: 50 }, (_, s) => b.get(`J5sybil${s}`)?.offers.size ?? 0);
    expect(Math.min(...sizes)).toBeGreaterThan(0);
  });

  it('bounds nicks overall: nicks without offers or bond go first, and the owner hears of each', () => {
    const evicted: string[] = [];
    const b = new OrderBook(1_000_000, { maxNicks: 20 }, (n) => evicted.push(n));
    b.offer(NICK, 'A', 'sw0absoffer', args('1 27300 5000000 0 250'), 'public', 0);
    for (let i = 0; i < 100; i++) b.sighting(`J5quiet${i}`, 'A', 1 + i);
    expect(b.nickCount).toBeLessThanOrEqual(20);
    expect(b.get(NICK)?.offers.size).toBe(1);
    expect(evicted.length).toBe(b.counters.nickEvictions);
    expect(evicted).not.toContain(NICK);
    expect(b.get('J5quiet99')).toBeDefined();
  });

  it('5,000 one-offer sybils with garbage !tbonds evict no honest unbonded maker the book knew before them', () => {
    const b = new OrderBook(3_600_000);
    const honest = Array.from({ length: 10 }, (_, i) => `J5honest${i}`);
    honest.forEach((n, i) => b.offer(n, 'A', 'sw0reloffer', args('0 27300 5000000 0 0.0002'), 'private', i));
    // honest makers refresh every ~15 min: they are the least recently seen from here on
    for (let s = 0; s < 5_000; s++) {
      const nick = `J5sybil${s}`;
      b.offer(nick, 'A', 'sw0absoffer', args('0 27300 5000000 0 1'), 'public', 1_000 + s);
      b.bond(nick, 'A', `garbage${s}`, 1_000 + s);
    }
    expect(b.offerCount()).toBeLessThanOrEqual(5_000);
    for (const n of honest) expect(b.get(n)?.offers.size, n).toBe(1);
    expect(b.counters.bookFullEvictions).toBeGreaterThan(0);
  });

  it('a chain-verified bond protects a maker from eviction; an unverified !tbond does not', () => {
    const b = new OrderBook(3_600_000, { maxOffers: 10 });
    for (let i = 0; i < 10; i++) b.offer(`J5old${i}`, 'A', 'sw0reloffer', args('0 27300 5000000 0 0.0002'), 'private', i);
    b.offer('J5bonded', 'A', 'sw0reloffer', args('0 27300 5000000 0 0.0002'), 'private', 100);
    b.bond('J5bonded', 'A', 'proof', 100);
    b.bondChecked('J5bonded', 'proof', true);
    b.bondChecked('J5bonded', 'other proof', false); // a verdict on a proof it no longer holds
    b.offer('J5claims', 'A', 'sw0reloffer', args('0 27300 5000000 0 0.0002'), 'private', 101);
    b.bond('J5claims', 'A', 'proof', 101);
    for (let s = 0; s < 3; s++) b.offer(`J5new${s}`, 'A', 'sw0absoffer', args('0 27300 5000000 0 1'), 'public', 200 + s);
    expect(b.get('J5bonded')?.offers.size).toBe(1);
    expect(b.get('J5claims')?.offers.size ?? 0).toBe(0);
    b.bond('J5bonded', 'A', 'a new proof', 300);
    expect(b.get('J5bonded')!.bondVerified).toBe(false);
  });
});
