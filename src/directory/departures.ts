/**
 * Coalesced `;D` notices. The reference sends one PEERLIST per departure to every peer, which
 * is O(N²) when many peers leave at once. We collect departures for a short window and send
 * every remaining peer the same pre-serialised buffer: each chunk is "<dn>;<loc>" (first, as
 * the reference does) followed by up to 19 `nick;loc;D` entries.
 */
import type { Clock, Timer } from '../util/clock.js';
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
}

/** Builds the PEERLIST lines for a set of departures, DN entry first in every chunk. */
export function departureLines(selfEntry: string, gone: ReadonlyArray<{ nick: string; location: string }>): string[] {
  const lines: string[] = [];
  for (let i = 0; i < gone.length; i += ENTRIES_PER_CHUNK - 1) {
    const parts = [selfEntry];
    for (const g of gone.slice(i, i + ENTRIES_PER_CHUNK - 1)) parts.push(encodePeerEntry({ ...g, disconnected: true }));
    lines.push(parts.join(','));
  }
  return lines;
}

export class DepartureNotifier {
  /** nick → location, in departure order. */
  private gone = new Map<string, string>();
  private timer: Timer | null = null;
  private immediate: NodeJS.Immediate | null = null;

  constructor(
    private readonly sink: DepartureSink,
    private readonly clock: Clock,
    private readonly windowMs: number,
  ) {}

  add(nick: string, location: string): void {
    this.gone.set(nick, location);
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

  readonly flush = (): void => {
    this.timer = null;
    this.immediate = null;
    const gone: Array<{ nick: string; location: string }> = [];
    for (const [nick, location] of this.gone) if (!this.sink.isPresent(nick)) gone.push({ nick, location });
    this.gone.clear();
    if (gone.length === 0) return;
    const lines = departureLines(this.sink.selfEntry(), gone);
    this.sink.broadcast(Buffer.concat(lines.map((l) => encodeEnvelopeBuffer(MsgType.PEERLIST, l))));
  };

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    this.gone.clear();
  }
}
