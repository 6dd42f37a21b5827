/** The HTTP layer against a live DN, a scripted maker and the watcher. */
import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedMaker } from '../../helpers/scripted-maker.js';
import { startHttpServer } from '../../../src/orderbook/http-server.js';
import { DirectoriesSchema, HealthSchema, OrderbookSchema } from '../../../src/orderbook/schema.js';
import { DirectoryServer } from '../../../src/directory/index.js';
import { KEYS, NETWORK, TEST_BOND, startWatcher, stubChain, waitFor } from './watch-helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('orderbook HTTP', () => {
  it('serves a validated JSON API and an escaped server-rendered page', async () => {
    const dn = new DirectoryServer({ network: NETWORK, mode: 'loopback', listen: { host: '127.0.0.1', port: 0 }, motd: '<script>alert(1)</script> & co' });
    const addr = await dn.start();
    cleanups.push(() => dn.stop());
    const maker = await new ScriptedMaker({ directories: [addr], network: NETWORK, key: KEYS.m1, bond: TEST_BOND,
      offers: ['sw0reloffer 0 27300 5000000 0 0.00002', 'sw0absoffer 1 27300 5000000 0 250'] }).start();
    cleanups.push(() => maker.stop());
    const { pool, watcher } = startWatcher([addr], stubChain(100_000_000));
    cleanups.push(() => pool.stop(), () => watcher.stop());
    const http = await startHttpServer({ port: 0, source: watcher });
    cleanups.push(() => http.close());
    expect(http.address.host).toBe('127.0.0.1');
    await waitFor(watcher, () => watcher.orderbook().bonds[0]?.status === 'verified' && watcher.orderbook().offers.length === 2, 10_000, 'verified bond');

    const ob = OrderbookSchema.parse(await (await fetch(`${http.url}api/v1/orderbook`)).json());
    expect(ob.offers.map((o) => [o.oid, o.bondStatus])).toEqual([[0, 'verified'], [1, 'verified']]);
    expect(ob.bonds[0]!.value).toBeGreaterThan(0);
    expect(ob.offers[0]!.pickChance).toBe(1);
    expect(ob.sybil.rows.length).toBeGreaterThan(0);
    const dirs = DirectoriesSchema.parse(await (await fetch(`${http.url}api/v1/directories`)).json());
    expect(dirs.directories[0]).toMatchObject({ connected: true, makersSeen: 1 });
    // Our DN offers nick authentication and the watcher's proof was accepted.
    expect(dirs.directories[0]!.nickAuth).toEqual({ offered: true, verified: true, error: null, label: 'verified' });
    const health = await fetch(`${http.url}health`);
    expect(health.status).toBe(200);
    expect(HealthSchema.parse(await health.json())).toMatchObject({ status: 'ok', offers: 2, makers: 1 });

    const page = await fetch(http.url);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; co');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('0.002 %');
    expect(html).toMatch(/Nick auth<\/th>[\s\S]*>verified</);
    expect(html).toContain('0.00000250 BTC'); // one unit for sizes: BTC unless the reader picks sat
    expect(html).not.toMatch(/ style=|<style|<script>/); // the CSP allows neither inline style nor inline script
    expect(html).toContain(maker.nick.replace(/O+$/, ''));
    const inSats = await (await fetch(`${http.url}?unit=sat`)).text();
    expect(inSats).toContain('250 sat');
    expect(inSats).toContain('5,000,000 sat');
    expect(inSats).not.toMatch(/\d BTC/);

    const csv = await fetch(`${http.url}api/v1/offers.csv`);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="joinmarket-offers-regtest-\d{8}T\d{6}Z\.csv"$/);
    const lines = (await csv.text()).split('\r\n');
    expect(lines[0]).toBe('nick,oid,type,minsize_sat,maxsize_sat,txfee_sat,cjfee,bond_status,bond_value,pick_chance,directories,first_seen,last_seen');
    expect(lines[1]).toMatch(new RegExp(`^${maker.nick},0,sw0reloffer,27300,5000000,0,0.00002,verified,[0-9.e+]+,1,127.0.0.1:${addr.port},`));
    expect(lines[2]).toMatch(new RegExp(`^${maker.nick},1,sw0absoffer,27300,5000000,0,250,verified,`));
    expect(lines).toHaveLength(4); // header, two offers, the final CRLF

    const icon = await fetch(`${http.url}favicon.svg`);
    expect([icon.status, icon.headers.get('content-type')]).toEqual([200, 'image/svg+xml; charset=utf-8']);
    expect(await icon.text()).toMatch(/^<svg /);
    const ico = await fetch(`${http.url}favicon.ico`, { redirect: 'manual' });
    expect([ico.status, ico.headers.get('location')]).toEqual([301, '/favicon.svg']);

    expect((await fetch(`${http.url}nope`)).status).toBe(404);
    expect((await fetch(`${http.url}api/v1/orderbook`, { method: 'POST' })).status).toBe(405);
  });
});
