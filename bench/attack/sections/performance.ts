/**
 * Attack section "performance": honest fan-out while attackers flood at their per-peer rate
 * limits and thousands of connections slowloris, beside a quiet run (same honest load, no
 * attack) measured in the same invocation. Honest peers come from the benchmark's load
 * generators (bench/loadgen.ts, two processes), attackers from bench/attack/flooder.ts; the
 * DN is its own process.
 *
 * Targets: honest fan-out p99 ≤ 2× quiet, 0 honest peers lost, DN RSS ≤ quiet + 100 MiB.
 */
import { join } from 'node:path';
import type { AttackRow, SectionRun } from '../types.js';
import { Gens, identities, traffic } from '../../lib/gens.js';
import type { TrafficFigures } from '../../lib/report.js';
import { Flooder, type FloodMix, type FloodStatsT } from '../lib/flood.js';
import { NETWORK, RssSampler, startDn } from '../lib/targets.js';
import { sleep } from '../lib/wire.js';

export const PERF_TARGETS = { p99Ratio: 2, lostPeers: 0, rssOverQuietMiB: 100 };

interface Plan {
  honest: number;
  attackers: number;
  slowloris: number;
  /** Honest pubmsgs per second in total (10 senders), each fanned out to every peer. */
  rate: number;
  sec: number;
}

interface Phase {
  mix: FloodMix | null;
  traffic: TrafficFigures;
  honestConnected: number;
  lost: number;
  rssBaseMiB: number;
  rssPeakMiB: number;
  rssEndMiB: number;
  dnCpuUtil: number;
  flood: FloodStatsT | null;
}

const r1 = (v: number): number => Math.round(v * 10) / 10;

async function phase(root: string, gens: Gens, flooder: Flooder, plan: Plan, mix: FloodMix | null, log: (m: string) => void): Promise<Phase> {
  const prof = process.env.JM_ATTACK_CPU_PROF;
  const dn = await startDn({ root, ...(prof ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', prof] } : {}) });
  try {
    await gens.setPort(dn.port);
    if (mix) {
      await flooder.init(dn.port, NETWORK);
      log(`${mix}: opening ${plan.slowloris} slowloris connections ...`);
      await flooder.slowloris(plan.slowloris);
    }
    const lost0 = (await gens.snapshot()).reduce((n, s) => n + s.lostPeers, 0);
    const hs = await gens.connect(plan.honest, 2_000, false);
    if (mix) {
      log(`${mix}: ${hs.ok} honest peers in; opening ${plan.attackers} attackers ...`);
      await flooder.attackers(plan.attackers, mix);
    }
    // The attackers' first buckets (a minute's allowance each) go out at once; measure after.
    await sleep(mix ? 3_000 : 1_000);
    const rssBase = dn.rssMiB();
    const rss = new RssSampler(dn).start();
    const t = await traffic(gens, dn.pid, { kind: 'pub', peers: plan.honest, senders: 10, senderOffset: 0, rate: plan.rate, warmSec: 1, sec: plan.sec, probeEvery: 1, windowMsgs: 1_000 });
    const peak = rss.stop();
    const flood = mix ? await flooder.stop() : null;
    const lost = (await gens.snapshot()).reduce((n, s) => n + s.lostPeers, 0) - lost0 + (hs.attempted - hs.ok);
    log(`${mix ?? 'quiet'}: honest p50/p99 ${t.latency.p50.toFixed(2)}/${t.latency.p99.toFixed(2)} ms, missing ${t.missing}, lost ${lost}, DN CPU ${t.serverCpuUtil.toFixed(2)}, RSS ${rssBase.toFixed(0)}→${peak.toFixed(0)} MiB` + (flood ? `; attackers ${flood.attackersOpen}/${flood.attackers} open (${flood.attackersCut} cut, ${flood.attackersRefused} refused), slowloris ${flood.slowlorisOpen} open, ${flood.slowlorisClosedByDn} closed by the DN, ${flood.messagesSent} flood messages` : ''));
    return { mix, traffic: t, honestConnected: hs.ok, lost, rssBaseMiB: rssBase, rssPeakMiB: peak, rssEndMiB: dn.rssMiB(), dnCpuUtil: t.serverCpuUtil, flood };
  } finally {
    await gens.reset();
    await dn.stop();
  }
}

const MIX_TEXT: Record<FloodMix, string> = {
  orderbook: 'attackers send !orderbook and GETPEERLIST at their limits (6 a minute each, a full bucket at connect)',
  pubmsg: 'attackers send pubmsgs at the pubmsg limit (10 a second each)',
};

function row(p: Phase, quiet: Phase, plan: Plan): AttackRow {
  const t = p.traffic;
  const lat = `${t.latency.p50.toFixed(1)}/${t.latency.p99.toFixed(1)} ms`;
  const figures: AttackRow['figures'] = {
    honestPeers: p.honestConnected, p50Ms: r1(t.latency.p50), p99Ms: r1(t.latency.p99), maxMs: r1(t.latency.max), delivered: t.delivered,
    missing: t.missing, skipped: t.skipped, lost: p.lost, dnCpu: r1(t.serverCpuUtil * 100) / 100, windowSec: r1(t.windowSec),
    ...(p.flood ? { attackersOpen: p.flood.attackersOpen, attackersCut: p.flood.attackersCut, slowlorisOpen: p.flood.slowlorisOpen, slowlorisClosedByDn: p.flood.slowlorisClosedByDn, floodMessages: p.flood.messagesSent } : {}),
  };
  const base = {
    section: 'performance' as const, rssBeforeMiB: r1(p.rssBaseMiB), rssPeakMiB: r1(p.rssPeakMiB), rssAfterMiB: r1(p.rssEndMiB),
    honestServed: p.lost === 0 && t.missing === 0, reactionMs: null,
    honestDetail: `${p.honestConnected} honest peers, ${plan.rate} pubmsgs/s fanned out: p50/p99 ${lat}, ${t.missing} missing, ${p.lost} lost`,
  };
  if (p.mix === null) {
    return { ...base, name: 'quiet', attack: `no attack: ${plan.honest} honest peers, ${plan.rate} pubmsgs/s in total (the baseline of the rows below)`, outcome: 'held', reaction: `honest p50/p99 ${lat}; DN CPU ${t.serverCpuUtil.toFixed(2)} cores`, figures, pass: base.honestServed };
  }
  const ratio = t.latency.p99 / quiet.traffic.latency.p99;
  const rssOver = p.rssPeakMiB - quiet.rssPeakMiB;
  const okP99 = ratio <= PERF_TARGETS.p99Ratio;
  const okLost = p.lost <= PERF_TARGETS.lostPeers;
  const okRss = rssOver <= PERF_TARGETS.rssOverQuietMiB;
  figures.p99VsQuiet = r1(ratio * 100) / 100;
  figures.rssOverQuietMiB = r1(rssOver);
  const mark = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
  return {
    ...base, name: `${p.mix}-flood`, figures,
    attack: `${plan.attackers.toLocaleString('en-US')} ${MIX_TEXT[p.mix]}, ${plan.slowloris.toLocaleString('en-US')} connections slowloris, same honest load as "quiet"`,
    outcome: okP99 && okLost && okRss ? 'bounded' : 'failed',
    reaction: `honest p99 ${t.latency.p99.toFixed(1)} ms vs quiet ${quiet.traffic.latency.p99.toFixed(1)} ms = ${ratio.toFixed(2)}× (≤ ${PERF_TARGETS.p99Ratio}×: ${mark(okP99)}); lost ${p.lost} (${mark(okLost)}); RSS ${rssOver >= 0 ? '+' : ''}${rssOver.toFixed(0)} MiB over quiet (≤ ${PERF_TARGETS.rssOverQuietMiB}: ${mark(okRss)})`,
    pass: okP99 && okLost && okRss && base.honestServed,
  };
}

export const run: SectionRun = async (ctx) => {
  const plan: Plan = ctx.quick
    ? { honest: 300, attackers: 300, slowloris: 1_000, rate: 10, sec: 3 }
    : { honest: 1_000, attackers: 1_000, slowloris: 5_000, rate: 10, sec: 20 };
  const mixes: FloodMix[] = ctx.only?.length ? (['orderbook', 'pubmsg'] as const).filter((m) => ctx.only!.includes(`${m}-flood`)) : ['orderbook', 'pubmsg'];
  const gens = new Gens(ctx.root, 2);
  const flooder = new Flooder(ctx.root);
  try {
    const ids = await identities(gens, plan.honest + 100, join(ctx.root, 'bench', 'results'), ctx.log);
    await gens.init(ids, plan.honest + 100, NETWORK, 10_000);
    const quiet = await phase(ctx.root, gens, flooder, plan, null, ctx.log);
    const rows = [row(quiet, quiet, plan)];
    for (const m of mixes) rows.push(row(await phase(ctx.root, gens, flooder, plan, m, ctx.log), quiet, plan));
    return rows;
  } finally {
    await gens.close();
    flooder.kill();
  }
};
