/**
 * Output memory the directory holds for peers that have not taken it yet, DN-wide. It counts
 * private bytes only: this turn's queue and the private buffers (direct sends, per-connection
 * concatenations) still in a socket's write buffer. The turn's shared broadcast Buffer is one
 * allocation however many sockets hold it, and each socket holds at most the high-water mark
 * of it, so counting it per socket would overstate memory by the peer count and shed honest
 * peers whenever tor is briefly slow to read.
 *
 * A socket drains in write order, so `written - writableLength` is how far it got; the private
 * writes are kept as [start, end) spans of that stream and dropped once passed. Drains are not
 * observed as they happen: a connection's count is refreshed when it is written to, and all of
 * them before shedding, so the total is an upper bound between refreshes.
 */
import type { DirectoryLimits } from './limits.js';
import type { PeerConnection } from './peer-connection.js';

/** Private spans of one connection's write stream that may still be unsent. */
export interface PrivateSpans {
  /** [start0, end0, start1, end1, ...] in stream offsets; entries before `head` are spent. */
  spans: number[];
  head: number;
  /** Sum of (end - start) from head on. */
  bytes: number;
}

export class OutputGuard {
  /** Counted unsent private bytes over all connections (an upper bound between refreshes). */
  total = 0;
  private readonly holders = new Set<PeerConnection>();

  constructor(private readonly limits: Pick<DirectoryLimits, 'outputBudgetBytes'>) {}

  /** Records `bytes` handed to the socket (shared: the turn's broadcast Buffer) and recounts. */
  wrote(c: PeerConnection, bytes: number, shared: boolean): void {
    const start = c.written;
    c.written += bytes;
    if (!shared && bytes > 0) {
      const p = (c.privateOut ??= { spans: [], head: 0, bytes: 0 });
      const s = p.spans;
      // Consecutive private writes extend one span.
      if (s.length > p.head && s[s.length - 1] === start) s[s.length - 1] = c.written;
      else s.push(start, c.written);
      p.bytes += bytes;
    }
    this.recount(c);
  }

  /** Re-reads how much of the connection's private output is still unsent. */
  recount(c: PeerConnection): void {
    let held = c.pendingBytes;
    const p = c.privateOut;
    if (p !== null) {
      const sent = c.written - c.socket.writableLength;
      const s = p.spans;
      while (p.head < s.length && s[p.head + 1]! <= sent) {
        p.bytes -= s[p.head + 1]! - s[p.head]!;
        p.head += 2;
      }
      if (p.head === s.length) c.privateOut = null;
      else {
        if (p.head >= 64) {
          s.splice(0, p.head);
          p.head = 0;
        }
        held += p.bytes - Math.max(0, sent - s[p.head]!);
      }
    }
    this.total += held - c.counted;
    c.counted = held;
    if (held > 0) this.holders.add(c);
    else this.holders.delete(c);
  }

  /** The connection is closing: its output no longer counts (its socket is ended or destroyed). */
  forget(c: PeerConnection): void {
    this.total -= c.counted;
    c.counted = 0;
    c.privateOut = null;
    this.holders.delete(c);
  }

  get overBudget(): boolean {
    return this.total > this.limits.outputBudgetBytes;
  }

  /**
   * After refreshing every count: the connections to cut, largest first, until the total is
   * down to three quarters of the budget (so shedding does not run again on the next turn).
   */
  toShed(): PeerConnection[] {
    for (const c of [...this.holders]) this.recount(c);
    if (!this.overBudget) return [];
    const target = (this.limits.outputBudgetBytes * 3) / 4;
    const out: PeerConnection[] = [];
    let total = this.total;
    for (const c of [...this.holders].sort((a, b) => b.counted - a.counted)) {
      if (total <= target) break;
      out.push(c);
      total -= c.counted;
    }
    return out;
  }
}
