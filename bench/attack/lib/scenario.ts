/**
 * One attack against a fresh directory node: start it, let the honest pair join, sample its
 * RSS while the attack runs, check the honest peers during and after, and turn it all into an
 * AttackRow with a verdict. Sections describe attacks as AttackSpecs and call runAttacks().
 */
import type { AttackOutcome, AttackRow, SectionContext } from '../types.js';
import { waitCpuQuiet } from '../../lib/proc.js';
import { describeCheck, HonestPeers, type CheckResultT } from './honest.js';
import { NETWORK, RssSampler, startDn, type DnTarget } from './targets.js';
import type { RawPeer } from './wire.js';

export interface AttackEnv {
  dn: DnTarget;
  quick: boolean;
  /** The package root (helper processes live in its dist/). */
  root: string;
  /** Nicks of the persistent honest pair (victims for spoofing and takeover). */
  honestNicks: string[];
  log(msg: string): void;
  /** Checks the honest peers now (call it at the attack's height); the runner checks again afterwards. */
  honestDuring(): Promise<CheckResultT | null>;
  /** Peers to close when the attack ends. */
  track<T extends RawPeer>(p: T): T;
  trackAll<T extends RawPeer>(ps: T[]): T[];
  rss: RssSampler;
}

export interface AttackResult {
  outcome: AttackOutcome;
  reaction: string;
  reactionMs: number | null;
  figures?: AttackRow['figures'];
  /** A further condition of this attack's verdict (e.g. no line over the limit was relayed). */
  pass?: boolean;
}

export interface AttackSpec {
  name: string;
  attack: string;
  /** jm-directory flags for this attack (defaults otherwise). */
  dnArgs?: (quick: boolean) => string[];
  /** Node options for the DN (e.g. a heap cap, so that a leak shows as a crash). */
  dnNodeArgs?: string[];
  http?: boolean;
  /** Allowed RSS growth (peak − before) in MiB; default 64. */
  rssBudgetMiB?: number;
  /**
   * During the attack the fresh honest pair is judged by its handshake only (its pubmsg is
   * reported): when the attack is a crowd of fresh nicks each sending a pubmsg, a fresh honest
   * nick is one of that crowd to the DN, and the persistent pair (connected before) is the
   * honest sender that must get through. The check after the attack judges both in full.
   */
  freshHandshakeOnly?: boolean;
  /** The attack stops the DN itself: no check afterwards, no SIGTERM at the end. */
  stopsTarget?: boolean;
  run(env: AttackEnv): Promise<AttackResult>;
}

const mib = (v: number): number => Math.round(v * 10) / 10;

function served(c: CheckResultT | null, handshakeOnly = false): boolean {
  return c !== null && (c.fresh.ok || (handshakeOnly && c.fresh.accepted)) && c.persistent.ok && c.lost === 0;
}

async function safeCheck(h: HonestPeers): Promise<CheckResultT | null> {
  try {
    return await h.check();
  } catch {
    return null;
  }
}

export async function runAttack(section: AttackRow['section'], spec: AttackSpec, ctx: SectionContext, honest: HonestPeers): Promise<AttackRow> {
  const row: AttackRow = {
    section, name: spec.name, attack: spec.attack, outcome: 'failed', reaction: '', reactionMs: null,
    rssBeforeMiB: NaN, rssPeakMiB: NaN, rssAfterMiB: NaN, honestServed: false, honestDetail: '', figures: {}, pass: false,
  };
  let dn: DnTarget | null = null;
  const peers: RawPeer[] = [];
  try {
    dn = await startDn({ root: ctx.root, args: spec.dnArgs?.(ctx.quick) ?? [], nodeArgs: spec.dnNodeArgs ?? [], http: spec.http ?? false });
    const j = await honest.join(dn.port, NETWORK);
    if (!j.ok) throw new Error(`honest peers could not join the idle directory: ${j.error}`);
    await waitCpuQuiet(dn.pid, ctx.quick ? 1_000 : 2_000);
    row.rssBeforeMiB = mib(dn.rssMiB());
    const rss = new RssSampler(dn, 100, true).start();
    let during: CheckResultT | null | undefined;
    const d = dn;
    const env: AttackEnv = {
      dn: d, quick: ctx.quick, root: ctx.root, honestNicks: j.nicks, log: ctx.log, rss,
      honestDuring: async () => {
        during = await safeCheck(honest);
        return during;
      },
      track: (p) => {
        peers.push(p);
        return p;
      },
      trackAll: (ps) => {
        peers.push(...ps);
        return ps;
      },
    };
    const t0 = performance.now();
    const r = await spec.run(env);
    const attackSec = (performance.now() - t0) / 1000;
    if (during === undefined) during = await safeCheck(honest);
    for (const p of peers) p.close();
    let after: CheckResultT | null = null;
    if (!spec.stopsTarget && dn.alive()) {
      await waitCpuQuiet(dn.pid, ctx.quick ? 1_000 : 5_000);
      after = await safeCheck(honest);
    }
    row.rssPeakMiB = mib(rss.stop());
    row.rssAfterMiB = mib(spec.stopsTarget ? NaN : dn.rssMiB());
    row.outcome = r.outcome;
    row.reaction = r.reaction;
    row.reactionMs = r.reactionMs === null ? null : Math.round(r.reactionMs);
    row.figures = { ...r.figures, attackSec: Math.round(attackSec * 10) / 10, dnLogBytes: dn.logBytes() };
    const handshakeOnly = spec.freshHandshakeOnly ?? false;
    row.honestServed = served(during ?? null, handshakeOnly) && (spec.stopsTarget || served(after));
    row.honestDetail = `during: ${during ? describeCheck(during, handshakeOnly) : 'check failed'}` + (after ? ` | after: ${describeCheck(after)}` : '');
    const budget = spec.rssBudgetMiB ?? 64;
    const growth = row.rssPeakMiB - row.rssBeforeMiB;
    row.figures.rssGrowthMiB = mib(growth);
    row.figures.rssBudgetMiB = budget;
    if (!spec.stopsTarget && !dn.alive()) {
      row.outcome = 'failed';
      row.reaction += `; the DN exited (${dn.child.exitCode ?? dn.child.signalCode})`;
    }
    if (dn.errors.length > 0) {
      row.outcome = 'failed';
      row.reaction += `; DN error output: ${dn.errors[0]}`;
      row.figures.dnErrorLines = dn.errors.length;
    }
    row.pass = row.outcome !== 'failed' && row.honestServed && growth <= budget && (r.pass ?? true);
  } catch (e) {
    row.outcome = 'failed';
    row.reaction = `runner error: ${e instanceof Error ? e.message : String(e)}`;
    ctx.log(`${spec.name}: ${row.reaction}`);
  } finally {
    for (const p of peers) p.close();
    await honest.reset().catch(() => undefined);
    if (dn && dn.alive()) {
      const s = await dn.stop();
      if (!spec.stopsTarget && (s.killed || s.code !== 0)) row.figures.dnStop = s.killed ? 'killed after 8 s' : `exit ${s.code ?? s.signal}`;
    }
  }
  ctx.log(`${section}/${spec.name}: ${row.outcome}${row.pass ? '' : ' (FAIL)'} — ${row.reaction}; RSS ${row.rssBeforeMiB}→${row.rssPeakMiB}→${row.rssAfterMiB} MiB; honest ${row.honestServed ? 'served' : 'NOT served'}`);
  return row;
}

/** Runs the specs one after another (filtered by ctx.only) with one honest-peer process. */
export async function runAttacks(section: AttackRow['section'], specs: readonly AttackSpec[], ctx: SectionContext): Promise<AttackRow[]> {
  const honest = new HonestPeers(ctx.root);
  const rows: AttackRow[] = [];
  try {
    for (const s of specs) {
      if (ctx.only && ctx.only.length > 0 && !ctx.only.includes(s.name)) continue;
      rows.push(await runAttack(section, s, ctx, honest));
    }
  } finally {
    honest.kill();
  }
  return rows;
}

/**
 * Like closeSummary, for peers that stopped reading: they never see the DN's FIN (it waits
 * behind their unread data), so the DN's own log tells when it cut them.
 */
export function cutSummary(peers: readonly RawPeer[], cuts: Map<string, { time: number; reason: string }>, t0Epoch: number): ReturnType<typeof closeSummary> & { reasons: string } {
  const times = peers.map((p) => cuts.get(p.nick)).filter((c) => c !== undefined).map((c) => c.time - t0Epoch).sort((a, b) => a - b);
  const reasons = [...new Set(peers.map((p) => cuts.get(p.nick)?.reason.replace(/[0-9]+/g, 'N')).filter((r) => r !== undefined))].join('; ');
  return { ...summarizeTimes(times, peers.length), reasons };
}

function summarizeTimes(times: number[], total: number): ReturnType<typeof closeSummary> {
  const medianMs = times.length ? times[Math.floor((times.length - 1) / 2)]! : null;
  const maxMs = times.length ? times[times.length - 1]! : null;
  const s = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const text = times.length === 0 ? `closed 0/${total}` : `closed ${times.length}/${total} after ${s(medianMs!)} (median; max ${s(maxMs!)})`;
  return { closed: times.length, total, medianMs, maxMs, text };
}

/** How a set of attacker connections ended: "closed 198/200 after 10.0 s (median; max 10.4 s)". */
export function closeSummary(peers: readonly RawPeer[], t0: number): { closed: number; total: number; medianMs: number | null; maxMs: number | null; text: string } {
  return summarizeTimes(peers.filter((p) => p.closedByDirectory).map((p) => p.closedAt! - t0).sort((a, b) => a - b), peers.length);
}
