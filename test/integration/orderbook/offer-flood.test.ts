/**
 * A hostile nick floods the watcher with public offers through a real directory over loopback
 * TCP: ~880 offers a line, many lines, plus offers no maker can mean. The book keeps at most
 * maxOffersPerMaker of the flooder's offers (and parses no more than that per message), refuses
 * the implausible ones, keeps the honest maker, and the API document stays small.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DnPeer, RELAY_EVERYTHING, testNick } from '../../helpers/dn-peer.js';
import { ScriptedMaker } from '../../helpers/scripted-maker.js';
import { startHttpServer } from '../../../src/orderbook/http-server.js';
import { DEFAULT_BOOK_LIMITS } from '../../../src/orderbook/book.js';
import { HealthSchema, OrderbookSchema } from '../../../src/orderbook/schema.js';
import { MsgType } from '../../../src/protocol/message-types.js';
import { KEYS, NETWORK, startDirectories, startWatcher, waitFor } from './watch-helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** One pubmsg body of `count` offers with consecutive oids (~45 bytes each). */
function offerLine(firstOid: number, count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(`sw0absoffer ${firstOid + i} 27300 5000000 0 250`);
  return parts.join('!');
}

describe('watcher under an offer flood', () => {
  it('bounds one nick to maxOffersPerMaker, refuses implausible offers and keeps the honest maker', async () => {
    // Relay the whole flood, as a reference DN would: our DN's byte allowance and broadcast budget would stop most of it.
    const { servers, addrs } = await startDirectories(1, RELAY_EVERYTHING);
    cleanups.push(async () => { for (const s of servers) await s.stop(); });
    const honest = await new ScriptedMaker({ directories: addrs, network: NETWORK, key: KEYS.m1, offers: ['sw0reloffer 0 27300 5000000 0 0.00002'] }).start();
    cleanups.push(() => honest.stop());
    const { pool, watcher } = startWatcher(addrs);
    cleanups.push(() => pool.stop(), () => watcher.stop());
    const http = await startHttpServer({ port: 0, source: watcher });
    cleanups.push(() => http.close());
    await waitFor(watcher, () => watcher.orderbook().offers.some((o) => o.nick === honest.nick), 10_000, 'honest offer');

    const flooder = await DnPeer.joined(addrs[0]!.port, { nick: testNick('offer-flooder'), network: NETWORK });
    cleanups.push(async () => flooder.destroy());
    const nick = testNick('offer-flooder');
    const lines = 20;
    const perLine = 880;
    for (let l = 0; l < lines; l++) {
      const body = offerLine(l * perLine, perLine);
      expect(body.length).toBeLessThan(39_900);
      flooder.send(MsgType.PUBMSG, `${nick}!PUBLIC!${body}`);
    }
    // Offers no maker can mean: the whole range below dust, a rel fee of 100 %, an abs fee above maxsize.
    flooder.send(MsgType.PUBMSG, `${nick}!PUBLIC!sw0reloffer 900001 0 20000 0 0.0001!sw0reloffer 900002 27300 5000000 0 1!sw0absoffer 900003 27300 5000000 0 5000001`);
    // The last line's offer marks the end of the flood.
    flooder.send(MsgType.PUBMSG, `${nick}!PUBLIC!sw0absoffer 999999 27300 5000000 0 250`);
    await waitFor(watcher, () => watcher.book.get(nick)?.offers.has(999_999) === true, 20_000, 'end of the flood');

    const mine = watcher.orderbook().offers.filter((o) => o.nick === nick);
    expect(mine.length).toBe(DEFAULT_BOOK_LIMITS.maxOffersPerMaker);
    // The newest receipts are the ones kept.
    expect(mine.map((o) => o.oid)).toContain(999_999);
    expect(mine.some((o) => o.oid >= 900_001 && o.oid <= 900_003)).toBe(false);
    expect(watcher.orderbook().offers.filter((o) => o.nick === honest.nick)).toHaveLength(1);

    const api = await (await fetch(`${http.url}api/v1/orderbook`)).text();
    expect(api.length).toBeLessThan(50_000);
    expect(OrderbookSchema.parse(JSON.parse(api)).offers.length).toBeLessThanOrEqual(DEFAULT_BOOK_LIMITS.maxOffersPerMaker + 1);
    const health = HealthSchema.parse(await (await fetch(`${http.url}health`)).json());
    // Per message only the first maxOffersPerMaker offers are parsed; each newer batch evicts the last.
    const cap = DEFAULT_BOOK_LIMITS.maxOffersPerMaker;
    expect(health.book).toMatchObject({ rejectedOffers: 3, skippedOffers: lines * (perLine - cap), perMakerEvictions: (lines - 1) * cap + 1 });
    expect(health.offers).toBe(DEFAULT_BOOK_LIMITS.maxOffersPerMaker + 1);
  });
});
