/**
 * The maker's used-commitment list (coinjoin-protocol.md §6.6): lowercase 64-hex lines,
 * checked at `!fill`, appended after `!ioauth` and on public `!hp2`. Written atomically; a
 * corrupt line is skipped with a warning rather than stopping the maker. Commitments of
 * sessions in progress are reserved in memory so two takers cannot use one concurrently.
 */
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-file.js';
import { silentLogger, type Logger } from '../util/logger.js';

const HEX64 = /^[0-9a-f]{64}$/;

export class CommitmentBlacklist {
  private readonly used = new Set<string>();
  private readonly reserved = new Set<string>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly path: string | null, private readonly log: Logger) {}

  /** In-memory only (tests). */
  static memory(): CommitmentBlacklist {
    return new CommitmentBlacklist(null, silentLogger());
  }

  static async load(path: string, log: Logger = silentLogger()): Promise<CommitmentBlacklist> {
    const b = new CommitmentBlacklist(path, log);
    let text = '';
    try {
      text = await fs.readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read commitment list ${path}: ${(e as Error).message}`);
    }
    let bad = 0;
    for (const line of text.split('\n')) {
      const t = line.trim().toLowerCase();
      if (t === '') continue;
      if (HEX64.test(t)) b.used.add(t);
      else bad++;
    }
    if (bad > 0) log.warn({ path, bad }, 'skipped malformed lines in the commitment list');
    return b;
  }

  get size(): number {
    return this.used.size;
  }

  /** Used before, or taken by a session in progress. */
  isBlocked(hex: string): boolean {
    const k = hex.toLowerCase();
    return this.used.has(k) || this.reserved.has(k);
  }

  isUsed(hex: string): boolean {
    return this.used.has(hex.toLowerCase());
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

  /** Marks as used and persists; resolves when the file is written. */
  add(hex: string): Promise<void> {
    const k = hex.toLowerCase();
    if (!HEX64.test(k)) return Promise.resolve();
    this.reserved.delete(k);
    if (this.used.has(k)) return this.writing;
    this.used.add(k);
    return this.persist();
  }

  private persist(): Promise<void> {
    const path = this.path;
    if (path === null) return Promise.resolve();
    // serialise writes; each writes the whole current set
    this.writing = this.writing
      .then(() => writeFileAtomic(path, [...this.used].map((c) => `${c}\n`).join(''), { overwrite: true }))
      .catch((e: unknown) => this.log.error({ err: (e as Error).message, path }, 'could not write the commitment list'));
    return this.writing;
  }
}
