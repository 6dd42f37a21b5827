/**
 * Directory-node benchmark (docs/performance.md). Runs the same scenarios against the bare baseline
 * (bench/baseline-server.ts) and against our DN (src/cli/jm-directory.ts), each as its own
 * process, driven by load-generator processes (bench/loadgen.ts). Prints one table with the
 * DN/baseline ratios and PASS/FAIL per target, and writes JSON to bench/results/.
 *
 *   npm run bench                 # full run (< 10 min)
 *   npm run bench -- --quick      # smoke run (< 1 min)
 *   npm run bench -- --help
 *
 * Everything listens on and connects to 127.0.0.1 only.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { DisconnectResult } from './lib/ipc.js';
import { Gens, identities, traffic } from './lib/gens.js';
import { ensureBuilt, findRoot, readyPort, spawnReady, stopChild } from './lib/child.js';
import { cpuSeconds, machineLoad, rssKiB, tcpCounters, threadCpu, waitCpuQuiet } from './lib/proc.js';
import { slope } from './lib/stats.js';
import {
  buildRows, evaluateTargets, formatTable, formatVerdicts,
  type BurstFigures, type DisconnectFigures, type HandshakeFigures, type TargetResult, type TrafficFigures,
} from './lib/report.js';

const ROOT = findRoot();
const RESULTS = join(ROOT, 'bench', 'results');

// ---------------------------------------------------------------- options

const OptsSchema = z.object({
  quick: z.boolean().default(false),
  target: z.enum(['both', 'baseline', 'dn']).default('both'),
  gens: z.coerce.number().int().min(1).max(8).default(2),
  hold: z.coerce.number().int().min(1).optional(),
  build: z.boolean().default(true),
  dnLogLevel: z.string().default('info'),
  dnArg: z.array(z.string()).default([]),
  dnNodeArg: z.array(z.string()).default([]),
  genNodeArg: z.array(z.string()).default([]),
  network: z.string().default('mainnet'),
  handshakeTimeout: z.coerce.number().int().min(100).default(10_000),
  only: z.array(z.enum(['grow', 'fanout', 'burst', 'disconnect'])).default([]),
  out: z.string().optional(),
  satWindow: z.coerce.number().int().min(1).optional(),
  burstReps: z.coerce.number().int().min(1).optional(),
});
type Opts = z.infer<typeof OptsSchema>;

function parseOpts(): Opts {
  const c = new Command()
    .name('bench')
    .description('JoinMarket directory-node benchmark: baseline vs our DN')
    .option('--quick', 'short smoke run (under a minute)', false)
    .option('--target <t>', 'both | baseline | dn', 'both')
    .option('--gens <n>', 'load-generator processes', '2')
    .option('--hold <sec>', 'seconds to hold the largest peer count with steady traffic (DN; baseline holds 1/4 of it)')
    .option('--no-build', 'do not rebuild dist/ even if stale')
    .option('--dn-log-level <level>', 'DN --log-level (the "ready" line is logged at info)', 'info')
    .option('--dn-arg <arg...>', 'extra arguments for jm-directory')
    .option('--dn-node-arg <arg...>', 'node options for the DN process, e.g. --dn-node-arg=--cpu-prof')
    .option('--gen-node-arg <arg...>', 'node options for the load-generator processes, e.g. --gen-node-arg=--cpu-prof')
    .option('--network <net>', 'network string', 'mainnet')
    .option('--handshake-timeout <ms>', 'a handshake slower than this counts as a timeout', '10000')
    .option('--only <scenario...>', 'grow | fanout | burst | disconnect')
    .option('--sat-window <msgs>', 'messages each sender may have in flight in saturation runs (default 100,000 / peers, at least 4)')
    .option('--burst-reps <n>', 'plain / nick-auth pairs of the largest burst (default 5, quick 1)')
    .option('--out <file>', 'JSON output file (default bench/results/bench-<time>.json)')
    .parse(process.argv);
  return OptsSchema.parse(c.opts());
}

interface Plan {
  growSteps: number[];
  rampRate: number;
  holdSecDn: number;
  holdSecBaseline: number;
  holdRate: number;
  fanoutNs: number[];
  fixedRate: number;
  fixedSec: number;
  satSec: number;
  warmSec: number;
  satOfferedDeliveries: number;
  bursts: number[];
  disconnectTotal: number;
  disconnectLeaving: number;
  /** Repetitions of the 1,000-peer target measurements (best ceiling, median p99 are reported). */
  reps: number;
  /** Plain / nick-auth pairs of the DN's largest burst (the median pair ratio is reported). */
  burstReps: number;
}

function makePlan(o: Opts): Plan {
  const p: Plan = o.quick
    ? {
        growSteps: [500, 4000], rampRate: 5000, holdSecDn: 2, holdSecBaseline: 1, holdRate: 5,
        fanoutNs: [1000], fixedRate: 10, fixedSec: 1.5, satSec: 1.5, warmSec: 0.3, satOfferedDeliveries: 5_000_000,
        bursts: [1000], disconnectTotal: 1500, disconnectLeaving: 1000, reps: 1, burstReps: 1,
      }
    : {
        growSteps: [100, 1000, 5000, 10000, 19000], rampRate: 2500, holdSecDn: 60, holdSecBaseline: 15, holdRate: 3,
        fanoutNs: [100, 1000, 5000, 10000], fixedRate: 10, fixedSec: 4, satSec: 3, warmSec: 0.5, satOfferedDeliveries: 5_000_000,
        bursts: [2000, 10000], disconnectTotal: 3000, disconnectLeaving: 2000, reps: 3, burstReps: 5,
      };
  if (o.hold !== undefined) {
    p.holdSecDn = o.hold;
    p.holdSecBaseline = Math.max(1, Math.round(o.hold / 4));
  }
  if (o.burstReps !== undefined) p.burstReps = o.burstReps;
  return p;
}

// ---------------------------------------------------------------- utilities

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (msg: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

const DIST_GEN = join(ROOT, 'dist', 'bench', 'loadgen.js');
const DIST_BASE = join(ROOT, 'dist', 'bench', 'baseline-server.js');
const DIST_DN = join(ROOT, 'dist', 'src', 'cli', 'jm-directory.js');
const SRC_DN = join(ROOT, 'src', 'cli', 'jm-directory.ts');

function ensureDist(o: Opts): void {
  const outs = [DIST_GEN, DIST_BASE, ...(existsSync(SRC_DN) ? [DIST_DN] : [])];
  ensureBuilt(ROOT, outs, [DIST_GEN, DIST_BASE], o.build, log);
}

// ---------------------------------------------------------------- load generators

// ---------------------------------------------------------------- servers

interface Server {
  kind: 'baseline' | 'dn';
  pid: number;
  port: number;
  child: ChildProcess;
  tail: string[];
}

/**
 * The fan-out runs measure relay capacity, not policy: the DN's default per-peer limits
 * (600 pubmsgs, 128 KiB of pubmsg and 6,000 privmsgs a minute) would cap 10 senders at
 * 10 pubmsgs/s each, and its DN-wide broadcast budget (20 pubmsgs, 16 KiB a second) all of
 * them, so those runs raise them far out of reach (the limiter and budget code still run);
 * the privmsg byte budgets (per sender and per target) are off.
 */
const DN_CAPACITY_ARGS = ['--rate-pubmsg', '100000000', '--rate-privmsg', '100000000', '--pubmsg-bytes', '0', '--broadcast-rate', '100000000', '--broadcast-bytes', '100000000000', '--privmsg-bytes', '0', '--privmsg-recv-bytes', '0'];

/**
 * Every DN run: the generators' makers announce made-up onions that nothing serves (and a tcp
 * DN has no SOCKS proxy to reach), so proving them would only measure refused dials.
 */
const DN_DEFAULT_ARGS = ['--prove-locations', 'false'];

async function startServer(kind: 'baseline' | 'dn', o: Opts, maxPeers: number, dnExtra: string[] = []): Promise<Server> {
  const args =
    kind === 'baseline'
      ? [DIST_BASE, '--listen', '127.0.0.1:0', '--network', o.network]
      : [...o.dnNodeArg, DIST_DN, '--transport', 'tcp', '--listen', '127.0.0.1:0', '--network', o.network, '--max-peers', String(maxPeers), '--log-level', o.dnLogLevel, ...DN_DEFAULT_ARGS, ...dnExtra, ...o.dnArg];
  const p = await spawnReady({ label: kind, cwd: ROOT, args, stream: 'stdout', ready: readyPort });
  return { kind, pid: p.pid, port: p.info, child: p.child, tail: p.tail };
}

async function stopServer(s: Server, errors: string[]): Promise<void> {
  if (s.child.exitCode !== null) {
    errors.push(`${s.kind} had exited by itself (code ${s.child.exitCode})`);
    return;
  }
  const r = await stopChild(s.child);
  if (r.killed) errors.push(`${s.kind} did not exit within 8 s of SIGTERM; killed`);
  else if (r.code !== 0) errors.push(`${s.kind} exited ${r.code} on SIGTERM`);
}

/** Waits until the server has used less than 3 % of a core over 300 ms (at most maxMs). */
const quiet = (pid: number, maxMs = 8000): Promise<void> => waitCpuQuiet(pid, maxMs);

// ---------------------------------------------------------------- traffic

/** The run with the median p99 (the lower middle one for an even count). */
function medianByP99(runs: TrafficFigures[]): TrafficFigures {
  const sorted = [...runs].sort((x, y) => x.latency.p99 - y.latency.p99);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function describeTraffic(name: string, f: TrafficFigures): string {
  return `${name}: ${f.peers} peers, offered ${Math.round(f.offeredDeliveriesPerSec)}/s, delivered ${Math.round(f.deliveredPerSec)}/s, ` +
    `p50 ${f.latency.p50.toFixed(2)} ms p99 ${f.latency.p99.toFixed(2)} ms, missing ${f.missing}, skipped ${f.skipped}, lost peers ${f.lostPeers}, ` +
    `cpu srv ${f.serverCpuUtil.toFixed(2)} gen ${f.genCpuUtil.map((u) => u.toFixed(2)).join('+')}`;
}

// ---------------------------------------------------------------- scenarios

async function connectTo(gens: Gens, target: number, rate: number): Promise<HandshakeFigures> {
  const have = await gens.handshaked();
  return gens.connect(Math.max(0, target - have), rate, false);
}

async function scenarioGrow(gens: Gens, o: Opts, plan: Plan, r: TargetResult): Promise<void> {
  const maxN = plan.growSteps[plan.growSteps.length - 1]!;
  const srv = await startServer(r.kind, o, maxN + 1000);
  try {
    await gens.setPort(srv.port);
    await sleep(1000);
    r.rss0KiB = rssKiB(srv.pid);
    r.grow = [];
    for (const n of plan.growSteps) {
      const hs = await connectTo(gens, n, plan.rampRate);
      await quiet(srv.pid);
      const rss = rssKiB(srv.pid);
      r.grow.push({ peers: n, rssKiB: rss, handshake: hs });
      log(`${r.kind} grow ${n}: handshake p50 ${hs.p50.toFixed(2)} p99 ${hs.p99.toFixed(2)} ms, lost ${hs.attempted - hs.ok}, RSS ${(rss / 1024).toFixed(1)} MiB`);
    }
    const pts = r.grow.filter((s) => s.peers >= 1000);
    const pk = r.grow.map((s) => s.peers);
    r.perPeerKiB = pts.length >= 2 ? slope(pts.map((s) => s.peers), pts.map((s) => s.rssKiB)) : (r.grow.at(-1)!.rssKiB - r.rss0KiB) / Math.max(...pk);
    const holdSec = r.kind === 'dn' ? plan.holdSecDn : plan.holdSecBaseline;
    const peers = await gens.handshaked();
    const f = await traffic(gens, srv.pid, {
      kind: 'pub', peers, senders: 10, senderOffset: 0, rate: plan.holdRate, warmSec: 0.2, sec: holdSec,
      probeEvery: 1, windowMsgs: 1000,
    });
    r.hold = { ...f, holdSec };
    log(describeTraffic(`${r.kind} hold ${holdSec}s`, f));
  } finally {
    await stopServer(srv, r.errors);
    await gens.reset();
  }
}

/**
 * Fan-out at each of `ns` peer counts on one fresh server: fixed rate, saturation, and at
 * 1,000 peers also the 500k/s offered load and (DN only) privmsg routing. The runner calls it
 * once per repetition and alternates baseline and DN between calls, so that load from
 * elsewhere on the machine is shared fairly; finishFanout() then picks the reported runs.
 */
async function scenarioFanout(gens: Gens, o: Opts, plan: Plan, r: TargetResult, ns: number[], firstRep: boolean): Promise<void> {
  const maxN = Math.max(...ns);
  const srv = await startServer(r.kind, o, maxN + 1000, DN_CAPACITY_ARGS);
  let offset = 0;
  const nextOffset = (n: number): number => {
    const o2 = offset;
    offset += n;
    return o2;
  };
  r.fanout ??= [];
  try {
    await gens.setPort(srv.port);
    for (const n of ns) {
      await connectTo(gens, n, plan.rampRate);
      await quiet(srv.pid);
      const peers = await gens.handshaked();
      let entry = r.fanout.find((f) => f.peers === n);
      if (!entry) {
        entry = { peers: n, reps: { fixed: [], sat: [], at500k: [] } };
        r.fanout.push(entry);
      }
      const reps = entry.reps!;
      reps.fixed.push(await traffic(gens, srv.pid, {
        kind: 'pub', peers, senders: 10, senderOffset: nextOffset(10), rate: plan.fixedRate, warmSec: 0.2, sec: plan.fixedSec,
        probeEvery: 1, windowMsgs: 1000,
      }));
      log(describeTraffic(`${r.kind} fixed`, reps.fixed.at(-1)!));
      await quiet(srv.pid, 3000);
      if (n === 1000) {
        reps.at500k.push(await traffic(gens, srv.pid, {
          kind: 'pub', peers, senders: 10, senderOffset: nextOffset(10), rate: 500_000 / (peers - 1), warmSec: plan.warmSec, sec: plan.fixedSec,
          probeEvery: 5, windowMsgs: 200,
        }));
        log(describeTraffic(`${r.kind} 500k`, reps.at500k.at(-1)!));
        await quiet(srv.pid, 3000);
      }
      // Saturation: a fixed offered load well above what either server can do; each sender
      // keeps at most windowMsgs messages in flight, so queues stay bounded.
      const windowMsgs = o.satWindow ?? Math.max(4, Math.ceil(100_000 / n));
      const senders = n < 1000 ? 100 : 10;
      reps.sat.push(await traffic(gens, srv.pid, {
        kind: 'pub', peers, senders, senderOffset: nextOffset(senders), rate: plan.satOfferedDeliveries / (peers - 1),
        warmSec: plan.warmSec, sec: plan.satSec, probeEvery: Math.max(1, Math.floor(windowMsgs / 4)), windowMsgs,
      }));
      log(describeTraffic(`${r.kind} saturation`, reps.sat.at(-1)!));
      await quiet(srv.pid, 3000);
      if (n === 1000 && r.kind === 'dn' && firstRep) {
        entry.privFixed = await traffic(gens, srv.pid, {
          kind: 'priv', peers, senders: 10, senderOffset: nextOffset(10), rate: 1000, warmSec: 0.2, sec: plan.fixedSec,
          probeEvery: 1, windowMsgs: 1000,
        });
        log(describeTraffic(`${r.kind} privmsg fixed`, entry.privFixed));
        await quiet(srv.pid, 3000);
        entry.privSat = await traffic(gens, srv.pid, {
          kind: 'priv', peers, senders: 100, senderOffset: nextOffset(100), rate: 200_000, warmSec: plan.warmSec, sec: plan.satSec,
          probeEvery: 10, windowMsgs: 100,
        });
        log(describeTraffic(`${r.kind} privmsg saturation`, entry.privSat));
        await quiet(srv.pid, 3000);
      }
    }
  } finally {
    await stopServer(srv, r.errors);
    await gens.reset();
  }
}

/** Reported figures: the best ceiling and the median-p99 latency run of the repetitions. */
function finishFanout(r: TargetResult): void {
  for (const e of r.fanout ?? []) {
    const reps = e.reps;
    if (!reps) continue;
    if (reps.fixed.length) e.fixed = medianByP99(reps.fixed);
    if (reps.at500k.length) e.at500k = medianByP99(reps.at500k);
    if (reps.sat.length) e.sat = reps.sat.reduce((x, y) => (y.deliveredPerSec > x.deliveredPerSec ? y : x));
  }
  r.fanout?.sort((x, y) => x.peers - y.peers);
}

/**
 * Bursts of connects issued at once, each on a fresh server. For the DN, the largest burst also
 * runs with every client authenticating its nick (803 → 805 → 807; the handshake counts until
 * 807 ok), in `burstReps` pairs: plain and nick-auth back to back, the order alternating from
 * pair to pair, so that load from elsewhere on the machine hits both alike. The reported rows
 * are the median-p99 runs; the target is judged on the median of the pairs' p99 ratios.
 */
async function scenarioBurst(gens: Gens, o: Opts, plan: Plan, r: TargetResult): Promise<void> {
  r.bursts = [];
  const largest = Math.max(...plan.bursts);
  for (const n of plan.bursts) {
    if (r.kind !== 'dn' || n !== largest) {
      r.bursts.push(await burstOnce(gens, o, r, n, false));
      continue;
    }
    const pairs: { plain: BurstFigures; auth: BurstFigures }[] = [];
    for (let rep = 0; rep < plan.burstReps; rep++) {
      const first = rep % 2 === 1;
      const a = await burstOnce(gens, o, r, n, first);
      const b = await burstOnce(gens, o, r, n, !first);
      const pair = first ? { plain: b, auth: a } : { plain: a, auth: b };
      pairs.push(pair);
      log(`dn burst ${n} pair ${rep + 1}/${plan.burstReps}: nick-auth p99 ${(pair.auth.p99 / pair.plain.p99).toFixed(2)}× plain`);
    }
    r.authPairs = pairs;
    r.bursts.push(medianRun(pairs.map((p) => p.plain)));
    r.authBursts = [medianRun(pairs.map((p) => p.auth))];
  }
}

/** The burst run with the median p99 (the lower middle one for an even count). */
function medianRun(runs: BurstFigures[]): BurstFigures {
  return [...runs].sort((x, y) => x.p99 - y.p99)[Math.floor((runs.length - 1) / 2)]!;
}

async function burstOnce(gens: Gens, o: Opts, r: TargetResult, n: number, nickAuth: boolean): Promise<BurstFigures> {
  const srv = await startServer(r.kind, o, n + 1000);
  try {
    await gens.setPort(srv.port);
    await sleep(300);
    const cpu0 = [cpuSeconds(srv.pid), cpuSeconds(srv.pid, srv.pid)];
    const threads0 = threadCpu(srv.pid);
    const tcp0 = tcpCounters();
    const hs = await gens.connect(n, 0, true, nickAuth);
    const cpu = { serverCpuSec: cpuSeconds(srv.pid) - cpu0[0]!, serverMainCpuSec: cpuSeconds(srv.pid, srv.pid) - cpu0[1]! };
    const threads = [...threadCpu(srv.pid)].map(([name, sec]) => [name, sec - (threads0.get(name) ?? 0)] as const).filter(([, sec]) => sec >= 0.01).sort((x, y) => y[1] - x[1]);
    const tcp1 = tcpCounters();
    const tcp = { listenOverflows: tcp1.listenOverflows - tcp0.listenOverflows, synRetrans: tcp1.synRetrans - tcp0.synRetrans };
    await quiet(srv.pid);
    log(`${r.kind} burst ${n}${nickAuth ? ' with nick-auth' : ''}: p50 ${hs.p50.toFixed(1)} p99 ${hs.p99.toFixed(1)} ms, ok ${hs.ok}, timeouts ${hs.timeouts}, rejected ${hs.rejected}, errors ${hs.errors}, wall ${hs.wallMs.toFixed(0)} ms; CPU-s server ${cpu.serverCpuSec.toFixed(2)} (main thread ${cpu.serverMainCpuSec.toFixed(2)}), generators ${(hs.genCpuSec ?? 0).toFixed(2)}; listen overflows ${tcp.listenOverflows}, SYN retransmits ${tcp.synRetrans}; load ${machineLoad().load1.toFixed(2)}; server threads ${threads.map(([name, sec]) => `${name} ${sec.toFixed(2)}`).join(', ')}`);
    return { ...hs, ...cpu, ...tcp, peers: n, rssKiB: rssKiB(srv.pid) };
  } finally {
    await stopServer(srv, r.errors);
    await gens.reset();
  }
}

async function scenarioDisconnect(gens: Gens, o: Opts, plan: Plan, r: TargetResult): Promise<void> {
  const srv = await startServer(r.kind, o, plan.disconnectTotal + 1000);
  try {
    await gens.setPort(srv.port);
    await connectTo(gens, plan.disconnectTotal, plan.rampRate);
    await quiet(srv.pid);
    const peers = await gens.handshaked();
    const i0 = cpuSeconds(srv.pid);
    await sleep(1000);
    const idleRate = cpuSeconds(srv.pid) - i0;
    const s0 = await gens.snapshot();
    const c0 = cpuSeconds(srv.pid);
    const t0 = Date.now();
    await gens.all((_, i) => ({ op: 'disconnect', count: gens.split(plan.disconnectLeaving, i) }), DisconnectResult, 60_000);
    // Settled when neither the server's CPU time nor the remaining peers' line count moves for 1 s.
    let lastCpu = -1;
    let lastLines = -1;
    let stable = 0;
    let tQuiet = Date.now();
    let s1 = s0;
    let c1 = c0;
    while (Date.now() - t0 < 60_000) {
      await sleep(250);
      s1 = await gens.snapshot();
      c1 = cpuSeconds(srv.pid);
      const l = s1.reduce((a, s) => a + s.lines, 0);
      if (c1 - lastCpu <= 0.005 && l === lastLines) {
        if (++stable >= 4) break;
      } else {
        stable = 0;
        tQuiet = Date.now();
      }
      lastCpu = c1;
      lastLines = l;
    }
    const settleMs = tQuiet - t0;
    const d: DisconnectFigures = {
      peers, leaving: plan.disconnectLeaving, remaining: s1.reduce((a, s) => a + s.handshaked, 0),
      cpuSeconds: Math.max(0, c1 - c0 - idleRate * ((Date.now() - t0) / 1000)),
      noticeLines: s1.reduce((a, s) => a + s.lines, 0) - s0.reduce((a, s) => a + s.lines, 0),
      noticeBytes: s1.reduce((a, s) => a + s.bytes, 0) - s0.reduce((a, s) => a + s.bytes, 0),
      settleMs, lostPeers: s1.reduce((a, s) => a + s.lostPeers, 0) - s0.reduce((a, s) => a + s.lostPeers, 0),
    };
    r.disconnect = d;
    log(`${r.kind} disconnect ${d.leaving}/${d.peers}: ${d.cpuSeconds.toFixed(2)} CPU-s, ${d.noticeLines} notice lines (${d.noticeBytes} B), settled in ${settleMs} ms`);
  } finally {
    await stopServer(srv, r.errors);
    await gens.reset();
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const o = parseOpts();
  const plan = makePlan(o);
  const started = Date.now();
  const loadStart = machineLoad();
  ensureDist(o);
  mkdirSync(RESULTS, { recursive: true });
  const gens = new Gens(ROOT, o.gens, o.genNodeArg);
  const cleanup = (): void => {
    for (const g of gens.list) g.kill();
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const results: TargetResult[] = [];
  try {
    // Spare identities: peers that fail their handshake are not reused within a server's life.
    const maxPeers = Math.ceil(Math.max(...plan.growSteps, ...plan.fanoutNs, ...plan.bursts, plan.disconnectTotal) * 1.05) + 200;
    await gens.init(await identities(gens, maxPeers, RESULTS, log), maxPeers, o.network, o.handshakeTimeout);
    const kinds: ('baseline' | 'dn')[] = o.target === 'both' ? ['baseline', 'dn'] : [o.target];
    const want = (s: 'grow' | 'fanout' | 'burst' | 'disconnect'): boolean => o.only.length === 0 || o.only.includes(s);
    for (const kind of kinds) {
      const r: TargetResult = { kind, label: kind === 'dn' ? 'our DN (jm-directory)' : 'bare baseline', available: true, errors: [] };
      results.push(r);
      if (kind === 'dn' && !existsSync(DIST_DN)) {
        r.available = false;
        r.note = 'dist/src/cli/jm-directory.js not found (DN not written yet?)';
        log(r.note);
      }
    }
    // Scenario by scenario, baseline then DN, so that load from elsewhere on the machine
    // hits both alike.
    const run = async (r: TargetResult, name: string, fn: () => Promise<void>): Promise<void> => {
      if (!r.available) return;
      try {
        await fn();
      } catch (e) {
        const msg = `${r.kind} ${name}: ${e instanceof Error ? e.message : String(e)}`;
        r.errors.push(msg);
        log(`ERROR ${msg}`);
        await gens.reset().catch(() => undefined);
      }
    };
    if (want('fanout')) {
      // The 1,000-peer target runs alternate baseline / DN repetition by repetition.
      for (let rep = 0; rep < plan.reps; rep++) {
        for (const r of results) await run(r, 'fanout', () => scenarioFanout(gens, o, plan, r, [1000], rep === 0));
      }
      const others = plan.fanoutNs.filter((n) => n !== 1000);
      if (others.length) for (const r of results) await run(r, 'fanout', () => scenarioFanout(gens, o, plan, r, others, false));
      for (const r of results) finishFanout(r);
    }
    for (const [name, fn] of [
      ['burst', scenarioBurst],
      ['disconnect', scenarioDisconnect],
      ['grow', scenarioGrow],
    ] as const) {
      if (!want(name)) continue;
      for (const r of results) await run(r, name, () => fn(gens, o, plan, r));
    }
  } finally {
    await gens.close();
  }
  const base = results.find((r) => r.kind === 'baseline');
  const dn = results.find((r) => r.kind === 'dn');
  const verdicts = evaluateTargets(base, dn, { holdPeers: plan.growSteps.at(-1)!, burstPeers: plan.bursts.at(-1)!, disconnectLeaving: plan.disconnectLeaving });
  const loadEnd = machineLoad();
  const table = formatTable(['metric', 'baseline', 'DN', 'DN/base', 'reference'], buildRows(base, dn));
  const elapsed = (Date.now() - started) / 1000;
  const header = `JoinMarket DN benchmark (${o.quick ? 'quick' : 'full'}), ${loadEnd.cores} cores, load avg ${loadStart.load1.toFixed(2)} → ${loadEnd.load1.toFixed(2)}, ${o.gens} load generators, ${elapsed.toFixed(0)} s`;
  const note = '* = reached the offered load, so the figure is the load generator\'s / machine\'s limit, not the server\'s';
  process.stdout.write(`\n${header}\n\n${table}\n${note}\n\nTargets:\n${formatVerdicts(verdicts)}\n`);
  for (const r of results) for (const e of r.errors) process.stdout.write(`error (${r.kind}): ${e}\n`);
  const out = o.out ?? join(RESULTS, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ version: 1, mode: o.quick ? 'quick' : 'full', date: new Date().toISOString(), node: process.version, machine: { loadStart, loadEnd }, options: o, plan, elapsedSec: elapsed, results, verdicts, table }, null, 2));
  process.stdout.write(`\nJSON: ${relative(process.cwd(), out)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
