/**
 * Real browser (playwright-core + Debian chromium): the page shows makers and bond values,
 * refreshes live when a new maker appears, and still shows the tables with JavaScript off.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext } from 'playwright-core';
import { ScriptedMaker } from '../../helpers/scripted-maker.js';
import { startHttpServer, type RunningHttpServer } from '../../../src/orderbook/http-server.js';
import { DirectoryServer } from '../../../src/directory/index.js';
import type { OrderbookWatcher } from '../../../src/orderbook/watcher.js';
import type { DirectoryPool } from '../../../src/client/directory-pool.js';
import { KEYS, NETWORK, TEST_BOND, startWatcher, stubChain, waitFor } from './watch-helpers.js';
import { formatBondValue, formatBtc } from '../../../src/orderbook/format.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI === 'true') throw new Error(`${CHROMIUM} is required in CI for the browser test`);
if (!haveChromium) console.warn(`skipping browser test: ${CHROMIUM} not installed (apt-get install chromium)`);

const ARTIFACTS = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)), 'test-artifacts');

/** A fresh profile per context, with the launch flags CI uses. */
async function launch(opts: { javaScriptEnabled?: boolean; colorScheme?: 'light' | 'dark' }, profiles: string[], contexts: BrowserContext[]): Promise<BrowserContext> {
  const profile = mkdtempSync(path.join(tmpdir(), 'jm-ob-chromium-'));
  profiles.push(profile);
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 900 }, ...opts,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  contexts.push(ctx);
  return ctx;
}

describe.skipIf(!haveChromium)('orderbook page in chromium', () => {
  let dn: DirectoryServer;
  let maker: ScriptedMaker;
  let pool: DirectoryPool;
  let watcher: OrderbookWatcher;
  let http: RunningHttpServer;
  const profiles: string[] = [];
  const contexts: BrowserContext[] = [];
  const later: ScriptedMaker[] = [];

  beforeAll(async () => {
    dn = new DirectoryServer({ network: NETWORK, mode: 'loopback', listen: { host: '127.0.0.1', port: 0 }, motd: 'browser test DN' });
    const addr = await dn.start();
    maker = await new ScriptedMaker({ directories: [addr], network: NETWORK, key: KEYS.m1, bond: TEST_BOND,
      offers: ['sw0reloffer 0 27300 5000000 0 0.00002', 'sw0absoffer 1 27300 5000000 0 250'] }).start();
    ({ pool, watcher } = startWatcher([addr], stubChain(150_000_000)));
    await waitFor(watcher, () => watcher.orderbook().bonds[0]?.status === 'verified', 10_000, 'verified bond');
    http = await startHttpServer({ port: 0, source: watcher, refreshSeconds: 0.2 });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    for (const c of contexts) await c.close();
    await http?.close();
    for (const m of later) await m.stop();
    await watcher?.stop();
    await pool?.stop();
    await maker?.stop();
    await dn?.stop();
    for (const p of profiles) rmSync(p, { recursive: true, force: true });
  });

  it('shows makers, offers and bond values, and refreshes live', async () => {
    const page = await (await launch({ colorScheme: 'light' }, profiles, contexts)).newPage();
    await page.goto(http.url);
    const short = maker.nick.replace(/O+$/, '');
    await expect(page.locator('#offers tbody tr').count()).resolves.toBe(2);
    expect(await page.locator('#offers tbody tr').first().innerText()).toContain(short);
    expect(await page.locator('#offers tbody').innerText()).toContain('0.002 %');
    const value = watcher.orderbook().bonds[0]!.value!;
    expect(await page.locator('#bonds tbody').innerText()).toContain(formatBondValue(value));
    expect(formatBondValue(value)).toMatch(/^\d\.\d{3} × 10[⁰¹²³⁴⁵⁶⁷⁸⁹]+$/);
    expect(await page.locator('#bonds tbody').innerText()).toContain('verified');
    expect(await page.locator('#directories tbody').innerText()).toContain('browser test DN');
    expect(await page.locator('#sybil tbody tr').count()).toBeGreaterThan(1);
    // A second maker joins; the table updates without a reload.
    await page.waitForSelector('body[data-live="true"]');
    const second = await new ScriptedMaker({ directories: [{ host: '127.0.0.1', port: dn.address!.port }], network: NETWORK, key: KEYS.m2,
      offers: ['sw0absoffer 5 100000 20000000 0 1234'] }).start();
    later.push(second);
    await page.waitForSelector(`#offers tbody tr[data-nick="${second.nick}"]`, { timeout: 10_000 });
    expect(await page.locator('#offers tbody tr').count()).toBe(3);
    // rendered in the browser by the embedded src/wallet/format.ts: one format with the server
    const row = await page.locator(`#offers tbody tr[data-nick="${second.nick}"]`).innerText();
    for (const sats of [100_000, 20_000_000, 1234]) expect(row).toContain(formatBtc(sats));
    await page.screenshot({ path: path.join(ARTIFACTS, 'orderbook-page.png'), fullPage: true });
    await page.close();
  });

  it('renders the tables with JavaScript disabled', async () => {
    const page = await (await launch({ javaScriptEnabled: false, colorScheme: 'dark' }, profiles, contexts)).newPage();
    await page.goto(http.url);
    expect(await page.locator('#offers tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#bonds tbody').innerText()).toContain('verified');
    await page.screenshot({ path: path.join(ARTIFACTS, 'orderbook-page-nojs-dark.png'), fullPage: true });
  });
});
