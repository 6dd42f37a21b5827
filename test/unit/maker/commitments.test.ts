import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCommitmentStore } from '../../../src/maker/commitment-file.js';
import { CommitmentBlacklist } from '../../../src/maker/commitments.js';

const hex = (): string => randomBytes(32).toString('hex');
const DAY = 86_400_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmpFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'jm-cmt-'));
  dirs.push(d);
  return join(d, 'commitmentlist');
}

/** A store whose appends take a few milliseconds; records how many ran at once. */
class SlowStore extends MemoryCommitmentStore {
  running = 0;
  maxRunning = 0;
  override async append(text: string): Promise<void> {
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    await new Promise((r) => setTimeout(r, 5));
    this.running--;
    return super.append(text);
  }
}

describe('CommitmentBlacklist', () => {
  it('appends a flood in coalesced batches, one write at a time, never rewriting per entry', async () => {
    const store = new SlowStore();
    const list = await CommitmentBlacklist.load(store, undefined, { flushDelayMs: 0 });
    for (let i = 0; i < 20_000; i++) {
      expect(list.learn(hex())).toBe(true);
      if (i % 500 === 499) await new Promise((r) => setTimeout(r, 1));
    }
    await list.flushed();
    expect(store.maxRunning).toBe(1);
    expect(store.replaces).toBe(0);
    expect(store.appends).toBeGreaterThan(1);
    expect(store.appends).toBeLessThan(200);
    expect(store.bytesWritten).toBeLessThan(20_000 * 65 + store.appends * 30);
    expect(store.text.split('\n').filter((l) => /^[0-9a-f]{64}$/.test(l))).toHaveLength(20_000);
  });

  it('keeps at most maxEntries, evicting the oldest gossip before any own entry', async () => {
    const list = CommitmentBlacklist.memory({ maxEntries: 1_000 });
    const own = Array.from({ length: 10 }, hex);
    for (const c of own) await list.add(c);
    const gossip = Array.from({ length: 5_000 }, hex);
    for (const c of gossip) list.learn(c);
    expect(list.size).toBe(1_000);
    for (const c of own) expect(list.isUsed(c)).toBe(true);
    expect(list.isUsed(gossip[0]!)).toBe(false);
    expect(list.isUsed(gossip[4_999]!)).toBe(true);
    expect(list.stats).toMatchObject({ own: 10, gossip: 990, evicted: 4_010 });
  });

  it('forgets gossip older than gossipMaxAgeMs, never its own entries', async () => {
    let now = 1_700_000_000_000;
    const list = CommitmentBlacklist.memory({ gossipMaxAgeMs: 30 * DAY }, () => now);
    const [mine, heard, later] = [hex(), hex(), hex()];
    await list.add(mine);
    list.learn(heard);
    now += 31 * DAY;
    expect(list.isUsed(heard)).toBe(false);
    list.learn(later);
    expect(list.stats).toMatchObject({ own: 1, gossip: 1, expired: 1 });
    expect(list.isUsed(mine)).toBe(true);
    expect(list.learn(heard)).toBe(true); // heard again: fresh
  });

  it('survives a restart with kinds and ages; lines without a marker count as own', async () => {
    const path = tmpFile();
    const legacy = hex();
    writeFileSync(path, `${legacy.toUpperCase()}\n`);
    let now = 1_700_000_000_000;
    const a = await CommitmentBlacklist.load(path, undefined, { flushDelayMs: 0, gossipMaxAgeMs: 30 * DAY }, () => now);
    const [mine, heard] = [hex(), hex()];
    await a.add(mine);
    a.learn(heard);
    await a.close();
    const text = readFileSync(path, 'utf8');
    expect(text).toBe(`${legacy.toUpperCase()}\n# own 1700000000\n${mine}\n# hp2 1700000000\n${heard}\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    now += 31 * DAY;
    const b = await CommitmentBlacklist.load(path, undefined, { gossipMaxAgeMs: 30 * DAY }, () => now);
    expect([b.isUsed(legacy), b.isUsed(mine), b.isUsed(heard)]).toEqual([true, true, false]);
    expect(b.stats).toMatchObject({ own: 2, gossip: 0, expired: 1 });
    await b.close(); // compacted: the expired line is gone
    expect(readFileSync(path, 'utf8').split('\n').filter((l) => /^[0-9a-f]{64}$/i.test(l))).toHaveLength(2);
  });

  it('loads a list far over the bound by streaming it, keeps the newest maxEntries and compacts the file once', async () => {
    const path = tmpFile();
    const lines = Array.from({ length: 100_000 }, hex);
    writeFileSync(path, `${lines.join('\n')}\nnot hex\n${'f'.repeat(5_000)}\n`);
    const list = await CommitmentBlacklist.load(path, undefined, { maxEntries: 1_000 });
    expect(list.size).toBe(1_000);
    expect(list.isUsed(lines[99_999]!)).toBe(true);
    expect(list.isUsed(lines[0]!)).toBe(false);
    await list.close();
    expect(statSync(path).size).toBeLessThan(1_000 * 65 + 100);
    expect(list.stats.compactions).toBe(1);
  });

  it('loading over the bound keeps every own entry and the newest gossip, as adding them one by one would', async () => {
    const store = new MemoryCommitmentStore();
    const own = Array.from({ length: 50 }, hex);
    const gossip = Array.from({ length: 2_000 }, hex);
    store.text = `# hp2 1700000000\n${gossip.slice(0, 1_000).join('\n')}\n# own 1700000000\n${own.join('\n')}\n# hp2 1700000000\n${gossip.slice(1_000).join('\n')}\n`;
    const list = await CommitmentBlacklist.load(store, undefined, { maxEntries: 1_000 }, () => 1_700_000_000_000);
    expect(list.stats).toMatchObject({ own: 50, gossip: 950, evicted: 1_050 });
    expect(own.every((c) => list.isUsed(c))).toBe(true);
    expect(gossip.slice(1_050).every((c) => list.isUsed(c))).toBe(true);
    expect(gossip.slice(0, 1_050).some((c) => list.isUsed(c))).toBe(false);
  });

  it('compacts once the file holds twice the live entries', async () => {
    const store = new MemoryCommitmentStore();
    const list = await CommitmentBlacklist.load(store, undefined, { maxEntries: 100, flushDelayMs: 0 });
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 100; i++) list.learn(hex());
      await list.flushed();
    }
    expect(store.replaces).toBeGreaterThan(0);
    const entries = store.text.split('\n').filter((l) => /^[0-9a-f]{64}$/.test(l)).length;
    expect(entries).toBeLessThanOrEqual(2 * 100 + 1_000 + 100);
    expect(store.bytesWritten).toBeLessThan(3_000 * 65 * 3);
  });

  it('a failed write is logged, flushed() still resolves, and the next entry rewrites the whole list', async () => {
    const store = new MemoryCommitmentStore();
    let fail = true;
    const append = store.append.bind(store);
    store.append = async (t: string) => {
      if (fail) throw new Error('ENOSPC');
      return append(t);
    };
    const list = await CommitmentBlacklist.load(store, undefined, { flushDelayMs: 0 });
    const first = hex();
    await list.add(first);
    expect(store.text).toBe('');
    fail = false;
    await list.add(hex());
    expect(store.replaces).toBe(1);
    expect(store.text).toContain(first);
  });

  it('gossip learnt transiently is blocked but never written, and at most maxTransient are kept', async () => {
    const store = new MemoryCommitmentStore();
    const b = await CommitmentBlacklist.load(store, undefined, { maxTransient: 3, flushDelayMs: 0 });
    const hex = (i: number): string => i.toString(16).padStart(64, '0');
    for (let i = 0; i < 5; i++) expect(b.learnTransient(hex(i))).toBe(true);
    expect(b.learnTransient(hex(4))).toBe(false);
    await b.flushed();
    expect([0, 1, 2, 3, 4].map((i) => b.isBlocked(hex(i)))).toEqual([false, false, true, true, true]);
    expect(b.size).toBe(0);
    expect(store.text).toBe('');
  });

  it('reserves a commitment for a session in progress', () => {
    const list = CommitmentBlacklist.memory();
    const c = hex();
    expect(list.reserve(c)).toBe(true);
    expect(list.reserve(c.toUpperCase())).toBe(false);
    expect(list.isBlocked(c)).toBe(true);
    expect(list.isUsed(c)).toBe(false);
    list.release(c);
    expect(list.isBlocked(c)).toBe(false);
  });
});
