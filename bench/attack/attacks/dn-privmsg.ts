/**
 * Directory-node attacks through privmsgs: attackers flood one honest peer with line-sized
 * privmsgs. Before the privmsg byte budgets, one attacker got any reading peer cut as a slow
 * reader; now the sender's allowance, the target's inbox budget (heaviest senders shed first)
 * and the soft mark (privmsgs dropped, not the target cut) stand between them.
 */
import { MsgType } from '../../../src/protocol/message-types.js';
import type { AttackSpec } from '../lib/scenario.js';
import { NETWORK } from '../lib/targets.js';
import { RawPeer, openMany, sleep } from '../lib/wire.js';

/**
 * 10 attackers send an honest peer 39 KB privmsgs, 20 a second each (7.8 MB/s offered), while
 * the target reads at a Tor-like pace (~640 KB/s) and another honest peer sends it a short
 * privmsg every second. Passes when the target is never cut and every honest privmsg arrives.
 */
export const PRIVMSG_TARGET_FLOOD: AttackSpec = {
  name: 'privmsg-target-flood',
  attack: '10 attackers privmsg one honest peer 39 KB lines, 20 a second each (7.8 MB/s), while it reads at ~640 KB/s and an honest peer privmsgs it once a second',
  async run(env) {
    const sec = env.quick ? 4 : 10;
    const target = env.track(await RawPeer.joined(env.dn.port, NETWORK));
    const cuts = env.dn.watchDisconnects([target.nick]);
    target.pace(100);
    const attackers = env.trackAll((await openMany(10, 10, () => RawPeer.joined(env.dn.port, NETWORK))).ok);
    const honest = env.track(await RawPeer.joined(env.dn.port, NETWORK));
    const body = 'x'.repeat(39_000);
    const t0 = Date.now();
    let offered = 0;
    const timer = setInterval(() => {
      for (const a of attackers) if (a.send(MsgType.PRIVMSG, `${a.nick}!${target.nick}!${body} ${offered}`)) offered++;
    }, 50);
    // One honest privmsg a second; each must arrive (behind whatever the target still has to read).
    const latencies: number[] = [];
    let lost = 0;
    const checks: Array<Promise<void>> = [];
    for (let i = 0; i < sec; i++) {
      await sleep(1_000);
      if (i === Math.floor(sec / 2)) await env.honestDuring();
      const marker = `ioauth honest-check-${i}`;
      const sent = performance.now();
      const got = target.waitFor((l) => l.includes(`${honest.nick}!${target.nick}!${marker}`), 15_000);
      honest.send(MsgType.PRIVMSG, `${honest.nick}!${target.nick}!${marker} sig`);
      checks.push(got.then((l) => void (l === null ? lost++ : latencies.push(performance.now() - sent))));
    }
    clearInterval(timer);
    await Promise.all(checks);
    const cut = cuts.get(target.nick);
    const maxMs = latencies.length > 0 ? Math.round(Math.max(...latencies)) : null;
    const figures = {
      attackers: attackers.length, floodMB: Math.round((offered * 39_000) / 1e5) / 10, targetReceivedMB: Math.round(target.bytesIn / 1e5) / 10,
      honestSent: sec, honestDelivered: latencies.length, honestMaxMs: maxMs ?? -1, attackersCut: attackers.filter((a) => a.closedByDirectory).length,
    };
    if (cut) return { outcome: 'failed', reaction: `cut the honest target after ${((cut.time - t0) / 1000).toFixed(2)} s (${cut.reason})`, reactionMs: cut.time - t0, figures, pass: false };
    const reaction = `the target stayed; ${figures.targetReceivedMB} of ${figures.floodMB} MB offered reached it; honest privmsgs ${latencies.length}/${sec} delivered (max ${maxMs ?? '—'} ms)`;
    return { outcome: lost === 0 && target.open ? 'bounded' : 'failed', reaction, reactionMs: null, figures, pass: lost === 0 && target.open };
  },
};
