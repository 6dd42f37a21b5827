/**
 * The maker's used-commitment list (coinjoin-protocol.md §6.6): lowercase 64-hex lines,
 * checked at `!fill`, added after our own `!ioauth` ("own") and from public `!hp2` gossip.
 * Commitments of sessions in progress are reserved in memory so two takers cannot use one
 * concurrently.
 *
 * Anyone can gossip, so the list is bounded: at most `maxEntries` (gossip is evicted before
 * our own entries, oldest first) and gossip older than `gossipMaxAgeMs` is forgotten. Gossip
 * the maker learns beyond its budget for the list (`learnTransient`) is only remembered in
 * memory, at most `maxTransient` entries (oldest forgotten first), so a crowd of gossiping
 * nicks cannot churn the list, and gossip arriving during such a flood still counts. Writes
 * are appended in coalesced batches, at most one in flight; the file is rewritten (atomically)
 * only to compact it once it holds twice the live entries. Loading streams the file through
 * the same bounds, so a list of any length costs memory for `maxEntries` at most.
 *
 * File format: REF/NG read one commitment per line; we add `# <kind> <unix-seconds>` lines
 * before each batch (REF/NG take them for entries that never match). Lines before any marker
 * (a REF list, or an older one of ours) count as our own.
 */
import { AgeMap } from '../util/age-map.js';
import { LogThrottle } from '../util/log-throttle.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { CommitmentFile, type CommitmentStore } from './commitment-file.js';

const HEX64 = /^[0-9a-f]{64}$/;
const MARKER = /^# (own|hp2) (\d{1,12})$/;

export type CommitmentKind = 'own' | 'hp2';

export interface CommitmentLimits {
  maxEntries: number;
  gossipMaxAgeMs: number;
  /** Entries added within this long share one write. */
  flushDelayMs: number;
  /** Gossip remembered in memory only (learnTransient). */
  maxTransient: number;
}
export const DEFAULT_COMMITMENT_LIMITS: CommitmentLimits = { maxEntries: 100_000, gossipMaxAgeMs: 90 * 86_400_000, flushDelayMs: 250, maxTransient: 20_000 };

export interface CommitmentStats {
  own: number;
  gossip: number;
  evicted: number;
  expired: number;
  writes: number;
  compactions: number;
}

interface Pending {
  hex: string;
  kind: CommitmentKind;
  sec: number;
}

export class CommitmentBlacklist {
  /** hex → unix seconds learnt, oldest first. */
  private readonly own = new AgeMap<string, number>();
  private readonly gossip = new AgeMap<string, number>();
  private readonly reserved = new Set<string>();
  private readonly transient = new AgeMap<string, true>();
  private readonly limits: CommitmentLimits;
  private pending: Pending[] = [];
  /** Entry lines in the file (live or not), to know when compaction pays. */
  private fileEntries = 0;
  private rewrite = false;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private waiters: Array<() => void> = [];
  private readonly counts = { evicted: 0, expired: 0, writes: 0, compactions: 0 };
  private readonly errors: LogThrottle;

  private constructor(
    private readonly store: CommitmentStore | null,
    log: Logger,
    limits: Partial<CommitmentLimits>,
    private readonly now: () => number,
  ) {
    this.limits = { ...DEFAULT_COMMITMENT_LIMITS, ...limits };
    this.errors = new LogThrottle(log);
  }

  /** In-memory only (tests). */
  static memory(limits: Partial<CommitmentLimits> = {}, now: () => number = Date.now): CommitmentBlacklist {
    return new CommitmentBlacklist(null, silentLogger(), limits, now);
  }

  /**
   * Reads the list in two passes so that memory never holds more than the bound: the first
   * counts the entries of each kind (no strings made), the second skips the ones the bounds
   * would evict anyway (the oldest beyond `maxEntries`, expired gossip) and keeps the rest.
   */
  static async load(
    where: string | CommitmentStore, log: Logger = silentLogger(), limits: Partial<CommitmentLimits> = {}, now: () => number = Date.now,
  ): Promise<CommitmentBlacklist> {
    const store = typeof where === 'string' ? new CommitmentFile(where) : where;
    const b = new CommitmentBlacklist(store, log, limits, now);
    const counts = { own: 0, hp2: 0 };
    let entries = 0;
    await walk(store, now, (_line, kind, sec) => {
      entries++;
      if (kind === 'own' || !b.tooOld(sec)) counts[kind]++;
    });
    const keepOwn = Math.min(counts.own, b.limits.maxEntries);
    const skip = { own: counts.own - keepOwn, hp2: counts.hp2 - Math.min(counts.hp2, b.limits.maxEntries - keepOwn) };
    let bad = 0;
    const { junk } = await walk(store, now, (line, kind, sec) => {
      if (kind === 'hp2' && b.tooOld(sec)) return void b.counts.expired++;
      if (skip[kind] > 0) {
        skip[kind]--;
        return void b.counts.evicted++;
      }
      const hex = line.toString('latin1').toLowerCase();
      if (HEX64.test(hex)) b.insert(hex, kind, sec);
      else bad++;
    });
    b.fileEntries = entries;
    if (bad + junk > 0) log.warn({ bad: bad + junk }, 'skipped malformed lines in the commitment list');
    if (b.fileEntries > b.size || bad + junk > 0) {
      // duplicates, evicted or expired entries, junk: write the bounded list once
      b.rewrite = true;
      b.schedule(0);
    }
    log.info({ own: b.own.size, gossip: b.gossip.size, fileEntries: entries }, 'commitment list loaded');
    return b;
  }

  get size(): number {
    return this.own.size + this.gossip.size;
  }

  get stats(): CommitmentStats {
    return { own: this.own.size, gossip: this.gossip.size, ...this.counts };
  }

  /** Used before, or taken by a session in progress. */
  isBlocked(hex: string): boolean {
    const k = hex.toLowerCase();
    return this.isUsed(k) || this.reserved.has(k);
  }

  isUsed(hex: string): boolean {
    const k = hex.toLowerCase();
    if (this.own.has(k) || this.transient.has(k)) return true;
    const t = this.gossip.get(k);
    return t !== undefined && !this.tooOld(t);
  }

  /** false if already used or reserved. */
  reserve(hex: string): boolean {
    if (this.isBlocked(hex)) return false;
    this.reserved.add(hex.toLowerCase());
    return true;
  }

  release(hex: string): void {
    this.reserved.delete(hex.toLowerCase());
  }

  /** Marks as used by one of our sessions; resolves when it is on disk. */
  add(hex: string): Promise<void> {
    const k = hex.toLowerCase();
    this.reserved.delete(k);
    if (!HEX64.test(k) || this.own.has(k)) return this.flushed();
    this.gossip.delete(k);
    return this.record(k, 'own');
  }

  /** A commitment from public gossip; true if it was new to us. */
  learn(hex: string): boolean {
    const k = hex.toLowerCase();
    if (!HEX64.test(k) || this.isUsed(k)) return false;
    this.gossip.delete(k); // an expired copy
    this.record(k, 'hp2').catch((e: unknown) => this.writeFailed(e));
    return true;
  }

  /** Gossip kept in memory only (past the budget for the list); true if it was new to us. */
  learnTransient(hex: string): boolean {
    const k = hex.toLowerCase();
    if (!HEX64.test(k) || this.isUsed(k)) return false;
    this.transient.set(k, true);
    if (this.transient.size > this.limits.maxTransient) this.transient.shift();
    return true;
  }

  /** Resolves once everything added so far is written (or its write failed and was logged). */
  flushed(): Promise<void> {
    if (this.store === null || (this.timer === null && this.inFlight === null)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Writes what is pending now (no coalescing delay) and waits for it. */
  async close(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
      this.write().catch((e: unknown) => this.writeFailed(e));
    }
    await this.flushed();
    this.errors.close();
  }

  private record(k: string, kind: CommitmentKind): Promise<void> {
    const sec = Math.floor(this.now() / 1000);
    this.insert(k, kind, sec);
    this.expire();
    if (this.store === null) return Promise.resolve();
    this.pending.push({ hex: k, kind, sec });
    this.schedule(this.limits.flushDelayMs);
    return this.flushed();
  }

  private insert(k: string, kind: CommitmentKind, sec: number): void {
    if (this.own.has(k)) return;
    if (kind === 'own') this.gossip.delete(k);
    else if (this.gossip.has(k)) return;
    (kind === 'own' ? this.own : this.gossip).set(k, sec);
    while (this.size > this.limits.maxEntries) {
      (this.gossip.size > 0 ? this.gossip : this.own).shift();
      this.counts.evicted++;
    }
  }

  private tooOld(sec: number): boolean {
    return this.now() - sec * 1000 > this.limits.gossipMaxAgeMs;
  }

  private expire(): void {
    for (let o = this.gossip.oldest(); o !== undefined && this.tooOld(o[1]); o = this.gossip.oldest()) {
      this.gossip.shift();
      this.counts.expired++;
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer !== null || this.inFlight !== null) return; // the running write reschedules
    this.timer = setTimeout(() => {
      this.timer = null;
      this.write().catch((e: unknown) => this.writeFailed(e));
    }, delayMs);
    this.timer.unref();
  }

  private writeFailed(e: unknown): void {
    this.errors.note('error', 'write', { err: (e as Error).message }, 'could not write the commitment list');
  }

  /** One write at a time: an append of what is pending, or the whole list when compacting. */
  private async write(): Promise<void> {
    if (this.inFlight !== null) return;
    if (this.fileEntries > 2 * this.size + 1_000) this.rewrite = true;
    const batch = this.pending;
    this.pending = [];
    const full = this.rewrite;
    this.rewrite = false;
    const text = full ? this.serialise() : format(batch);
    let ok = true;
    this.inFlight = (full ? this.store!.replace(text) : this.store!.append(text)).then(
      () => {
        this.counts.writes++;
        if (full) this.counts.compactions++;
        this.fileEntries = full ? this.size : this.fileEntries + batch.length;
      },
      (e: unknown) => {
        ok = false;
        this.rewrite = true; // the next write (on the next entry) puts the whole list back
        this.errors.note('error', 'write', { err: (e as Error).message }, 'could not write the commitment list');
      },
    );
    await this.inFlight;
    this.inFlight = null;
    if (ok && this.pending.length > 0) return this.schedule(this.limits.flushDelayMs);
    for (const w of this.waiters.splice(0)) w();
  }

  private serialise(): string {
    const all: Pending[] = [];
    for (const [hex, sec] of this.own.entries()) all.push({ hex, kind: 'own', sec });
    for (const [hex, sec] of this.gossip.entries()) all.push({ hex, kind: 'hp2', sec });
    return format(all);
  }
}

/** Entries as lines, a `# <kind> <seconds>` marker before each run of one kind and each new hour. */
function format(entries: readonly Pending[]): string {
  let out = '';
  let kind: CommitmentKind | null = null;
  let since = 0;
  for (const e of entries) {
    if (e.kind !== kind || e.sec - since >= 3_600) {
      out += `# ${e.kind} ${e.sec}\n`;
      kind = e.kind;
      since = e.sec;
    }
    out += `${e.hex}\n`;
  }
  return out;
}

const SPACE = new Set([0x20, 0x09, 0x0d]);

/**
 * Calls `entry` for every line of 64 non-blank bytes with the kind and time of the marker
 * above it (lines before any marker: own, now); counts other non-blank, non-`#` lines as junk.
 */
async function walk(store: CommitmentStore, now: () => number, entry: (line: Buffer, kind: CommitmentKind, sec: number) => void): Promise<{ junk: number }> {
  let kind: CommitmentKind = 'own';
  let sec = Math.floor(now() / 1000);
  let junk = 0;
  const { skipped } = await store.read((raw) => {
    let from = 0;
    let to = raw.length;
    while (from < to && SPACE.has(raw[from]!)) from++;
    while (to > from && SPACE.has(raw[to - 1]!)) to--;
    if (to - from === 64) return entry(raw.subarray(from, to), kind, sec);
    if (to === from) return;
    if (raw[from] !== 0x23) return void junk++; // '#'
    const m = MARKER.exec(raw.toString('latin1', from, to));
    if (m) {
      kind = m[1] as CommitmentKind;
      sec = Number(m[2]);
    }
  });
  return { junk: junk + skipped };
}
