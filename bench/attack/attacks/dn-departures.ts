/**
 * Directory-node attack through its own departure notices: every nick another peer may know
 * of gets a `;D` PEERLIST entry to every peer when it leaves. Churners that each get one
 * privmsg relayed (so they are known) and leave make the DN send every peer a `;D` per cycle,
 * without any one of them breaking a per-peer limit.
 */
import { MsgType } from '../../../src/protocol/message-types.js';
import type { AttackSpec } from '../lib/scenario.js';
import { NETWORK } from '../lib/targets.js';
import { RawPeer, openMany, sleep } from '../lib/wire.js';

const MAX_HONEST_MS = 2_000;

/** A reader behind Tor: ≤ 64 KB per read, then a pause (100 ms: ~640 KB/s; 400 ms: ~160 KB/s). */
const READER_PAUSES_MS = [100, 400];

/**
 * 48 loops of connect, handshake, one privmsg to one of 16 attacker-held sinks, close, as fast
 * as the DN answers, while two honest peers read at Tor-like paces (~640 and ~160 KB/s) and
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
    for (const ms of READER_PAUSES_MS) {
      const r = env.track(await RawPeer.joined(env.dn.port, NETWORK));
      r.pace(ms);
      r.pattern = Buffer.from(';D');
      readers.push(r);
    }
    const cuts = env.dn.watchDisconnects(readers.map((r) => r.nick));
    const sender = env.track(await RawPeer.joined(env.dn.port, NETWORK));
    // Sinks read at full speed; 16 of them keep each under its privmsg inbox budget.
    const sinks = env.trackAll((await openMany(16, 16, () => RawPeer.joined(env.dn.port, NETWORK))).ok);
    let cycles = 0;
    let failures = 0;
    let stop = false;
    const loop = async (): Promise<void> => {
      while (!stop) {
        try {
          const p = await RawPeer.joined(env.dn.port, NETWORK, undefined, undefined, 5_000);
          if (p.accepted) {
            const sink = sinks[cycles % sinks.length]!;
            p.send(MsgType.PRIVMSG, `${p.nick}!${sink.nick}!hi sig`);
            cycles++;
          } else failures++;
          p.close();
        } catch {
          failures++;
        }
      }
    };
    const t0 = Date.now();
    const bytes0 = readers.map((r) => r.bytesIn);
    const loops = Array.from({ length: 48 }, loop);
    // One honest pubmsg a second: each must reach every paced reader within 2 s.
    const latencies: number[] = [];
    let late = 0;
    const checks: Array<Promise<void>> = [];
    for (let i = 0; i < sec && cuts.size === 0; i++) {
      await sleep(1_000);
      if (i === Math.floor(sec / 2)) await env.honestDuring();
      const marker = `honest-departure-check-${i}`;
      const sent = performance.now();
      const got = readers.map((r) => r.waitFor((l) => l.includes(marker), 15_000));
      sender.pubmsg(marker);
      for (const g of got) {
        checks.push(g.then((l) => {
          const ms = performance.now() - sent;
          if (l === null || ms > MAX_HONEST_MS) late++;
          if (l !== null) latencies.push(ms);
        }));
      }
    }
    stop = true;
    await Promise.all(loops);
    const wall = (Date.now() - t0) / 1000;
    await Promise.all(checks);
    const maxMs = latencies.length > 0 ? Math.round(Math.max(...latencies)) : -1;
    const figures: Record<string, number> = {
      loops: 48, sinks: sinks.length, cycles, perSec: Math.round(cycles / wall), failures,
      honestSent: checks.length, honestLate: late, honestMaxMs: maxMs,
    };
    readers.forEach((r, i) => {
      figures[`departuresToReader${i}`] = r.matches;
      figures[`reader${i}KBperSec`] = Math.round((r.bytesIn - bytes0[i]!) / wall / 1024);
    });
    const rates = readers.map((r, i) => `${r.matches.toLocaleString('en-US')} ;D at ${figures[`reader${i}KBperSec`]} KB/s`).join(', ');
    const cut = [...cuts.values()][0];
    if (cut) return { outcome: 'failed', reaction: `cut a paced honest reader after ${((cut.time - t0) / 1000).toFixed(2)} s (${cut.reason}); ${figures.perSec} cycles/s; readers got ${rates}`, reactionMs: cut.time - t0, figures, pass: false };
    const ok = late === 0 && readers.every((r) => r.open);
    const reaction = `${cycles.toLocaleString('en-US')} cycles (${figures.perSec}/s); the paced readers stayed and got ${rates}; honest pubmsgs ${latencies.length}/${checks.length} arrived, ${late} later than 2 s (max ${maxMs} ms)`;
    return { outcome: ok ? 'bounded' : 'failed', reaction, reactionMs: null, figures, pass: ok };
  },
};
