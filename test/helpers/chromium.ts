/**
 * Debian's chromium through playwright-core for the page tests: required in CI, a skip with a
 * note elsewhere. Each context gets a fresh profile; close() ends them and removes the profiles.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI === 'true') throw new Error(`${CHROMIUM} is required in CI for the browser tests`);
if (!haveChromium) console.warn(`skipping browser tests: ${CHROMIUM} not installed (apt-get install chromium)`);

export interface ContextOptions {
  javaScriptEnabled?: boolean;
  colorScheme?: 'light' | 'dark';
  viewport?: { width: number; height: number };
}

export class ChromiumContexts {
  private readonly profiles: string[] = [];
  private readonly contexts: BrowserContext[] = [];

  /** A new headless context (default 1280 × 900) with the launch flags CI uses. */
  async open(o: ContextOptions = {}): Promise<BrowserContext> {
    const profile = mkdtempSync(path.join(tmpdir(), 'jm-chromium-'));
    this.profiles.push(profile);
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 900 }, ...o,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    this.contexts.push(ctx);
    return ctx;
  }

  async close(): Promise<void> {
    for (const c of this.contexts.splice(0)) await c.close();
    for (const p of this.profiles.splice(0)) rmSync(p, { recursive: true, force: true });
  }
}
