/**
 * Proven locations: a peer that announces `<onion>:port` (or `127.0.0.1:port` in loopback mode)
 * is listed as serving only once a probe of that location (location-probe.ts) found its nick
 * there. Probes are per location, not per claimant: one dial answers every peer claiming it.
 * Bounded: concurrent probes, queued locations, attempts per location with exponential backoff
 * (the budget refills after a quiet period), and a cache of recent successes so a reconnecting
 * maker is not dialled again. A failed proof never disconnects anyone.
 */
import type net from 'node:net';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock, Timer } from '../util/clock.js';
import type { Location } from '../protocol/onion.js';
import { probeSocket, type ProbeOutcome } from './location-probe.js';

export const LocationProofLimitsSchema = z.object({
  maxConcurrent: z.number().int().min(1).default(16),
  /** Locations waiting for a probe slot; further claims fail at once (and are retried later). */
  maxQueued: z.number().int().min(1).default(5_000),
  /** Dial + answer, loopback and onion. */
  timeoutLoopbackMs: z.number().int().min(100).default(10_000),
  timeoutOnionMs: z.number().int().min(1_000).default(90_000),
  /** Backoff after the n-th failure: base × 2^(n-1), capped. */
  retryBaseMs: z.number().int().min(10).default(30_000),
  retryMaxMs: z.number().int().min(10).default(1_800_000),
  /** Failed probes per location before it waits for `budgetResetMs` without a probe. */
  maxAttempts: z.number().int().min(1).default(6),
  budgetResetMs: z.number().int().min(1_000).default(6 * 3_600_000),
  /** Never dial one location more often than this, whoever claims it. */
  minIntervalMs: z.number().int().min(0).default(30_000),
  /** A location proven for a nick stays proven for that nick this long (reconnects). */
  cacheTtlMs: z.number().int().min(0).default(3_600_000),
  cacheMax: z.number().int().min(0).default(100_000),
});
export type LocationProofLimits = z.infer<typeof LocationProofLimitsSchema>;
export type LocationProofLimitsInput = z.input<typeof LocationProofLimitsSchema>;

/** Opens a connection to a location (plain TCP on loopback, SOCKS for onions); rejects on failure. */
export type LocationDialer = (loc: Location) => Promise<net.Socket>;

/** A peer claiming a location; the prover never holds anything else of it. */
export interface Claimant {
  readonly nick: string;
}

export interface ProverEvents<C extends Claimant> {
  proven(c: C, key: string): void;
  failed(c: C, key: string, reason: string): void;
}

interface Entry<C> {
  key: string;
  loc: Location;
  claimants: Set<C>;
  /** idle: nothing scheduled; queued; running; backoff (retry timer armed); exhausted. */
  state: 'idle' | 'queued' | 'running' | 'backoff' | 'exhausted';
  attempts: number;
  lastFailureAt: number;
  lastProbeAt: number;
  /** Nicks already probed for in the current run of failures. */
  tried: Set<string>;
  timer: Timer | null;
}

export interface ProverStats {
  probes: number;
  proven: number;
  failed: number;
  cacheHits: number;
  queueFull: number;
}

export class LocationProver<C extends Claimant> {
  readonly stats: ProverStats = { probes: 0, proven: 0, failed: 0, cacheHits: 0, queueFull: 0 };
  private readonly entries = new Map<string, Entry<C>>();
  private readonly queue: Entry<C>[] = [];
  private running = 0;
  private readonly cache = new Map<string, { nick: string; at: number }>();
  private stopped = false;

  constructor(
    private readonly o: {
      dial: LocationDialer;
      network: string;
      limits: LocationProofLimits;
      clock: Clock;
      logger: Logger;
      events: ProverEvents<C>;
    },
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  get active(): number {
    return this.running;
  }

  /** A peer claims `loc` (key = its registry location key). */
  claim(c: C, key: string, loc: Location): void {
    if (this.stopped) return;
    const now = this.o.clock.now();
    const hit = this.cache.get(key);
    if (hit && hit.nick === c.nick && now - hit.at < this.o.limits.cacheTtlMs) {
      this.stats.cacheHits++;
      this.o.events.proven(c, key);
      return;
    }
    let e = this.entries.get(key);
    if (!e && this.entries.size >= this.o.limits.cacheMax) this.pruneExhausted();
    if (!e) this.entries.set(key, (e = { key, loc, claimants: new Set(), state: 'idle', attempts: 0, lastFailureAt: 0, lastProbeAt: 0, tried: new Set(), timer: null }));
    e.claimants.add(c);
    if (e.state === 'exhausted' && now - e.lastFailureAt >= this.o.limits.budgetResetMs) {
      e.state = 'idle';
      e.attempts = 0;
      e.tried.clear();
    }
    if (e.state === 'idle') return this.enqueue(e);
    if (e.state === 'queued' || e.state === 'running' || e.tried.has(c.nick)) {
      if (e.state === 'exhausted') this.o.events.failed(c, key, `no more probes of this location for now (${e.attempts} failed)`);
      return;
    }
    // A nick not yet tried here gets a probe soon, so claims of others (a squatter's) that
    // failed cannot hold its proof back; still at most one dial per minIntervalMs.
    if (e.timer !== null) this.o.clock.clearTimeout(e.timer);
    e.state = 'backoff';
    e.timer = this.o.clock.setTimeout(() => this.retry(e), Math.max(0, e.lastProbeAt + this.o.limits.minIntervalMs - now));
  }

  private retry(e: Entry<C>): void {
    e.timer = null;
    if (e.claimants.size === 0) return this.drop(e);
    this.enqueue(e);
  }

  /** The peer left or no longer claims the location. */
  release(c: C, key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.claimants.delete(c);
    if (e.claimants.size === 0 && e.state !== 'running' && e.state !== 'exhausted') this.drop(e);
  }

  /** Forgets locations whose budget ran out and that nobody claims any more (oldest first). */
  private pruneExhausted(): void {
    for (const e of this.entries.values()) {
      if (e.state === 'exhausted' && e.claimants.size === 0) this.entries.delete(e.key);
      if (this.entries.size < this.o.limits.cacheMax / 2) return;
    }
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) if (e.timer !== null) this.o.clock.clearTimeout(e.timer);
    this.entries.clear();
    this.queue.length = 0;
  }

  private drop(e: Entry<C>): void {
    if (e.timer !== null) this.o.clock.clearTimeout(e.timer);
    e.timer = null;
    if (e.state === 'queued') {
      const i = this.queue.indexOf(e);
      if (i >= 0) this.queue.splice(i, 1);
    }
    this.entries.delete(e.key);
  }

  private enqueue(e: Entry<C>): void {
    if (this.queue.length >= this.o.limits.maxQueued) {
      this.stats.queueFull++;
      this.fail(e, 'too many locations waiting for a probe');
      return;
    }
    e.state = 'queued';
    this.queue.push(e);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.o.limits.maxConcurrent && this.queue.length > 0) {
      const e = this.queue.shift()!;
      if (e.claimants.size === 0) {
        this.entries.delete(e.key);
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
    if (losers.length === 0) {
      this.entries.delete(e.key);
      return;
    }
    this.fail(e, r.ok ? `the location serves another nick (${r.nick})` : r.reason);
  }

  /** Reports the failure to every claimant and schedules the next attempt within the budget. */
  private fail(e: Entry<C>, reason: string): void {
    e.attempts++;
    e.lastFailureAt = this.o.clock.now();
    const l = this.o.limits;
    const exhausted = e.attempts >= l.maxAttempts;
    const delay = Math.min(l.retryMaxMs, l.retryBaseMs * 2 ** (e.attempts - 1));
    for (const c of e.claimants) {
      this.stats.failed++;
      this.o.events.failed(c, e.key, reason);
    }
    this.o.logger.info({ location: e.key, nicks: [...e.claimants].map((c) => c.nick).slice(0, 4), attempt: e.attempts, reason, retryInMs: exhausted ? null : delay }, 'location proof failed');
    if (exhausted) {
      e.state = 'exhausted';
      return;
    }
    e.state = 'backoff';
    e.timer = this.o.clock.setTimeout(() => this.retry(e), delay);
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
