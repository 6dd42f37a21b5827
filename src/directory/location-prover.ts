/**
 * Proven locations: a peer that announces `<onion>:port` (or `127.0.0.1:port` in loopback mode)
 * is listed as serving only once a probe of that location (location-probe.ts) found its nick
 * there. Probes are per location, not per claimant: one dial answers every peer claiming it.
 * Bounded: concurrent probes, queued locations, attempts per location with exponential backoff,
 * and a cache of recent successes so a reconnecting maker is not dialled again. A failed proof
 * never disconnects anyone.
 *
 * The attempt budget belongs to the location: it survives its claimants leaving, and a fresh
 * nick claiming it gets no fresh attempts (it may only bring the next attempt forward to
 * `minIntervalMs` after the last one, while the budget lasts, so a squatter's failures never
 * hold back the owner's proof). Once spent, the location is probed at most once per
 * `retryMaxMs` until `budgetResetMs` pass without a failure. A claim that finds the queue full
 * costs no attempt: it waits and is queued again later. The queue is ordered by how long the
 * oldest claimant has been connected, and a newer claimant never pushes out an older one.
 */
import type net from 'node:net';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock, Timer } from '../util/clock.js';
import type { Location } from '../protocol/onion.js';
import { LogThrottle } from '../util/log-throttle.js';
import { probeSocket, type ProbeOutcome } from './location-probe.js';

export const LocationProofLimitsSchema = z.object({
  maxConcurrent: z.number().int().min(1).default(16),
  /** Locations waiting for a probe slot; a further claim waits (no attempt spent) and is queued later. */
  maxQueued: z.number().int().min(1).default(5_000),
  /** Dial + answer, loopback and onion. */
  timeoutLoopbackMs: z.number().int().min(100).default(10_000),
  timeoutOnionMs: z.number().int().min(1_000).default(90_000),
  /** Backoff after the n-th failure: base × 2^(n-1), capped. Also the wait of a claim that found the queue full. */
  retryBaseMs: z.number().int().min(10).default(30_000),
  retryMaxMs: z.number().int().min(10).default(1_800_000),
  /** Failed probes per location before it is probed only once per `retryMaxMs`. */
  maxAttempts: z.number().int().min(1).default(6),
  /** A location without a failure for this long gets its whole budget back. */
  budgetResetMs: z.number().int().min(1_000).default(6 * 3_600_000),
  /** Never dial one location more often than this, whoever claims it. */
  minIntervalMs: z.number().int().min(0).default(30_000),
  /** A location proven for a nick stays proven for that nick this long (reconnects). */
  cacheTtlMs: z.number().int().min(0).default(3_600_000),
  /** Proven locations cached, and locations whose budget is remembered. */
  cacheMax: z.number().int().min(0).default(100_000),
});
export type LocationProofLimits = z.infer<typeof LocationProofLimitsSchema>;
export type LocationProofLimitsInput = z.input<typeof LocationProofLimitsSchema>;

/** Opens a connection to a location (plain TCP on loopback, SOCKS for onions); rejects on failure. */
export type LocationDialer = (loc: Location) => Promise<net.Socket>;

/** A peer claiming a location; the prover never holds anything else of it. */
export interface Claimant {
  readonly nick: string;
  /** When its connection was accepted (queue order: older claimants first). */
  readonly connectedAt: number;
}

export interface ProverEvents<C extends Claimant> {
  proven(c: C, key: string): void;
  failed(c: C, key: string, reason: string): void;
}

interface Entry<C> {
  key: string;
  loc: Location;
  claimants: Set<C>;
  /** idle: nothing scheduled (kept for its budget); queued; running; waiting (timer armed). */
  state: 'idle' | 'queued' | 'running' | 'waiting';
  /** Queue order: connectedAt of the oldest claimant when queued. */
  rank: number;
  attempts: number;
  lastFailureAt: number;
  lastProbeAt: number;
  /** Nicks already probed for since the budget was last full. */
  tried: Set<string>;
  timer: Timer | null;
  dueAt: number;
  /** Why the last probe failed. */
  reason: string;
}

export interface ProverStats {
  probes: number;
  proven: number;
  failed: number;
  cacheHits: number;
  /** Claims that found the queue full (no attempt spent) and queued entries pushed out by older claimants. */
  queueFull: number;
  /** Claims of a location the directory will not dial (its own, or outside the allowed ports). */
  refused: number;
}

export interface LocationProverOptions<C extends Claimant> {
  dial: LocationDialer;
  network: string;
  limits: LocationProofLimits;
  clock: Clock;
  logger: Logger;
  events: ProverEvents<C>;
  /** Why a location must not be dialled (e.g. the directory's own), or null. */
  refuse?: (loc: Location, key: string) => string | null;
}

export class LocationProver<C extends Claimant> {
  readonly stats: ProverStats = { probes: 0, proven: 0, failed: 0, cacheHits: 0, queueFull: 0, refused: 0 };
  private readonly entries = new Map<string, Entry<C>>();
  /** Sorted by rank (oldest claimant first). */
  private readonly queue: Entry<C>[] = [];
  private running = 0;
  private readonly cache = new Map<string, { nick: string; at: number }>();
  private readonly log: LogThrottle;
  private stopped = false;

  constructor(private readonly o: LocationProverOptions<C>) {
    this.log = new LogThrottle(o.logger, undefined, o.clock);
  }

  get queued(): number {
    return this.queue.length;
  }

  get active(): number {
    return this.running;
  }

  /** The state of a location's proof and its spent attempts (tests, diagnostics). */
  status(key: string): { state: Entry<C>['state']; attempts: number; claimants: number; dueAt: number; reason: string } | null {
    const e = this.entries.get(key);
    return e ? { state: e.state, attempts: e.attempts, claimants: e.claimants.size, dueAt: e.timer !== null ? e.dueAt : 0, reason: e.reason } : null;
  }

  /** A peer claims `loc` (key = its registry location key). */
  claim(c: C, key: string, loc: Location): void {
    if (this.stopped) return;
    const refusal = this.o.refuse?.(loc, key) ?? null;
    if (refusal !== null) {
      this.stats.refused++;
      this.log.note('info', 'proof-refused', { location: key, nick: c.nick, reason: refusal }, 'location not probed');
      this.o.events.failed(c, key, refusal);
      return;
    }
    const now = this.o.clock.now();
    const hit = this.cache.get(key);
    if (hit && hit.nick === c.nick && now - hit.at < this.o.limits.cacheTtlMs) {
      this.stats.cacheHits++;
      this.o.events.proven(c, key);
      return;
    }
    let e = this.entries.get(key);
    if (!e && this.entries.size >= this.o.limits.cacheMax) this.pruneIdle();
    if (!e) this.entries.set(key, (e = { key, loc, claimants: new Set(), state: 'idle', rank: 0, attempts: 0, lastFailureAt: 0, lastProbeAt: 0, tried: new Set(), timer: null, dueAt: 0, reason: '' }));
    e.claimants.add(c);
    if (e.attempts > 0 && now - e.lastFailureAt >= this.o.limits.budgetResetMs) {
      e.attempts = 0;
      e.tried.clear();
    }
    if (e.state === 'queued' || e.state === 'running') return;
    const l = this.o.limits;
    if (e.attempts >= l.maxAttempts) this.o.events.failed(c, key, `location failed ${e.attempts} probes; next probe at most once per ${l.retryMaxMs} ms`);
    let at = e.attempts === 0 ? now : e.lastFailureAt + this.backoff(e.attempts);
    // A nick not yet tried here brings the next attempt forward (it still spends the budget).
    if (e.attempts > 0 && e.attempts < l.maxAttempts && !e.tried.has(c.nick)) at = Math.min(at, e.lastProbeAt + l.minIntervalMs);
    this.schedule(e, Math.max(at, e.lastProbeAt + l.minIntervalMs, now), now);
  }

  private backoff(attempts: number): number {
    const l = this.o.limits;
    return attempts >= l.maxAttempts ? l.retryMaxMs : Math.min(l.retryMaxMs, l.retryBaseMs * 2 ** (attempts - 1));
  }

  /** Queues the entry now, or arms (or brings forward) its timer. */
  private schedule(e: Entry<C>, at: number, now: number): void {
    if (at <= now) return this.enqueue(e);
    if (e.timer !== null) {
      if (e.dueAt <= at) return;
      this.o.clock.clearTimeout(e.timer);
    }
    e.state = 'waiting';
    e.dueAt = at;
    e.timer = this.o.clock.setTimeout(() => this.retry(e), at - now);
  }

  private retry(e: Entry<C>): void {
    e.timer = null;
    if (e.claimants.size === 0) return this.park(e);
    this.enqueue(e);
  }

  /** The peer left or no longer claims the location. */
  release(c: C, key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.claimants.delete(c);
    if (e.claimants.size === 0 && e.state !== 'running') this.park(e);
  }

  /** Nobody claims it: unscheduled, and forgotten unless it has a spent budget to remember. */
  private park(e: Entry<C>): void {
    if (e.timer !== null) this.o.clock.clearTimeout(e.timer);
    e.timer = null;
    if (e.state === 'queued') {
      const i = this.queue.indexOf(e);
      if (i >= 0) this.queue.splice(i, 1);
    }
    e.state = 'idle';
    if (e.attempts === 0) this.entries.delete(e.key);
  }

  /** Forgets unclaimed locations (oldest first) until half the room is free. */
  private pruneIdle(): void {
    for (const e of this.entries.values()) {
      if (e.state === 'idle' && e.claimants.size === 0) this.entries.delete(e.key);
      if (this.entries.size < this.o.limits.cacheMax / 2) return;
    }
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) if (e.timer !== null) this.o.clock.clearTimeout(e.timer);
    this.entries.clear();
    this.queue.length = 0;
    this.log.close();
  }

  private enqueue(e: Entry<C>): void {
    if (e.timer !== null) this.o.clock.clearTimeout(e.timer);
    e.timer = null;
    let rank = Infinity;
    for (const c of e.claimants) rank = Math.min(rank, c.connectedAt);
    e.rank = rank;
    const q = this.queue;
    if (q.length >= this.o.limits.maxQueued) {
      const newest = q[q.length - 1]!;
      this.stats.queueFull++;
      if (newest.rank <= rank) return this.defer(e);
      q.pop(); // an older claimant takes the place of the newest queued one
      this.defer(newest);
    }
    let lo = 0;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (q[mid]!.rank <= rank) lo = mid + 1;
      else hi = mid;
    }
    q.splice(lo, 0, e);
    e.state = 'queued';
    this.pump();
  }

  /** No queue slot: try again after `retryBaseMs`, without spending an attempt. */
  private defer(e: Entry<C>): void {
    this.log.note('info', 'proof-queue-full', { location: e.key, queued: this.queue.length, max: this.o.limits.maxQueued }, 'location proof waits: probe queue full');
    e.state = 'idle';
    const now = this.o.clock.now();
    this.schedule(e, now + this.o.limits.retryBaseMs, now);
  }

  private pump(): void {
    while (this.running < this.o.limits.maxConcurrent && this.queue.length > 0) {
      const e = this.queue.shift()!;
      if (e.claimants.size === 0) {
        this.park(e);
        continue;
      }
      e.state = 'running';
      this.running++;
      this.run(e).catch((err: unknown) => this.o.logger.error({ location: e.key, err: (err as Error).message }, 'location probe failed')).finally(() => {
        this.running--;
        if (!this.stopped) this.pump();
      });
    }
  }

  private async run(e: Entry<C>): Promise<void> {
    this.stats.probes++;
    e.lastProbeAt = this.o.clock.now();
    if (e.tried.size > 256) e.tried.clear(); // only brings attempts forward, within the budget
    for (const c of e.claimants) e.tried.add(c.nick);
    const timeoutMs = e.loc.kind === 'onion' ? this.o.limits.timeoutOnionMs : this.o.limits.timeoutLoopbackMs;
    const t0 = this.o.clock.now();
    let r: ProbeOutcome;
    try {
      const sock = await dialWithin(this.o.dial(e.loc), timeoutMs);
      const only = e.claimants.size === 1 ? [...e.claimants][0]!.nick : undefined;
      r = await probeSocket(sock, { network: this.o.network, timeoutMs: Math.max(1_000, timeoutMs - (this.o.clock.now() - t0)), ...(only ? { expectNick: only } : {}) });
    } catch (err) {
      r = { ok: false, reason: `dial failed: ${(err as Error).message}` };
    }
    if (this.stopped) return;
    if (r.ok) {
      this.cache.delete(e.key);
      this.cache.set(e.key, { nick: r.nick, at: this.o.clock.now() });
      if (this.cache.size > this.o.limits.cacheMax) this.cache.delete(this.cache.keys().next().value!);
    }
    const served = r.ok ? r.nick : null;
    const losers: C[] = [];
    for (const c of e.claimants) {
      if (c.nick === served) {
        this.stats.proven++;
        this.o.events.proven(c, e.key);
      } else losers.push(c);
    }
    e.claimants = new Set(losers);
    if (losers.length === 0 && r.ok) {
      this.entries.delete(e.key);
      return;
    }
    this.fail(e, r.ok ? `the location serves another nick (${r.nick})` : r.reason);
  }

  /** Spends an attempt, reports the failure to every claimant and schedules the next attempt. */
  private fail(e: Entry<C>, reason: string): void {
    const now = this.o.clock.now();
    e.attempts++;
    e.lastFailureAt = now;
    e.reason = reason;
    e.state = 'idle';
    const delay = this.backoff(e.attempts);
    for (const c of e.claimants) {
      this.stats.failed++;
      this.o.events.failed(c, e.key, reason);
    }
    this.log.note('info', 'proof-failed', { location: e.key, nicks: [...e.claimants].map((c) => c.nick).slice(0, 4), attempt: e.attempts, reason, retryInMs: delay }, 'location proof failed', 20);
    if (e.claimants.size === 0) return this.park(e);
    this.schedule(e, now + delay, now);
  }
}

/** The dial, or a rejection after `ms`; a connection that arrives later is closed. */
function dialWithin(p: Promise<net.Socket>, ms: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let late = false;
    const t = setTimeout(() => {
      late = true;
      reject(new Error(`no connection within ${ms} ms`));
    }, ms);
    p.then(
      (s) => {
        clearTimeout(t);
        if (late) s.destroy();
        else resolve(s);
      },
      (err: unknown) => {
        clearTimeout(t);
        if (!late) reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
