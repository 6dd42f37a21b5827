/**
 * Directory-node attack through its own departure notices: every nick another peer may know
 * of gets a `;D` PEERLIST entry to every peer when it leaves. Churners that each get one
 * privmsg relayed (so they are known) and leave make the DN send every peer a `;D` per cycle,
 * without any one of them breaking a per-peer limit.
 */
import type { AttackSpec } from '../lib/scenario.js';
import { NETWORK } from '../lib/targets.js';
import { RawPeer, sleep } from '../lib/wire.js';
import { churnInChild } from '../lib/churn.js';

const MAX_HONEST_MS = 2_000;

/**
 * Readers behind Tor, paced by bytes: 640 KB/s (what the broadcast-burst-slow-honest row's
 * pace(100) allows for big lines) and a slower circuit's 160 KB/s.
 */
const READER_RATES = [640_000, 160_000];

/**
 * 48 loops (in a child process, bench/attack/churner.ts) of connect, handshake, one privmsg to
 * one of 16 attacker-held sinks, close, as fast as the DN answers, while two honest peers read at Tor-like paces (~640 and ~160 KB/s) and
 * another pubmsgs once a second. Passes when both readers stay and every honest pubmsg reaches
 * each within 2 s.
 */
export const DEPARTURE_CHURN: AttackSpec = {
  name: 'departure-churn',
  attack: '48 loops of connect, handshake, one relayed privmsg (the nick becomes known), close, as fast as the DN answers, while honest peers read at ~640 and ~160 KB/s',
  http: true,
  // The churn row's budget: the same connection rate.
  rssBudgetMiB: 96,
  async run(env) {
    const sec = env.quick ? 5 : 20;
    const readers: RawPeer[] = [];
    for (const rate of READER_RATES) {
      const r = env.track(await RawPeer.joined(env.dn.port, NETWORK));
      r.paceBytes(rate);
      r.pattern = Buffer.from(';D');
      readers.push(r);
    }
    const cuts = env.dn.watchDisconnects(readers.map((r) => r.nick));
    const sender = env.track(await RawPeer.joined(env.dn.port, NETWORK));
    const t0 = Date.now();
    const bytes0 = readers.map((r) => r.bytesIn);
    // The churn runs in a child process: its load must not delay the readers measured here.
    const churn = churnInChild(env.root, { port: env.dn.port, network: NETWORK, loops: 48, sinks: 16, seconds: sec });
    // One honest pubmsg a second: each must reach every paced reader within 2 s.
    const latencies: number[] = [];
    const late = readers.map(() => 0);
    const checks: Array<Promise<void>> = [];
    for (let i = 0; i < sec && cuts.size === 0; i++) {
      await sleep(1_000);
      if (i === Math.floor(sec / 2)) await env.honestDuring();
      const marker = `honest-departure-check-${i}`;
      const sent = performance.now();
      const got = readers.map((r) => r.waitFor((l) => l.includes(marker), 15_000));
      sender.pubmsg(marker);
      got.forEach((g, r) => {
        checks.push(g.then((l) => {
          const ms = performance.now() - sent;
          if (l === null || ms > MAX_HONEST_MS) late[r]!++;
          if (l !== null) latencies.push(ms);
        }));
      });
    }
    const { cycles, failures, sinks } = await churn;
    const wall = (Date.now() - t0) / 1000;
    const bytes1 = readers.map((r) => r.bytesIn);
    await Promise.all(checks);
    const maxMs = latencies.length > 0 ? Math.round(Math.max(...latencies)) : -1;
    const figures: Record<string, number> = {
      loops: 48, sinks, cycles, perSec: Math.round(cycles / wall), failures,
      honestSent: checks.length, honestMaxMs: maxMs,
    };
    // What the DN left unannounced (its /health), beside what the readers got.
    const h = (await (await fetch(`http://${env.dn.http!}/health`)).json()) as { departures?: { dropped: { priority: number; other: number } } };
    figures.departuresDropped = h.departures ? h.departures.dropped.priority + h.departures.dropped.other : -1;
    readers.forEach((r, i) => {
      figures[`departuresToReader${i}`] = r.matches;
      figures[`reader${i}KBperSec`] = Math.round((bytes1[i]! - bytes0[i]!) / wall / 1024);
      figures[`reader${i}Late`] = late[i]!;
    });
    const rates = readers.map((r, i) => `${r.matches.toLocaleString('en-US')} ;D (${figures[`reader${i}KBperSec`]} KB/s in all during the churn), ${late[i]} pubmsgs late`).join('; ');
    const cut = [...cuts.values()][0];
    if (cut) return { outcome: 'failed', reaction: `cut a paced honest reader after ${((cut.time - t0) / 1000).toFixed(2)} s (${cut.reason}); ${figures.perSec} cycles/s; readers got ${rates}`, reactionMs: cut.time - t0, figures, pass: false };
    const lateAll = late.reduce((a, b) => a + b, 0);
    const ok = lateAll === 0 && readers.every((r) => r.open);
    const reaction = `${cycles.toLocaleString('en-US')} cycles (${figures.perSec}/s); the paced readers stayed: ${rates}; honest pubmsgs ${latencies.length}/${checks.length} arrived, ${lateAll} later than 2 s (max ${maxMs} ms)`;
    return { outcome: ok ? 'bounded' : 'failed', reaction, reactionMs: null, figures, pass: ok };
  },
};
