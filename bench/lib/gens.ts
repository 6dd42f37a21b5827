/**
 * The load-generator processes (bench/loadgen.ts) as one group: fork, connect peers, run
 * traffic and collect figures. Shared by the benchmark (bench/run.ts) and the attack runner's
 * performance section.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Agent } from './agent.js';
import {
  ConnectResult, IdentitiesResult, LatencyResult, OkResult, SnapshotResult, fixHistogram,
  type Command as GenCommand, type ConnectResultT, type SnapshotResultT,
} from './ipc.js';
import { cpuSeconds } from './proc.js';
import type { HandshakeFigures, TrafficFigures } from './report.js';
import { Histogram, summarize } from './stats.js';

export type Gen = Agent<GenCommand>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Gens {
  readonly list: Gen[];

  /** Forks `count` load generators (dist/bench/loadgen.js under `root`) with these node options. */
  constructor(root: string, count: number, execArgv: string[] = []) {
    this.list = Array.from({ length: count }, (_, i) => new Agent<GenCommand>(`loadgen ${i}`, join(root, 'dist', 'bench', 'loadgen.js'), execArgv));
  }

  /** Asks every generator to exit, then kills what is left. */
  async close(): Promise<void> {
    await this.all(() => ({ op: 'exit' }), OkResult, 5000).catch(() => undefined);
    await sleep(100);
    for (const g of this.list) g.kill();
  }

  all<T>(mk: (g: Gen, i: number) => GenCommand, schema: z.ZodType<T>, timeoutMs?: number): Promise<T[]> {
    return Promise.all(this.list.map((g, i) => g.request(mk(g, i), schema, timeoutMs)));
  }

  /** Hands generator i the identities i, i+k, i+2k, ... of the first `count`. */
  init(ids: { nicks: string[]; pubs: string[] }, count: number, network: string, handshakeTimeoutMs: number, port = 1): Promise<unknown> {
    const k = this.list.length;
    return this.all((_, i) => {
      const gidx: number[] = [];
      for (let g = i; g < count; g += k) gidx.push(g);
      return { op: 'init', proc: i, port, network, handshakeTimeoutMs, gidx, nicks: gidx.map((g) => ids.nicks[g]!), pubs: gidx.map((g) => ids.pubs[g]!) };
    }, OkResult);
  }

  setPort(port: number): Promise<unknown> {
    return this.all(() => ({ op: 'setPort', port }), OkResult);
  }

  split(total: number, i: number): number {
    const k = this.list.length;
    return Math.floor(total / k) + (i < total % k ? 1 : 0);
  }

  snapshot(): Promise<SnapshotResultT[]> {
    return this.all(() => ({ op: 'snapshot' }), SnapshotResult, 30_000);
  }

  async handshaked(): Promise<number> {
    return (await this.snapshot()).reduce((a, s) => a + s.handshaked, 0);
  }

  async connect(count: number, rate: number, burst: boolean, nickAuth = false): Promise<HandshakeFigures> {
    const rs = await this.all((_, i) => ({ op: 'connect', count: this.split(count, i), ratePerSec: rate / this.list.length, burst, nickAuth }), ConnectResult);
    return mergeConnect(rs);
  }

  async latency(reset: boolean): Promise<Histogram> {
    const hs = await this.all(() => ({ op: 'latency', reset }), LatencyResult);
    const h = new Histogram();
    for (const x of hs) h.merge(fixHistogram(x.hist));
    return h;
  }

  reset(): Promise<unknown> {
    return this.all(() => ({ op: 'reset' }), OkResult);
  }
}

export function mergeConnect(rs: ConnectResultT[]): HandshakeFigures {
  const h = new Histogram();
  let attempted = 0, ok = 0, rejected = 0, timeouts = 0, errors = 0, wallMs = 0, cpuUs = 0;
  for (const r of rs) {
    cpuUs += r.cpuUs;
    h.merge(fixHistogram(r.handshake));
    attempted += r.attempted;
    ok += r.ok;
    rejected += r.rejected;
    timeouts += r.timeouts;
    errors += r.errors;
    wallMs = Math.max(wallMs, r.wallMs);
  }
  return { attempted, ok, rejected, timeouts, errors, wallMs, genCpuSec: cpuUs / 1e6, ...summarize(h) };
}

// ---------------------------------------------------------------- identities

const IdentityCache = z.object({ version: z.literal(1), nicks: z.array(z.string()), pubs: z.array(z.string()) });

/**
 * `need` peer identities (nick + pubkey), derived by the generators and cached in
 * `resultsDir`/identities-cache.json for the next run.
 */
export async function identities(gens: Gens, need: number, resultsDir: string, log: (m: string) => void): Promise<{ nicks: string[]; pubs: string[] }> {
  const file = join(resultsDir, 'identities-cache.json');
  let cache = { version: 1 as const, nicks: [] as string[], pubs: [] as string[] };
  if (existsSync(file)) {
    const p = IdentityCache.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (p.success) cache = p.data;
  }
  if (cache.nicks.length >= need) return cache;
  const from = cache.nicks.length;
  log(`deriving ${need - from} peer keys and nicks (cached in bench/results/ for next time) ...`);
  const k = gens.list.length;
  const per = Math.ceil((need - from) / k);
  const parts = await gens.all((_, i) => ({ op: 'genIdentities', from: Math.min(need, from + i * per), to: Math.min(need, from + (i + 1) * per) }), IdentitiesResult);
  for (const p of parts) {
    cache.nicks.push(...p.nicks);
    cache.pubs.push(...p.pubs);
  }
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(file, JSON.stringify(cache));
  return cache;
}

// ---------------------------------------------------------------- traffic

export interface TrafficSpec {
  kind: 'pub' | 'priv';
  peers: number;
  senders: number;
  senderOffset: number;
  rate: number;
  warmSec: number;
  sec: number;
  probeEvery: number;
  windowMsgs: number;
}

/**
 * One traffic run: start the senders, warm up, measure a window (delivered rate, latency
 * histogram, server CPU of `serverPid`), stop, and wait for the drain.
 */
export async function traffic(gens: Gens, serverPid: number, t: TrafficSpec): Promise<TrafficFigures> {
  const k = gens.list.length;
  await gens.latency(true);
  const s0 = await gens.snapshot();
  const peers = s0.reduce((a, s) => a + s.handshaked, 0);
  await gens.all(
    (_, i) => {
      const senders = gens.split(t.senders, i);
      return {
        op: 'traffic', kind: t.kind, senders, senderOffset: t.senderOffset, ratePerSec: t.senders > 0 ? (t.rate * senders) / t.senders : 0,
        probeEvery: t.probeEvery, windowMsgs: t.windowMsgs, probeTimeoutMs: 3000,
      };
    },
    OkResult,
  );
  await sleep(t.warmSec * 1000);
  const a = await gens.snapshot();
  const ca = cpuSeconds(serverPid);
  const ta = performance.now();
  await sleep(t.sec * 1000);
  const b = await gens.snapshot();
  const cb = cpuSeconds(serverPid);
  const tb = performance.now();
  await gens.all(() => ({ op: 'stopTraffic' }), OkResult);
  const sentOf = (ss: SnapshotResultT[]): number => ss.reduce((x, s) => x + s.sent, 0);
  // Privmsg runs count the body markers (the DN follows each privmsg with a PEERLIST line).
  const cnt = (x: SnapshotResultT): number => (t.kind === 'priv' ? x.marks : x.lines);
  const countOf = (ss: SnapshotResultT[]): number => ss.reduce((x, s) => x + cnt(s), 0);
  const sent = sentOf(await gens.snapshot()) - sentOf(s0);
  const expected = t.kind === 'pub' ? sent * (peers - 1) : sent;
  // Drain: wait until every expected line arrived or nothing moved for 1 s (at most 15 s).
  let last = -1;
  let still = 0;
  let c: SnapshotResultT[] = s0;
  const dt0 = Date.now();
  while (Date.now() - dt0 < 15_000) {
    c = await gens.snapshot();
    const got = countOf(c) - countOf(s0);
    if (got >= expected) break;
    if (got === last) {
      if (++still >= 4) break;
    } else still = 0;
    last = got;
    await sleep(250);
  }
  let delivered = 0;
  for (let i = 0; i < k; i++) delivered += cnt(c[i]!) - cnt(s0[i]!);
  let rate = 0;
  const genCpuUtil: number[] = [];
  for (let i = 0; i < k; i++) {
    const dtUs = b[i]!.tUs - a[i]!.tUs;
    rate += ((cnt(b[i]!) - cnt(a[i]!)) * 1e6) / dtUs;
    genCpuUtil.push((b[i]!.cpuUs - a[i]!.cpuUs) / dtUs);
  }
  const h = await gens.latency(true);
  const offered = t.kind === 'pub' ? t.rate * (peers - 1) : t.rate;
  return {
    kind: t.kind, peers, senders: t.senders, offeredMsgsPerSec: t.rate, offeredDeliveriesPerSec: offered,
    sent, skipped: c.reduce((x, s) => x + s.skipped, 0) - s0.reduce((x, s) => x + s.skipped, 0),
    deliveredPerSec: rate, expected, delivered, missing: Math.max(0, expected - delivered),
    lostPeers: c.reduce((x, s) => x + s.lostPeers, 0) - s0.reduce((x, s) => x + s.lostPeers, 0),
    probeTimeouts: c.reduce((x, s) => x + s.probeTimeouts, 0) - s0.reduce((x, s) => x + s.probeTimeouts, 0),
    latency: summarize(h), serverCpuUtil: (cb - ca) / ((tb - ta) / 1000), genCpuUtil, windowSec: (tb - ta) / 1000,
  };
}
