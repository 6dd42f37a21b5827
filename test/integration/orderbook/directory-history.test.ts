/**
 * Per-directory history end to end: two real DNs, the watcher samples them (PING round trips
 * included), one DN goes away; the JSON API and the page's history section show it, in
 * chromium too (JavaScript on at 390 px with a live update, and off).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { ChromiumContexts, haveChromium } from '../../helpers/chromium.js';
import type { DirectoryPool } from '../../../src/client/directory-pool.js';
import type { DirectoryServer } from '../../../src/directory/index.js';
import { startHttpServer, type RunningHttpServer } from '../../../src/orderbook/http-server.js';
import type { OrderbookWatcher } from '../../../src/orderbook/watcher.js';
import { startDirectories, startWatcher } from './watch-helpers.js';

describe('directory history in the watcher', () => {
  let servers: DirectoryServer[];
  let ids: string[];
  let pool: DirectoryPool;
  let watcher: OrderbookWatcher;
  let http: RunningHttpServer;
  const browsers = new ChromiumContexts();

  beforeAll(async () => {
    const dns = await startDirectories(2);
    servers = dns.servers;
    ids = dns.addrs.map((a) => `${a.host}:${a.port}`);
    ({ pool, watcher } = startWatcher(dns.addrs));
    await pool.whenConnected(10_000, 2);
    http = await startHttpServer({ port: 0, source: watcher, refreshSeconds: 0.2 });
  });

  afterAll(async () => {
    await browsers.close();
    await http?.close();
    await watcher?.stop();
    await pool?.stop();
    for (const s of servers ?? []) await s.stop();
  });

  it('samples reachability, handshake time and PING round trips; serves them in the JSON API', async () => {
    await watcher.sampleDirectories();
    const gone = new Promise<void>((resolve) => {
      const off = pool.on('disconnected', ({ dn }) => {
        if (dn !== ids[1]) return;
        off();
        resolve();
      });
    });
    await servers[1]!.stop();
    await gone;
    await watcher.sampleDirectories();

    const api = (await (await fetch(`${http.url}api/v1/directories`)).json()) as { directories: Array<{ id: string; history: Record<string, Record<string, unknown>> }> };
    const [up, down] = ids.map((id) => api.directories.find((d) => d.id === id)!.history);
    expect(up!.hour).toMatchObject({ uptime: 1, samples: 2, connects: 1, disconnects: 0, handshakeMs: expect.any(Number), rttMs: expect.any(Number) });
    expect(down!.hour).toMatchObject({ uptime: 0.5, samples: 2, connects: 1, disconnects: 1 });
    expect(up!.day).toEqual(up!.hour);
    expect((up as unknown as { timeline: unknown[] }).timeline).toHaveLength(24);
    expect((up as unknown as { timeline: unknown[] }).timeline[23]).toBe(1);

    const page = await (await fetch(http.url)).text();
    expect(page).toContain('<section id="directory-history"');
    expect(page).toMatch(new RegExp(`${ids[1]!.replace(/\./g, '\\.')}</td><td class="num dh-wide dh-part">50\\.0 %`));
    expect(await (await fetch(`${http.url}assets/style.css`)).text()).toContain('.dh-strip');
    expect(await (await fetch(`${http.url}assets/app.js`)).text()).toContain('#directory-history tbody');
  });

  it.skipIf(!haveChromium)('chromium: the section fits 390 px, updates live with JavaScript and renders without it', async () => {
    const open = (javaScriptEnabled: boolean): Promise<BrowserContext> => browsers.open({ viewport: { width: 390, height: 844 }, javaScriptEnabled });
    const page = await (await open(true)).newPage();
    const errors: string[] = [];
    // Script errors and CSP refusals; a missing favicon is not this section's business.
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(http.url);
    const section = page.locator('#directory-history');
    expect(await section.locator('.dh-cell').count()).toBe(48);
    const box = (await section.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    // No sideways scrolling at phone width: only uptime and the strip remain.
    expect(await section.locator('.dh-scroll').evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
    expect(await section.locator('tbody').innerText()).toContain('50.0 %');
    // A third sample (the DN still down) reaches the open page without a reload.
    await watcher.sampleDirectories();
    await section.locator('tbody', { hasText: '33.3 %' }).waitFor({ timeout: 15_000 });
    expect(await section.locator('.dh-cell').count()).toBe(48);
    expect(errors).toEqual([]);

    const off = await (await open(false)).newPage();
    await off.goto(http.url);
    expect(await off.locator('#directory-history .dh-cell').count()).toBe(48);
    // The page may be served from a snapshot up to a few seconds old.
    expect(await off.locator('#directory-history tbody').innerText()).toMatch(/(50\.0|33\.3) %/);
  });
});
