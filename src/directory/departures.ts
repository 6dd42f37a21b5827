/**
 * Coalesced `;D` notices. The reference sends one PEERLIST per departure to every peer, which
 * is O(N²) when many peers leave at once. We collect departures for a short window and send
 * every remaining peer the same pre-serialised buffer: each chunk is "<dn>;<loc>" (first, as
 * the reference does) followed by up to 19 `nick;loc;D` entries.
 *
 * Every byte of a notice goes to every peer, and a departure costs a churner one relayed
 * privmsg, so the notices have a DN-wide byte budget (a token bucket of `bytesPerSec`, holding
 * `burstMs` worth). Departures that matter (a proven serving location, an announced offer:
 * clients drop a maker's offers on its `;D`) may empty the bucket; the rest only take it down
 * to half, and what does not fit is dropped (counted): a missed `;D` leaves a stale entry in a
 * client's list, and privmsgs to a gone nick are dropped by the DN anyway.
 */
import type { Clock, Timer } from '../util/clock.js';
import { refill } from '../util/rate-limit.js';
import { encodeEnvelopeBuffer } from '../protocol/framing.js';
import { MsgType } from '../protocol/message-types.js';
import { encodePeerEntry } from '../protocol/peerlist.js';

export const ENTRIES_PER_CHUNK = 20;

export interface DepartureSink {
  /** The directory's own entry, "<dn-nick>;<dn-location>". */
  selfEntry(): string;
  /** Whether the nick is registered again (it reconnected within the window). */
  isPresent(nick: string): boolean;
  /** Sends the buffer to every registered peer. */
  broadcast(buf: Buffer): void;
  /** Departures of this window left unannounced by the budget (priority: proven or offering). */
  dropped?(priority: number, other: number): void;
}

/** DN-wide byte budget of the notices; bytesPerSec 0 = none. */
export interface DepartureBudget {
  bytesPerSec: number;
  burstMs: number;
}

interface Gone {
  nick: string;
  location: string;
}

/** Builds the PEERLIST lines for a set of departures, DN entry first in every chunk. */
export function departureLines(selfEntry: string, gone: ReadonlyArray<Gone>): string[] {
  const lines: string[] = [];
  for (let i = 0; i < gone.length; i += ENTRIES_PER_CHUNK - 1) {
    const parts = [selfEntry];
    for (const g of gone.slice(i, i + ENTRIES_PER_CHUNK - 1)) parts.push(encodePeerEntry({ ...g, disconnected: true }));
    lines.push(parts.join(','));
  }
  return lines;
}

export class DepartureNotifier {
  /** nick → location and priority, in departure order. */
  private gone = new Map<string, { location: string; priority: boolean }>();
  private timer: Timer | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private readonly capacity: number;
  private level: number;
  private stamp: number;

  constructor(
    private readonly sink: DepartureSink,
    private readonly clock: Clock,
    private readonly windowMs: number,
    private readonly budget: DepartureBudget = { bytesPerSec: 0, burstMs: 1_000 },
  ) {
    this.capacity = (budget.bytesPerSec * budget.burstMs) / 1000;
    this.level = this.capacity;
    this.stamp = clock.now();
  }

  /** `priority`: a departure clients act on (proven serving location, announced offer). */
  add(nick: string, location: string, priority = false): void {
    this.gone.set(nick, { location, priority });
    if (this.timer !== null || this.immediate !== null) return;
    if (this.windowMs > 0) this.timer = this.clock.setTimeout(this.flush, this.windowMs);
    else this.immediate = setImmediate(this.flush);
  }

  get queued(): number {
    return this.gone.size;
  }

  /** Whether a departure of this nick waits in the current window. */
  has(nick: string): boolean {
    return this.gone.has(nick);
  }

  /** Fill of the byte budget (1 full, 0 empty), null when off. */
  fill(now = this.clock.now()): number | null {
    if (this.capacity <= 0) return null;
    return refill(this.level, this.stamp, now, this.capacity, this.budget.burstMs) / this.capacity;
  }

  readonly flush = (): void => {
    this.timer = null;
    this.immediate = null;
    const gone: Array<Gone & { priority: boolean }> = [];
    for (const [nick, g] of this.gone) if (!this.sink.isPresent(nick)) gone.push({ nick, ...g });
    this.gone.clear();
    if (gone.length === 0) return;
    const self = this.sink.selfEntry();
    const sent = this.capacity > 0 ? this.withinBudget(self, gone) : gone;
    if (sent.length === 0) return;
    const lines = departureLines(self, sent);
    this.sink.broadcast(Buffer.concat(lines.map((l) => encodeEnvelopeBuffer(MsgType.PEERLIST, l))));
  };

  /**
   * The departures the budget lets through, in departure order, and charges their bytes:
   * priority ones first (down to empty), then the rest (down to half). Exact cost: each entry
   * and its comma, and one envelope with the DN entry per chunk.
   */
  private withinBudget<T extends Gone & { priority: boolean }>(self: string, gone: T[]): T[] {
    const now = this.clock.now();
    this.level = refill(this.level, this.stamp, now, this.capacity, this.budget.burstMs);
    this.stamp = now;
    const chunkBytes = encodeEnvelopeBuffer(MsgType.PEERLIST, self).length;
    const keep = new Set<T>();
    let spent = 0;
    for (const priority of [true, false]) {
      const floor = priority ? 0 : this.capacity / 2;
      for (const g of gone) {
        if (g.priority !== priority) continue;
        const cost = Buffer.byteLength(g.nick) + Buffer.byteLength(g.location) + 4 + (keep.size % (ENTRIES_PER_CHUNK - 1) === 0 ? chunkBytes : 0);
        if (this.level - spent - cost < floor) continue;
        spent += cost;
        keep.add(g);
      }
    }
    this.level -= spent;
    if (keep.size < gone.length) {
      let priority = 0;
      for (const g of gone) if (g.priority && !keep.has(g)) priority++;
      this.sink.dropped?.(priority, gone.length - keep.size - priority);
    }
    return keep.size === gone.length ? gone : gone.filter((g) => keep.has(g));
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    this.gone.clear();
  }
}
