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
});
