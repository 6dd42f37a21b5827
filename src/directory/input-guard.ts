/**
 * Bytes held for unterminated lines. Each connection's splitter holds at most one line
 * (40,001 bytes) in one buffer; this ledger adds the DN-wide view: the total held, a deadline
 * for completing a started line (also after the handshake), and a budget that, when exceeded,
 * sheds the connections whose current line started longest ago (an honest peer's line is in
 * flight for milliseconds; a dripping attacker's for as long as it can make it).
 */
import type { DirectoryLimits } from './limits.js';
import type { PeerConnection } from './peer-connection.js';

export type InputLimits = Pick<DirectoryLimits, 'lineTimeoutMs' | 'inputBudgetBytes'>;

export class InputGuard {
  /** Bytes allocated to unterminated lines over all connections. */
  heldBytes = 0;
  /** Connections in the middle of a line, in the order their lines started. */
  private readonly partial = new Set<PeerConnection>();

  constructor(private readonly limits: InputLimits) {}

  /**
   * Accounts a connection after its splitter took a chunk. `capacityBefore` is the splitter's
   * capacity before; `completed` says a line ended in the chunk (so any remainder is a new line).
   */
  track(conn: PeerConnection, capacityBefore: number, completed: boolean, now: number): void {
    this.heldBytes += conn.splitter.capacity - capacityBefore;
    if (conn.splitter.bufferedBytes === 0) {
      if (conn.lineStartedAt !== 0) this.partial.delete(conn);
      conn.lineStartedAt = 0;
    } else if (conn.lineStartedAt === 0 || completed) {
      this.partial.delete(conn);
      this.partial.add(conn);
      conn.lineStartedAt = now;
    }
  }

  /** The connection is closing or gone: whatever it held is let go. */
  release(conn: PeerConnection): void {
    this.heldBytes -= conn.splitter.capacity;
    conn.splitter.release();
    this.partial.delete(conn);
    conn.lineStartedAt = 0;
  }

  get overBudget(): boolean {
    return this.heldBytes > this.limits.inputBudgetBytes;
  }

  /** Connections to shed, oldest line first, while the total stays over budget. */
  *toShed(): Generator<PeerConnection> {
    for (const c of this.partial) {
      if (!this.overBudget) return;
      yield c;
    }
  }

  /** Connections whose current line has been incomplete for the line timeout (0 = never). */
  *expired(now: number): Generator<PeerConnection> {
    const t = this.limits.lineTimeoutMs;
    if (t === 0) return;
    for (const c of this.partial) {
      if (now - c.lineStartedAt < t) return;
      yield c;
    }
  }
}
