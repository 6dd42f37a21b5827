/**
 * Counted log lines for events a peer can repeat at will (refused connections, malformed or
 * forged messages, oversize lines). The first event of a kind is logged at once; further ones
 * are only counted, and one summary line per interval reports how many there were, until an
 * interval passes without one. A flood then costs at most two lines per kind per interval,
 * whatever its rate. With `perInterval`, up to that many events of the kind are logged in full
 * in every interval (events an operator wants to see one by one when they are few).
 */
import { systemClock, type Clock, type Timer } from './clock.js';
import type { Logger } from './logger.js';

export type ThrottledLevel = 'debug' | 'info' | 'warn' | 'error';

interface Slot {
  level: ThrottledLevel;
  msg: string;
  /** Events since the last line of this kind. */
  count: number;
  /** Lines logged in full in this interval, how many may be, and whether that renews per interval. */
  logged: number;
  burst: number;
  renew: boolean;
  /** Fields of the latest counted event, shown in the summary. */
  last: Record<string, unknown>;
  timer: Timer | null;
}

export const DEFAULT_LOG_SUMMARY_MS = 60_000;

export class LogThrottle {
  private readonly slots = new Map<string, Slot>();
  private _total = 0;

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = DEFAULT_LOG_SUMMARY_MS,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Events noted so far, logged or counted. */
  get total(): number {
    return this._total;
  }

  /** Logs the event now if its kind was quiet, otherwise counts it for the next summary. */
  note(level: ThrottledLevel, kind: string, fields: Record<string, unknown>, msg: string, perInterval?: number): void {
    this._total++;
    const s = this.slots.get(kind);
    if (s && s.logged >= s.burst) {
      s.count++;
      s.last = fields;
      return;
    }
    this.log[level]({ ...fields, kind }, msg);
    if (s) s.logged++;
    else this.slots.set(kind, { level, msg, count: 0, logged: 1, burst: perInterval ?? 1, renew: perInterval !== undefined, last: fields, timer: this.arm(kind) });
  }

  /** Writes the pending summaries and stops the timers. */
  close(): void {
    for (const kind of [...this.slots.keys()]) {
      const s = this.slots.get(kind)!;
      if (s.timer !== null) this.clock.clearTimeout(s.timer);
      s.timer = null;
      this.summarise(kind, s);
      this.slots.delete(kind);
    }
  }

  private arm(kind: string): Timer {
    const t = this.clock.setTimeout(() => this.flush(kind), this.intervalMs);
    if (typeof t === 'object' && t !== null && 'unref' in t) t.unref?.();
    return t;
  }

  private flush(kind: string): void {
    const s = this.slots.get(kind);
    if (!s) return;
    if (s.count === 0) {
      this.slots.delete(kind); // a quiet interval: the next event is logged in full again
      return;
    }
    this.summarise(kind, s);
    if (s.renew) s.logged = 0;
    s.timer = this.arm(kind);
  }

  private summarise(kind: string, s: Slot): void {
    if (s.count === 0) return;
    this.log[s.level]({ ...s.last, kind, repeated: s.count, intervalMs: this.intervalMs }, `${s.msg} (repeated ${s.count} times)`);
    s.count = 0;
  }
}
