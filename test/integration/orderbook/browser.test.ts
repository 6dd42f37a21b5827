/**
 * Real browser (playwright-core + Debian chromium): the page shows makers and bond values,
 * refreshes live when a new maker appears, and still shows the tables with JavaScript off; its
 * charts carry their numbers, columns sort, sizes switch between BTC and sat, "updated N s ago"
 * counts, the CSV and favicon load, and at 1280 and 390 px nothing overflows.
 * The book every test sees is set up once (two makers); a test that adds a maker removes it
 * again, so each test passes alone and in any order.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ChromiumContexts, haveChromium } from '../../helpers/chromium.js';
import { ScriptedMaker } from '../../helpers/scripted-maker.js';
import { startHttpServer, type RunningHttpServer } from '../../../src/orderbook/http-server.js';
import { DirectoryServer } from '../../../src/directory/index.js';
import type { OrderbookWatcher } from '../../../src/orderbook/watcher.js';
import type { DirectoryPool } from '../../../src/client/directory-pool.js';
import { KEYS, NETWORK, TEST_BOND, startWatcher, stubChain, waitFor } from './watch-helpers.js';
import { hexToBytes } from '../../../src/protocol/crypto.js';
import { formatBondValue, formatBtc } from '../../../src/orderbook/format.js';

const ARTIFACTS = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)), 'test-artifacts');

describe.skipIf(!haveChromium)('orderbook page in chromium', () => {
  let dn: DirectoryServer;
  let maker: ScriptedMaker;
  let second: ScriptedMaker;
  let pool: DirectoryPool;
  let watcher: OrderbookWatcher;
  let http: RunningHttpServer;
  const browsers = new ChromiumContexts();

  beforeAll(async () => {
    dn = new DirectoryServer({ network: NETWORK, mode: 'loopback', listen: { host: '127.0.0.1', port: 0 }, motd: 'browser test DN' });
    const addr = await dn.start();
    maker = await new ScriptedMaker({ directories: [addr], network: NETWORK, key: KEYS.m1, bond: TEST_BOND,
      offers: ['sw0reloffer 0 27300 5000000 0 0.00002', 'sw0absoffer 1 27300 5000000 0 250'] }).start();
    second = await new ScriptedMaker({ directories: [addr], network: NETWORK, key: KEYS.m2, offers: ['sw0absoffer 5 100000 20000000 0 1234'] }).start();
    ({ pool, watcher } = startWatcher([addr], stubChain(150_000_000)));
    await waitFor(watcher, () => watcher.orderbook().bonds[0]?.status === 'verified', 10_000, 'verified bond');
    await waitFor(watcher, () => watcher.book.list().some((m) => m.nick === second.nick), 10_000, 'the second maker');
    http = await startHttpServer({ port: 0, source: watcher, refreshSeconds: 0.2 });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browsers.close();
    await http?.close();
    await watcher?.stop();
    await pool?.stop();
    await second?.stop();
    await maker?.stop();
    await dn?.stop();
  });

  it('shows makers, offers and bond values, and refreshes live', async () => {
    const page = await (await browsers.open({ colorScheme: 'light' })).newPage();
    await page.goto(http.url);
    const short = maker.nick.replace(/O+$/, '');
    await expect(page.locator('#offers tbody tr').count()).resolves.toBe(3);
    expect(await page.locator(`#offers tbody tr[data-nick="${maker.nick}"]`).first().innerText()).toContain(short);
    expect(await page.locator('#offers tbody').innerText()).toContain('0.002 %');
    const value = watcher.orderbook().bonds[0]!.value!;
    expect(await page.locator('#bonds tbody').innerText()).toContain(formatBondValue(value));
    expect(formatBondValue(value)).toMatch(/^\d\.\d{3} × 10[⁰¹²³⁴⁵⁶⁷⁸⁹]+$/);
    expect(await page.locator('#bonds tbody').innerText()).toContain('verified');
    expect(await page.locator('#directories tbody').innerText()).toContain('browser test DN');
    expect(await page.locator('#sybil tbody tr').count()).toBeGreaterThan(1);
    // A third maker joins; the table updates without a reload. It leaves again (and the book
    // forgets it) before the next test, whatever happens here.
    await page.waitForSelector('body[data-live="true"]');
    const third = await new ScriptedMaker({ directories: [{ host: '127.0.0.1', port: dn.address!.port }], network: NETWORK, key: hexToBytes('55'.repeat(32)),
      offers: ['sw0absoffer 7 100000 30000000 0 4321'] }).start();
    try {
      await page.waitForSelector(`#offers tbody tr[data-nick="${third.nick}"]`, { timeout: 10_000 });
      expect(await page.locator('#offers tbody tr').count()).toBe(4);
      // rendered in the browser by the embedded src/wallet/format.ts: one format with the server
      const row = await page.locator(`#offers tbody tr[data-nick="${third.nick}"]`).innerText();
      for (const sats of [100_000, 30_000_000, 4321]) expect(row).toContain(formatBtc(sats));
      await page.screenshot({ path: path.join(ARTIFACTS, 'orderbook-page.png'), fullPage: true });
      await page.close();
    } finally {
      await third.stop();
      await waitFor(watcher, () => !watcher.book.list().some((m) => m.nick === third.nick), 10_000, 'the third maker to leave the book');
    }
  });

  it('renders the tables with JavaScript disabled', async () => {
    const page = await (await browsers.open({ javaScriptEnabled: false, colorScheme: 'dark' })).newPage();
    await page.goto(http.url);
    expect(await page.locator('#offers tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#bonds tbody').innerText()).toContain('verified');
    await page.screenshot({ path: path.join(ARTIFACTS, 'orderbook-page-nojs-dark.png'), fullPage: true });
  });

  /** Script errors, CSP refusals and failed requests, collected for the whole page's life. */
  function problems(page: Page): string[] {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
    return errors;
  }

  /** What sticks out past the viewport's width, or scrolls sideways inside it. */
  async function overflow(page: Page): Promise<string[]> {
    const width = page.viewportSize()!.width;
    const out: string[] = [];
    const pageWidth = await page.locator('html').evaluate((e) => e.scrollWidth);
    if (pageWidth > width) out.push(`page ${pageWidth} px wide`);
    out.push(...await page.locator('section, .scroll, table, figure, svg').evaluateAll((els, w) => els.flatMap((el) => {
      const r = el.getBoundingClientRect();
      const name = `${el.tagName.toLowerCase()}#${el.id || el.getAttribute('class')}`;
      return [
        ...(r.right > w + 0.5 ? [`${name} ends at ${Math.round(r.right)} px`] : []),
        ...(el.classList.contains('scroll') && el.scrollWidth > el.clientWidth ? [`${name} in #${el.parentElement?.id} scrolls sideways`] : []),
      ];
    }), width));
    return out;
  }

  const column = (page: Page, table: string, col: number): Promise<string[]> =>
    page.locator(`#${table} tbody tr`).evaluateAll((rows, c) => rows.map((r) => r.querySelectorAll('td')[c]?.getAttribute('data-v') ?? ''), col);

  it('1280 px: charts with their numbers, sortable columns, the sat/BTC switch, updated N s ago, CSV and favicon', async () => {
    const ctx = await browsers.open({ colorScheme: 'light' });
    const page = await ctx.newPage();
    const errors = problems(page);
    await page.goto(http.url);
    await page.waitForSelector('body[data-live="true"]');
    expect(await page.locator('#offers tbody tr').count()).toBe(3); // both makers of beforeAll

    // charts: one per offer kind and the bonds; each mark's title has the numbers
    const titles = await page.locator('#charts svg.liquidity g.step title').allTextContents();
    expect(titles).toContain('fee up to 0.002 %: 0.05000000 BTC from 1 maker (1 offer)');
    expect(titles).toContain('fee up to 0.00000250 BTC: 0.05000000 BTC from 1 maker (1 offer)');
    expect(titles).toContain('fee up to 0.00001234 BTC: 0.25000000 BTC from 2 makers (2 offers)');
    const value = watcher.orderbook().bonds[0]!.value!;
    expect(await page.locator('#charts ol.bars li').count()).toBe(1);
    expect(await page.locator('#charts ol.bars li svg title').textContent()).toContain(`bond value ${formatBondValue(value)} (100.0 % of all)`);
    const step = page.locator('#charts svg.liquidity g.step').first();
    await step.hover(); // the hovered step is highlighted by the stylesheet
    expect(await step.locator('rect.hit').evaluate((e) => e.ownerDocument.defaultView!.getComputedStyle(e).fill)).toMatch(/^rgba\(59, 91, 219, 0\.2\)$/);

    // sorting: numbers start with the largest, a second click reverses
    await page.locator('#offers th', { hasText: 'Max size' }).locator('button').click();
    expect(await page.locator('#offers th[aria-sort]').textContent()).toBe('Max size');
    expect((await column(page, 'offers', 4)).map(Number)).toEqual([20_000_000, 5_000_000, 5_000_000]);
    await page.locator('#offers th', { hasText: 'Oid' }).locator('button').click();
    await page.locator('#offers th', { hasText: 'Oid' }).locator('button').click();
    expect((await column(page, 'offers', 1)).map(Number)).toEqual([0, 1, 5]);

    // one unit for every size, switched without a reload and remembered
    expect(await page.locator('#offers tbody').innerText()).toContain(formatBtc(20_000_000));
    await page.locator('#offers').evaluate((t) => { t.setAttribute('data-old', ''); });
    await page.locator('.unit a[data-unit="sat"]').click();
    await page.locator('#offers tbody', { hasText: '20,000,000 sat' }).waitFor();
    expect(await page.locator('#offers[data-old]').count()).toBe(0); // a new table came from the server...
    expect((await column(page, 'offers', 1)).map(Number)).toEqual([0, 1, 5]); // ...and kept the reader's order
    expect(await page.locator('#offers th[aria-sort="ascending"]').textContent()).toBe('Oid');
    expect(page.url()).toMatch(/\?unit=sat$/);
    const sizes = await page.locator('#offers tbody td[data-label$="size"], #bonds tbody td[data-label="Amount"], #sybil tbody td.num:not(:first-child)').allInnerTexts();
    expect(sizes.length).toBeGreaterThan(6);
    for (const t of sizes) expect(t).toMatch(/^[\d,]+ sat$/);
    expect(await page.locator('#charts').innerText()).not.toMatch(/BTC/);
    expect(await page.locator('.unit a[aria-current]').textContent()).toBe('sat');
    const again = await ctx.newPage();
    await again.goto(http.url); // no ?unit: the saved choice applies
    await again.locator('#offers tbody', { hasText: '20,000,000 sat' }).waitFor();
    await again.close();

    // "updated N s ago": the age of the data shown, counted in the page
    const shown = await page.locator('#updated').evaluate((e) => ({ text: e.textContent ?? '', at: Number(e.getAttribute('data-at')), now: Date.now() }));
    expect(shown.text).toMatch(/^updated \d+ s ago$/);
    expect(Math.abs(Number(/\d+/.exec(shown.text)![0]) - (shown.now - shown.at) / 1000)).toBeLessThanOrEqual(1.5);

    // CSV export and favicon
    const csvHref = await page.locator('a.csv').getAttribute('href');
    const csv = await page.evaluate((href) => fetch(href!).then((r) => r.text()), csvHref);
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(4);
    expect(csv).toContain(',sw0absoffer,100000,20000000,0,1234,');
    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    expect(await page.evaluate((href) => fetch(href!).then((r) => r.headers.get('content-type')), icon)).toBe('image/svg+xml; charset=utf-8');

    expect(await overflow(page)).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'orderbook-page-1280.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('390 px: nothing overflows, tables stack into cards, the MOTD keeps its lines; with and without JavaScript', async () => {
    for (const javaScriptEnabled of [true, false]) {
      const page = await (await browsers.open({ javaScriptEnabled, colorScheme: javaScriptEnabled ? 'light' : 'dark', viewport: { width: 390, height: 844 } })).newPage();
      const errors = problems(page);
      await page.goto(http.url);
      if (javaScriptEnabled) await page.waitForSelector('body[data-live="true"]');
      expect(await overflow(page), `JavaScript ${javaScriptEnabled ? 'on' : 'off'}`).toEqual([]);
      // a row is a card: the header row is hidden, each value has its label beside it
      expect(await page.locator('#offers thead').isVisible()).toBe(false);
      // (polled: a refresh may swap the table between finding a cell and reading its style)
      await expect.poll(() => page.locator('#offers tbody td[data-label="Max size"]').first().evaluate((e) => e.ownerDocument.defaultView!.getComputedStyle(e, '::before').content)).toBe('"Max size"');
      // the MOTD uses the card's width instead of one word per line
      // (measured in one go: the live refresh swaps the table several times a second here)
      const motd = await page.locator('#directories tbody td.motd').first().evaluate((e) => {
        const cs = e.ownerDocument.defaultView!.getComputedStyle(e);
        const r = e.getBoundingClientRect();
        return { width: r.width, lines: r.height / (parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.45), words: (e.textContent ?? '').split(/\s+/).filter(Boolean).length };
      });
      expect(motd.width).toBeGreaterThan(300);
      expect(motd.lines).toBeLessThan(motd.words / 2);
      expect(await page.locator('#charts svg.liquidity').count()).toBe(2);
      await page.screenshot({ path: path.join(ARTIFACTS, `orderbook-page-390-${javaScriptEnabled ? 'js' : 'nojs-dark'}.png`), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    }
  });
});
