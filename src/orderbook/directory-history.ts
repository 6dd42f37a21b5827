/**
 * Per-directory history for the watcher: once a minute each directory is sampled up or down
 * (connected after a completed handshake); every (re)connect adds its handshake time, every
 * PING its round trip. Summaries cover the last hour and day; a 24-slot
 * timeline (one per hour) feeds the page. Memory is bounded per directory: one day of samples
 * and at most MAX_EVENTS connect/disconnect events.
 */
import type { Clock } from '../util/clock.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
const MAX_EVENTS = 2000;

interface Sample {
  at: number;
  up: boolean;
}
interface Timed {
  at: number;
  ms: number;
}

export interface WindowSummary {
  /** Share of samples with the directory connected (0..1); null before the first sample. */
  uptime: number | null;
  samples: number;
  connects: number;
  disconnects: number;
  /** Median handshake time of the connects in the window. */
  handshakeMs: number | null;
  /** Median PING round trip in the window. */
  rttMs: number | null;
}

export interface DirectoryHistorySummary {
  hour: WindowSummary;
  day: WindowSummary;
  /** 24 hourly slots, oldest first, ending with the current hour: uptime share or null (no samples). */
  timeline: Array<number | null>;
}

class Track {
  samples: Sample[] = [];
  /** Handshake time of each connect. */
  connects: Timed[] = [];
  disconnects: number[] = [];
  rtts: Timed[] = [];
}

function capped<T>(xs: T[], x: T): void {
  xs.push(x);
  if (xs.length > MAX_EVENTS) xs.shift();
}

/** Drops the leading entries at or before `cut` (entries are in time order). */
function dropBefore<T>(xs: T[], cut: number, at: (x: T) => number): void {
  let i = 0;
  while (i < xs.length && at(xs[i]!) <= cut) i++;
  if (i > 0) xs.splice(0, i);
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
}

export class DirectoryHistory {
  private readonly tracks = new Map<string, Track>();

  constructor(private readonly clock: Clock) {}

  private track(dn: string): Track {
    let t = this.tracks.get(dn);
    if (!t) this.tracks.set(dn, (t = new Track()));
    return t;
  }

  connected(dn: string, handshakeMs: number): void {
    capped(this.track(dn).connects, { at: this.clock.now(), ms: handshakeMs });
  }

  disconnected(dn: string): void {
    capped(this.track(dn).disconnects, this.clock.now());
  }

  rtt(dn: string, ms: number): void {
    capped(this.track(dn).rtts, { at: this.clock.now(), ms });
  }

  sample(dn: string, up: boolean): void {
    const t = this.track(dn);
    t.samples.push({ at: this.clock.now(), up });
    this.prune(t);
  }

  private prune(t: Track): void {
    const cut = this.clock.now() - DAY_MS;
    dropBefore(t.samples, cut, (x) => x.at);
    dropBefore(t.connects, cut, (x) => x.at);
    dropBefore(t.rtts, cut, (x) => x.at);
    dropBefore(t.disconnects, cut, (x) => x);
  }

  private window(t: Track, from: number): WindowSummary {
    const s = t.samples.filter((x) => x.at > from);
    const c = t.connects.filter((x) => x.at > from);
    return {
      uptime: s.length === 0 ? null : s.filter((x) => x.up).length / s.length,
      samples: s.length,
      connects: c.length,
      disconnects: t.disconnects.filter((x) => x > from).length,
      handshakeMs: median(c.map((x) => x.ms)),
      rttMs: median(t.rtts.filter((x) => x.at > from).map((x) => x.ms)),
    };
  }

  summary(dn: string): DirectoryHistorySummary {
    const t = this.track(dn);
    this.prune(t);
    const now = this.clock.now();
    const slotStart = now - (now % HOUR_MS) - 23 * HOUR_MS;
    const up = new Array<number>(24).fill(0);
    const all = new Array<number>(24).fill(0);
    for (const x of t.samples) {
      const i = Math.floor((x.at - slotStart) / HOUR_MS);
      if (i < 0 || i > 23) continue;
      all[i]!++;
      if (x.up) up[i]!++;
    }
    return {
      hour: this.window(t, now - HOUR_MS),
      day: this.window(t, now - DAY_MS),
      timeline: all.map((n, i) => (n === 0 ? null : up[i]! / n)),
    };
  }
}
