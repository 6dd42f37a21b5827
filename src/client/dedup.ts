import { createHash } from 'node:crypto';

/**
 * Keys longer than this are kept as their SHA-256: a peer controls the line, and up to 20,000
 * remembered 40 KB lines would be 800 MB. A collision would need a SHA-256 collision.
 */
const HASH_KEYS_OVER = 64;
function compactKey(key: string): string {
  return key.length <= HASH_KEYS_OVER ? key : createHash('sha256').update(key).digest('base64');
}

/**
 * Cross-directory de-duplication. The same line arriving through a *different* directory
 * within the window is a copy; arriving again through the *same* directory means the sender
 * sent it again (e.g. a cancel and an identical re-announcement), so it counts as new.
 */
export class CrossDirectoryDedup {
  private readonly seen = new Map<string, { dns: Set<string>; at: number }>();

  constructor(private readonly windowMs = 60_000, private readonly maxEntries = 20_000) {}

  /** True when this is the first copy; false when another directory already delivered it. */
  accept(line: string, dn: string, now: number): boolean {
    const key = compactKey(line);
    const e = this.seen.get(key);
    if (e && now - e.at < this.windowMs && !e.dns.has(dn)) {
      e.dns.add(dn);
      return false;
    }
    this.seen.delete(key);
    this.seen.set(key, { dns: new Set([dn]), at: now });
    if (this.seen.size > this.maxEntries) this.evict(now);
    return true;
  }

  private evict(now: number): void {
    for (const [k, e] of this.seen) {
      if (this.seen.size <= this.maxEntries / 2 && now - e.at < this.windowMs) break;
      this.seen.delete(k);
    }
  }
}
