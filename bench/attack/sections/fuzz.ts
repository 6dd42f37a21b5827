/**
 * Attack section "fuzz": generated and mutated lines (bench/attack/fuzz-lines.ts over the
 * captured fixture lines) through a `jm-directory` child process over TCP, ≥ 1,000,000 in the
 * long mode. Workers keep connections open (most start with a valid handshake, then send fuzz
 * with their own nick as sender) and reconnect when the DN closes them.
 *
 * Verdict: the DN is alive with no error output (0 uncaught exceptions, 0 internal errors),
 * 0 stuck connections (every connection left open answers a PING or is closed by the DN within
 * its deadlines; the DN's own counts agree), RSS flat (slope of the second half), honest peers
 * served during and after.
 */
import { fixtureLines } from '../../../test/helpers/wire-fixtures.js';
import { slope } from '../../lib/stats.js';
import type { AttackRow, SectionRun } from '../types.js';
import { describeCheck, HonestPeers, type CheckResultT } from '../lib/honest.js';
import { BUDGET_OFF_ARGS, LEAK_CHECK_NODE_ARGS, NETWORK, RssSampler, startDn, type DnTarget } from '../lib/targets.js';
import { RawPeer, randomNick, sleep } from '../lib/wire.js';
import { LineFuzzer, fuzzCorpus, type FuzzCorpus } from '../fuzz-lines.js';

/** DN deadlines shortened so a connection left mid-line or mid-handshake is settled quickly. */
const HANDSHAKE_TIMEOUT_S = 5;
/** RSS may drift by this much per minute in the second half and still count as flat. */
const FLAT_MIB_PER_MIN = 4;

interface Counters {
  /** Fuzz outputs the DN handled: answered by a PONG, or closed the connection. */
  lines: number;
  /** Connections that answered neither a PING nor closed (counted as stuck). */
  unanswered: number;
  bytes: number;
  connections: number;
  closedByDn: number;
  mutations: Map<string, number>;
}

/**
 * One worker: a connection at a time; each fuzz output is followed by a PING, so every line
 * counted was handled by the DN: answered (PONG) or the reason it closed the connection
 * (anything the worker had sent after that line is not counted). A connection that answers
 * neither, even after its partial line is ended, is stuck.
 */
async function worker(id: number, dn: DnTarget, corpus: FuzzCorpus, budget: () => boolean, c: Counters, open: Set<RawPeer>): Promise<void> {
  let seed = id * 1_000_003;
  while (budget()) {
    const nick = randomNick();
    let p: RawPeer;
    try {
      p = await RawPeer.open(dn.port, nick);
    } catch {
      await sleep(50);
      continue;
    }
    c.connections++;
    open.add(p);
    const f = new LineFuzzer(seed++, corpus, { nicks: [nick] });
    // Nine in ten start with a real handshake so the fuzz reaches message handling.
    if (seed % 10 !== 0 && !(await p.handshake(NETWORK, undefined, HANDSHAKE_TIMEOUT_S * 1000))) {
      if (!p.open) c.closedByDn++;
      p.close();
      open.delete(p);
      continue;
    }
    while (p.open && budget()) {
      const b = f.next();
      p.write(b);
      let rt = await p.roundTrip(2_000);
      // No answer and still open: the output left a partial line that swallowed the PING.
      if (rt === null && p.open) {
        p.write('\r\n');
        rt = await p.roundTrip(2_000);
      }
      if (rt === null && p.open) {
        c.unanswered++;
        p.close();
        break;
      }
      c.lines++;
      c.bytes += b.length;
      c.mutations.set(f.lastMutation, (c.mutations.get(f.lastMutation) ?? 0) + 1);
    }
    open.delete(p);
    if (p.closedByDirectory) c.closedByDn++;
    else if (p.open) open.add(p);
  }
}

/** Connections still open after the fuzz: each must answer a PING, or be closed by the DN in time. */
async function stuckConnections(open: Set<RawPeer>, lineTimeoutMs: number): Promise<{ stuck: number; answered: number; closed: number }> {
  const peers = [...open];
  // End any partial line, then ask for a PONG; pending ones are closed at the handshake timeout.
  const results = await Promise.all(peers.map(async (p) => {
    p.write('\r\n');
    const rt = await p.roundTrip(2_000);
    if (rt !== null) return 'answered';
    await Promise.race([p.closed, sleep(Math.max(HANDSHAKE_TIMEOUT_S * 1000, lineTimeoutMs) + 3_000)]);
    return p.open ? 'stuck' : 'closed';
  }));
  return { stuck: results.filter((r) => r === 'stuck').length, answered: results.filter((r) => r === 'answered').length, closed: results.filter((r) => r === 'closed').length };
}

export const run: SectionRun = async (ctx) => {
  const target = ctx.quick ? 30_000 : 1_000_000;
  const workers = 24;
  const row: AttackRow = {
    section: 'fuzz', name: ctx.quick ? 'fuzz-lines-short' : 'fuzz-lines-long',
    attack: `${target.toLocaleString('en-US')} generated and mutated lines (bit flips, splices, NUL, invalid UTF-8, floats, deep nesting, CR/LF, oversize, broken handshakes) from ${workers} connections`,
    outcome: 'failed', reaction: '', reactionMs: null, rssBeforeMiB: NaN, rssPeakMiB: NaN, rssAfterMiB: NaN,
    honestServed: false, honestDetail: '', figures: {}, pass: false,
  };
  if (ctx.only?.length && !ctx.only.includes(row.name)) return [];
  const corpus = fuzzCorpus(fixtureLines());
  const dn = await startDn({
    root: ctx.root, http: true, nodeArgs: LEAK_CHECK_NODE_ARGS,
    // Rate limits off: the lines must reach message handling, not stop at the limiter.
    args: ['--handshake-timeout', String(HANDSHAKE_TIMEOUT_S), '--rate-pubmsg', '0', '--rate-privmsg', '0', '--rate-orderbook', '0', '--rate-getpeerlist', '0', ...BUDGET_OFF_ARGS],
  });
  const honest = new HonestPeers(ctx.root);
  const open = new Set<RawPeer>();
  try {
    const j = await honest.join(dn.port, NETWORK);
    if (!j.ok) throw new Error(`honest peers could not join: ${j.error}`);
    row.rssBeforeMiB = Math.round(dn.rssMiB() * 10) / 10;
    const rss = new RssSampler(dn, 1_000, true).start();
    const c: Counters = { lines: 0, unanswered: 0, bytes: 0, connections: 0, closedByDn: 0, mutations: new Map() };
    const t0 = performance.now();
    let during: CheckResultT | null = null;
    const mid = (async () => {
      while (c.lines < target / 2 && dn.alive()) await sleep(200);
      during = await honest.check().catch(() => null);
    })();
    let lastLog = 0;
    const budget = (): boolean => {
      if (c.lines - lastLog >= target / 10) {
        lastLog = c.lines;
        ctx.log(`${c.lines.toLocaleString('en-US')} lines, ${c.connections.toLocaleString('en-US')} connections, DN RSS ${dn.rssMiB().toFixed(0)} MiB`);
      }
      return c.lines < target && dn.alive();
    };
    await Promise.all(Array.from({ length: workers }, (_, i) => worker(i + 1, dn, corpus, budget, c, open)));
    const sec = (performance.now() - t0) / 1000;
    await mid;
    const settle = await stuckConnections(open, 60_000);
    const after = dn.alive() ? await honest.check().catch(() => null) : null;
    const health = dn.http && dn.alive() ? ((await (await fetch(`http://${dn.http}/health`)).json()) as { peers: number; pending: number }) : null;
    row.rssPeakMiB = Math.round(rss.stop() * 10) / 10;
    row.rssAfterMiB = Math.round(dn.rssMiB() * 10) / 10;
    const half = rss.series.filter(([t]) => t >= sec / 2 && t <= sec);
    const slopePerMin = slope(half.map(([t]) => t), half.map(([, v]) => v)) * 60;
    // Everyone we still hold plus the honest pair; nothing pending.
    const expectedPeers = settle.answered + 2;
    const consistent = health !== null && health.pending === 0 && health.peers === expectedPeers;
    const alive = dn.alive();
    // A short run ends while V8's heap is still growing to its working size: judge flatness in the long mode only.
    const flat = ctx.quick || !(slopePerMin > FLAT_MIB_PER_MIN);
    row.figures = {
      lines: c.lines, megabytes: Math.round(c.bytes / 1e5) / 10, seconds: Math.round(sec), linesPerSec: Math.round(c.lines / sec),
      connections: c.connections, closedByDn: c.closedByDn, openAtEnd: open.size, answeredPing: settle.answered, closedAfter: settle.closed,
      stuck: settle.stuck + c.unanswered, dnErrorLines: dn.errors.length, rssSlopeMiBPerMin: Math.round(slopePerMin * 100) / 100,
      dnPeers: health?.peers ?? -1, dnPending: health?.pending ?? -1,
    };
    const stuck = settle.stuck + c.unanswered;
    const ok = alive && dn.errors.length === 0 && stuck === 0 && consistent && flat;
    row.outcome = ok ? 'held' : 'failed';
    row.reaction = [
      alive ? `alive after ${c.lines.toLocaleString('en-US')} lines (${row.figures.linesPerSec}/s)` : `EXITED (${dn.child.exitCode ?? dn.child.signalCode})`,
      `${dn.errors.length} error lines${dn.errors[0] ? ` (first: ${dn.errors[0]})` : ''}`,
      `${stuck} stuck (${c.unanswered} during, ${settle.stuck} of ${open.size} left open at the end)`,
      consistent ? 'DN counts agree' : `DN counts ${health ? `${health.peers} peers/${health.pending} pending, expected ${expectedPeers}/0` : 'unavailable'}`,
      `RSS slope ${slopePerMin.toFixed(2)} MiB/min in the 2nd half (flat ≤ ${FLAT_MIB_PER_MIN}${ctx.quick ? '; not judged in the short mode' : ''})`,
    ].join('; ');
    const ser = (x: CheckResultT | null): boolean => x !== null && x.fresh.ok && x.persistent.ok && x.lost === 0;
    row.honestServed = ser(during) && ser(after);
    row.honestDetail = `during: ${during ? describeCheck(during) : 'check failed'} | after: ${after ? describeCheck(after) : 'check failed'}`;
    row.pass = ok && row.honestServed;
    ctx.log(`mutations: ${[...c.mutations].sort((a, b) => b[1] - a[1]).map(([m, n]) => `${m} ${n}`).join(', ')}`);
  } catch (e) {
    row.reaction = `runner error: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    for (const p of open) p.close();
    honest.kill();
    await dn.stop();
  }
  ctx.log(`${row.name}: ${row.outcome} — ${row.reaction}`);
  return [row];
};
