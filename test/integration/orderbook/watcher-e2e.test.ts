/**
 * End to end over loopback TCP: two of our directory nodes, scripted reference-style makers,
 * and the watcher (DirectoryPool + OrderbookWatcher).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedMaker } from '../../helpers/scripted-maker.js';
import { KEYS, NETWORK, TEST_BOND, startDirectories, startWatcher, waitFor } from './watch-helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('orderbook watcher end to end', () => {
  it('collects multi-offer replies with bonds, dedups across DNs, drops forgeries, handles !cancel and ;D', async () => {
    const { servers, addrs } = await startDirectories(2);
    cleanups.push(async () => { for (const s of servers) await s.stop(); });
    // m1 on both DNs with two offers and a real bond; m2 only on DN 0; the forger only on DN 1
    // claims its own nick but signs with someone else's key.
    const m1 = await new ScriptedMaker({ directories: addrs, network: NETWORK, key: KEYS.m1, bond: TEST_BOND, announce: false,
      offers: ['sw0reloffer 0 27300 5000000 0 0.00002', 'sw0absoffer 1 27300 5000000 0 250'] }).start();
    const m2 = await new ScriptedMaker({ directories: [addrs[0]!], network: NETWORK, key: KEYS.m2,
      offers: ['sw0absoffer 7 100000 90000000 500 1000'] }).start();
    const forger = await new ScriptedMaker({ directories: [addrs[1]!], network: NETWORK, key: KEYS.victim, forgeWith: KEYS.forger, announce: false,
      offers: ['sw0reloffer 0 27300 9000000000 0 0.0000001'] }).start();
    cleanups.push(() => m1.stop(), () => m2.stop(), () => forger.stop());

    const { pool, watcher } = startWatcher(addrs);
    cleanups.push(() => pool.stop(), () => watcher.stop());
    const forged: string[] = [];
    pool.on('forged', (f) => forged.push(f.from));
    const offersOf = (nick: string) => watcher.orderbook().offers.filter((o) => o.nick === nick);

    await waitFor(watcher, () => offersOf(m1.nick).length === 2 && offersOf(m2.nick).length === 1 && offersOf(m1.nick).every((o) => o.directories.length === 2), 10_000, 'book');
    await waitFor(watcher, () => forged.length > 0, 10_000, 'forgery');
    // Both DNs delivered m1's reply; the book holds each (nick, oid) once, with provenance.
    expect(m1.requests.length).toBeGreaterThanOrEqual(2);
    const book = watcher.orderbook();
    expect(book.offers.map((o) => `${o.nick === m1.nick ? 'm1' : 'm2'}/${o.oid}/${o.type}/${o.cjfee}`).sort())
      .toEqual(['m1/0/sw0reloffer/0.00002', 'm1/1/sw0absoffer/250', 'm2/7/sw0absoffer/1000']);
    expect(offersOf(m1.nick)[0]!.directories).toEqual(addrs.map((a) => `${a.host}:${a.port}`).sort());
    expect(offersOf(m1.nick)[0]!.source).toBe('private');
    expect(offersOf(m2.nick)[0]!.directories).toEqual([`${addrs[0]!.host}:${addrs[0]!.port}`]);
    // The forgery never reaches the book.
    expect(forged).toContain(forger.nick);
    expect(offersOf(forger.nick)).toEqual([]);
    // The bond proof verifies with our nick as taker; without RPC it stays "unverified", not dropped.
    expect(book.bonds).toHaveLength(1);
    expect(book.bonds[0]).toMatchObject({ nick: m1.nick, status: 'unverified', txid: TEST_BOND.txid, locktime: TEST_BOND.locktime, certExpiry: 450 });
    expect(offersOf(m1.nick)[0]!.bondStatus).toBe('unverified');
    expect(book.offers.every((o) => Math.abs(o.pickChance - 0.5) < 1e-12)).toBe(true);

    // !cancel removes one offer.
    m1.cancel(1);
    await waitFor(watcher, () => offersOf(m1.nick).length === 1, 10_000, 'cancel');
    expect(offersOf(m1.nick)[0]!.oid).toBe(0);

    // m2 leaves its only DN → ;D → gone.
    await m2.stop();
    await waitFor(watcher, () => offersOf(m2.nick).length === 0, 10_000, 'm2 departure');

    // m1 leaves DN 0 only: still present via DN 1; then leaves DN 1 too → gone.
    await m1.leave(0);
    const dnOneStillCarries = new Promise<void>((r) => { const off = pool.on('peerlist', (p) => { if (p.entries.some((e) => e.nick === m1.nick && e.disconnected)) { off(); r(); } }); });
    await dnOneStillCarries;
    expect(offersOf(m1.nick)).toHaveLength(1);
    await m1.leave(1);
    await waitFor(watcher, () => offersOf(m1.nick).length === 0, 10_000, 'm1 departure');
    expect(watcher.orderbook().bonds).toEqual([]);
  });

  it('accepts a reply that arrives through a different DN than the request', async () => {
    const { servers, addrs } = await startDirectories(2);
    cleanups.push(async () => { for (const s of servers) await s.stop(); });
    const m = await new ScriptedMaker({ directories: addrs, network: NETWORK, announce: false, answerFrom: 0, replyVia: 1,
      offers: ['sw0reloffer 3 50000 7000000 10 0.0003'] }).start();
    cleanups.push(() => m.stop());
    const { pool, watcher } = startWatcher([addrs[0]!, addrs[1]!]);
    cleanups.push(() => pool.stop(), () => watcher.stop());
    // The maker answers only what came through DN 0, by DN 1: a reply to the watcher's first
    // request may reach DN 1 before the watcher is on it (dropped, as any DN does), so ask again
    // through DN 0 once the watcher is on both.
    await pool.whenConnected(10_000, 2);
    watcher.requestOrderbook(`127.0.0.1:${addrs[0]!.port}`);
    await waitFor(watcher, () => watcher.orderbook().offers.length === 1, 10_000, 'offer');
    expect(m.requests.some((r) => r.dn === 0)).toBe(true);
    expect(watcher.orderbook().offers[0]).toMatchObject({ oid: 3, minsize: 50000, cjfee: '0.0003', directories: [`127.0.0.1:${addrs[1]!.port}`] });
  });
});
