/**
 * Directory-node attacks by volume: an `!orderbook` flood from many nicks, connection churn,
 * idle connections past the pending cap, and SIGTERM while loaded.
 */
import { closeSummary, type AttackSpec } from '../lib/scenario.js';
import { LEAK_CHECK_NODE_ARGS, NETWORK } from '../lib/targets.js';
import { RawPeer, openMany, sleep } from '../lib/wire.js';
import { resolveLimits } from '../../../src/directory/limits.js';
import { slope } from '../../lib/stats.js';
import { churnLoop } from '../lib/churn.js';
import { until } from './dn-bytes.js';

/** GET http://<host:port><path> as JSON. */
async function getJson(hostPort: string, path: string): Promise<Record<string, unknown>> {
  const r = await fetch(`http://${hostPort}${path}`);
  return (await r.json()) as Record<string, unknown>;
}

export const ORDERBOOK_FLOOD: AttackSpec = {
  name: 'orderbook-flood',
  attack: '200 nicks each send !orderbook 20 times a second for 10 s (limit: 6 a minute)',
  async run(env) {
    const n = env.quick ? 50 : 200;
    const sec = env.quick ? 4 : 10;
    const observer = env.track(await RawPeer.joined(env.dn.port, NETWORK));
    observer.pattern = Buffer.from('!orderbook');
    const attackers = env.trackAll((await openMany(n, 50, () => RawPeer.joined(env.dn.port, NETWORK))).ok);
    const t0 = performance.now();
    let sent = 0;
    const timer = setInterval(() => {
      for (const a of attackers) if (a.open && a.pubmsg('!orderbook')) sent++;
    }, 50);
    await sleep(sec * 500);
    await env.honestDuring();
    await sleep(sec * 500);
    clearInterval(timer);
    await observer.roundTrip();
    const limits = resolveLimits({});
    // Per peer: a fresh bucket holds a minute's allowance, then it refills at perMin a minute.
    // DN-wide: the !orderbook budget's burst, then its rate.
    const perPeer = n * Math.ceil(limits.rateOrderbookPerMin + (limits.rateOrderbookPerMin * sec) / 60);
    const dnWide = limits.broadcastOrderbookPerSec > 0 ? Math.ceil(limits.broadcastOrderbookPerSec * (limits.broadcastBurstMs / 1000 + sec)) : Infinity;
    const allowed = Math.min(perPeer, dnWide);
    const c = closeSummary(attackers, t0);
    const ok = observer.matches <= allowed;
    const figures = { attackers: n, sent, relayed: observer.matches, allowed, cut: c.closed };
    const text = `relayed ${observer.matches.toLocaleString('en-US')} of ${sent.toLocaleString('en-US')} (allowance ${allowed.toLocaleString('en-US')}, ${allowed === dnWide ? 'DN-wide' : 'per peer'}); ${c.text}`;
    return { outcome: !ok ? 'failed' : c.closed === n ? 'cut' : 'bounded', reaction: text, reactionMs: c.medianMs, figures, pass: ok };
  },
};

export const CHURN: AttackSpec = {
  name: 'churn',
  attack: '16 loops of connect, handshake, pubmsg, close as fast as the DN answers for 20 s (DN heap capped at 96 MiB: a leak would crash it); the honest pair joined before it',
  http: true,
  // Each churned nick's pubmsg is a newcomer's first message: a fresh honest pair's is one more of those.
  freshHandshakeOnly: true,
  dnNodeArgs: LEAK_CHECK_NODE_ARGS,
  rssBudgetMiB: 96,
  async run(env) {
    const sec = env.quick ? 5 : 20;
    const counts = { cycles: 0, failures: 0 };
    let stop = false;
    const t0 = performance.now();
    const loops = Array.from({ length: 16 }, () => churnLoop(env.dn.port, NETWORK, () => stop, (p) => p.pubmsg('churn'), counts));
    await sleep(sec * 500);
    await env.honestDuring();
    await sleep(sec * 500);
    stop = true;
    await Promise.all(loops);
    const { cycles, failures } = counts;
    const wall = (performance.now() - t0) / 1000;
    await sleep(1_000);
    // Every churned connection is gone from the DN's books: only the honest pair is left.
    const h = await getJson(env.dn.http!, '/health');
    const left = Number(h.peers) + Number(h.pending);
    const figures: Record<string, number> = { cycles, perSec: Math.round(cycles / wall), failures, dnPeersAfter: Number(h.peers), dnPendingAfter: Number(h.pending) };
    // A leak shows as RSS still climbing in the second half of the churn (the first half pays for heap growth).
    const half = env.rss.series.filter(([t]) => t >= sec / 2 && t <= sec);
    const slopeMiBs = slope(half.map(([t]) => t), half.map(([, v]) => v));
    figures.rssSlopeMiBperSec = Math.round(slopeMiBs * 100) / 100;
    // A short run ends while V8's heap is still growing to its working size: judge the slope in the full run only.
    const clean = left <= 2 && (env.quick || !(slopeMiBs > 1));
    return {
      outcome: clean ? 'bounded' : 'failed', reactionMs: null, figures, pass: clean,
      reaction: `${cycles.toLocaleString('en-US')} cycles (${figures.perSec}/s), ${failures} refused/failed; afterwards ${h.peers} peers, ${h.pending} pending; RSS slope ${figures.rssSlopeMiBperSec} MiB/s in the 2nd half`,
    };
  },
};

/** A counter from the DN's /metrics (Prometheus text), optionally one label's series; 0 when absent. */
async function metric(hostPort: string, name: string, label?: string): Promise<number> {
  const text = await (await fetch(`http://${hostPort}/metrics`)).text();
  const key = label === undefined ? `${name} ` : `${name}{${label}} `;
  const line = text.split('\n').find((l) => l.startsWith(key));
  return line === undefined ? 0 : Number(line.slice(key.length));
}

const PENDING_CAP = 500;
/** A full connect or disconnect log line is ~200 bytes; 512 leaves room for long remotes and reasons. */
const LOG_LINE_BYTES = 512;

/**
 * Idle connections, three times the pending cap, that never send a byte; each one the DN
 * closes is reopened at once. At the cap every newcomer closes the oldest pending socket, so
 * the flood churns through the cap as fast as the two sides can connect; honest peers must
 * still get through, and the connect/disconnect log lines stay within their per-minute burst
 * (two kinds, at most two intervals in the row) however many connections the flood makes.
 */
export const PENDING_CAP_FLOOD: AttackSpec = {
  name: 'pending-cap-flood',
  attack: `${(3 * PENDING_CAP).toLocaleString('en-US')} idle connections against --max-pending ${PENDING_CAP}, each one the DN closes reopened at once, for 15 s (DN heap capped at 96 MiB: a leak would crash it)`,
  http: true,
  // Tens of thousands of sockets come and go, as in the churn row: the heap cap, not RSS, shows a leak.
  dnNodeArgs: LEAK_CHECK_NODE_ARGS,
  rssBudgetMiB: 96,
  dnArgs: () => ['--max-pending', String(PENDING_CAP)],
  async run(env) {
    const sec = env.quick ? 5 : 15;
    const log0 = env.dn.logBytes();
    const live = new Set<RawPeer>();
    let opened = 0;
    let failures = 0;
    let stop = false;
    let stopped!: () => void;
    const stopping = new Promise<void>((r) => (stopped = r));
    const openOne = async (): Promise<RawPeer> => {
      const p = await RawPeer.open(env.dn.port);
      opened++;
      live.add(p);
      void p.closed.then(() => live.delete(p));
      return p;
    };
    const keepOpen = async (first: RawPeer): Promise<void> => {
      let p = first;
      while (!stop) {
        await Promise.race([p.closed, stopping]);
        if (stop) return;
        try {
          p = await openOne();
        } catch {
          failures++;
          await sleep(100);
        }
      }
    };
    const t0 = performance.now();
    const first = (await openMany(3 * PENDING_CAP, 200, openOne)).ok;
    const loops = first.map(keepOpen);
    const honest = { handshakeMs: null as number | null };
    await until(() => false, sec * 1000, async () => {
      honest.handshakeMs = (await env.honestDuring())?.fresh.handshakeMs ?? null;
    });
    stop = true;
    stopped();
    await Promise.all(loops);
    const wall = (performance.now() - t0) / 1000;
    for (const p of live) p.close();
    const http = env.dn.http!;
    const evicted = await metric(http, 'jm_directory_pending_evicted_total');
    const timedOut = await metric(http, 'jm_directory_disconnects_total', 'reason="handshake-timeout"');
    const logBytes = env.dn.logBytes() - log0;
    const logBound = 2 * (2 * resolveLimits({}).connectionLogLinesPerMin + 10) * LOG_LINE_BYTES;
    const figures = {
      maxPending: PENDING_CAP, opened, evicted, evictedPerSec: Math.round(evicted / wall), handshakeTimeouts: timedOut, openFailures: failures,
      honestHandshakeMs: honest.handshakeMs === null ? 'none' : Math.round(honest.handshakeMs * 10) / 10, logBytes, logBytesPerConnection: Math.round((logBytes / Math.max(1, opened)) * 10) / 10, logBound,
    };
    const ok = evicted > 0 && logBytes <= logBound;
    const hs = honest.handshakeMs === null ? 'no honest handshake' : `honest handshake ${honest.handshakeMs.toFixed(1)} ms`;
    return {
      outcome: ok ? 'cut' : 'failed', reactionMs: null, figures, pass: ok,
      reaction: `closed the oldest pending socket ${evicted.toLocaleString('en-US')} times (${figures.evictedPerSec}/s) and ${timedOut} at the handshake deadline over ${opened.toLocaleString('en-US')} connections; ${hs}; ${Math.round(logBytes / 1024)} KiB of log (bound ${Math.round(logBound / 1024)} KiB)`,
    };
  },
};

export const SIGTERM_UNDER_LOAD: AttackSpec = {
  name: 'sigterm-under-load',
  attack: 'SIGTERM while 1,000 peers are connected, 200 drip partial lines and pubmsgs flow at 100/s',
  stopsTarget: true,
  async run(env) {
    const n = env.quick ? 300 : 1_000;
    const peers = env.trackAll((await openMany(n, 100, () => RawPeer.joined(env.dn.port, NETWORK))).ok);
    const drip = env.trackAll((await openMany(Math.round(n / 5), 100, () => RawPeer.joined(env.dn.port, NETWORK))).ok);
    for (const d of drip) d.write(`{"type": 687, "line": "${d.nick}!PUBLIC!`);
    const senders = peers.slice(0, 10);
    const timer = setInterval(() => {
      for (const s of senders) s.pubmsg('load');
      for (const d of drip) d.write('a');
    }, 100);
    await sleep(2_000);
    await env.honestDuring();
    const t0 = performance.now();
    const r = await env.dn.stop(10_000);
    clearInterval(timer);
    await Promise.race([Promise.all([...peers, ...drip].map((p) => p.closed)), sleep(3_000)]);
    const all = [...peers, ...drip];
    const c = closeSummary(all, t0);
    const clean = !r.killed && r.code === 0 && c.closed === all.length;
    const figures = { peers: all.length, exitCode: r.code ?? String(r.signal), exitMs: Math.round(r.ms), closed: c.closed };
    return {
      outcome: clean ? 'held' : 'failed', reactionMs: r.ms, figures, pass: clean,
      reaction: `${r.killed ? 'did not exit within 10 s (killed)' : `exited ${r.code ?? r.signal} after ${(r.ms / 1000).toFixed(2)} s`}; ${c.text}`,
    };
  },
};
