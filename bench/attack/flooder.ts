/**
 * The attack-generator process of the performance section (driven over IPC by
 * bench/attack/sections/performance.ts): attacker peers that flood exactly at the directory's
 * per-peer rate limits (so they are never cut for abuse), and slowloris connections that
 * trickle a handshake forever (reconnecting when the directory closes them). Attackers read
 * and discard what they receive, as a determined attacker would.
 */
import { MsgType } from '../../src/protocol/message-types.js';
import { resolveLimits } from '../../src/directory/limits.js';
import { serveAgent } from '../lib/agent.js';
import { RawPeer, handshakeLine, openMany, randomNick } from './lib/wire.js';
import { FloodCommand, type FloodMix, type FloodStatsT } from './lib/flood.js';

let port = 0;
let network = 'mainnet';
const attackers: RawPeer[] = [];
let refused = 0;
const loris: RawPeer[] = [];
let lorisClosed = 0;
let sent = 0;
const timers: NodeJS.Timeout[] = [];
let stopping = false;

const limits = resolveLimits({});

/**
 * Every `periodMs / slots` ms, attackers whose slot it is send one message of each kind they
 * flood with: a refill of each bucket arrives just in time, spread evenly over the attackers.
 */
function every(periodMs: number, send: (a: RawPeer) => void): void {
  const tickMs = 20;
  const slots = Math.max(1, Math.round(periodMs / tickMs));
  let slot = 0;
  timers.push(setInterval(() => {
    for (let i = slot; i < attackers.length; i += slots) if (attackers[i]!.open) send(attackers[i]!);
    slot = (slot + 1) % slots;
  }, tickMs));
}

function flood(mix: FloodMix): void {
  const ob = (a: RawPeer): void => {
    if (a.pubmsg('!orderbook')) sent++;
  };
  const gpl = (a: RawPeer): void => {
    if (a.send(MsgType.GETPEERLIST, '')) sent++;
  };
  const pub = (a: RawPeer): void => {
    if (a.pubmsg(`flood ${sent}`)) sent++;
  };
  if (mix === 'orderbook') {
    // The mainnet flood: !orderbook (it also spends a pubmsg token) and GETPEERLIST, each at its limit.
    for (const a of attackers) for (let i = 0; i < limits.rateOrderbookPerMin; i++) { ob(a); gpl(a); }
    every(60_000 / limits.rateOrderbookPerMin, (a) => { ob(a); gpl(a); });
  } else {
    // Plain pubmsgs at the steady pubmsg limit (no initial bucket: that alone would be 600 each).
    every(60_000 / limits.ratePubmsgPerMin, pub);
  }
}

async function openAttackers(count: number, mix: FloodMix): Promise<number> {
  const r = await openMany(count, 100, async () => {
    const p = await RawPeer.joined(port, network, randomNick(), undefined, 30_000);
    if (!p.accepted) {
      p.close();
      throw new Error('refused');
    }
    return p;
  });
  refused += r.failed;
  attackers.push(...r.ok);
  flood(mix);
  return r.ok.length;
}

/** One slowloris connection: the handshake, one byte a second, never finished; reopened when closed. */
async function openLoris(): Promise<void> {
  if (stopping) return;
  let p: RawPeer;
  try {
    p = await RawPeer.open(port);
  } catch {
    setTimeout(() => void openLoris(), 1_000);
    return;
  }
  loris.push(p);
  void p.closed.then(() => {
    const i = loris.indexOf(p);
    if (i >= 0) loris.splice(i, 1);
    if (!p.closedByUs) {
      lorisClosed++;
      void openLoris();
    }
  });
}

function startLoris(count: number): Promise<unknown> {
  const hs = Buffer.from(handshakeLine(randomNick(), network));
  let i = 0;
  timers.push(setInterval(() => {
    // A tenth of them every 100 ms: each sends one byte a second.
    for (let k = i % 10; k < loris.length; k += 10) loris[k]!.write(hs.subarray(i % (hs.length - 2), (i % (hs.length - 2)) + 1));
    i++;
  }, 100));
  return openMany(count, 200, () => openLoris());
}

function stats(): FloodStatsT {
  return {
    attackers: attackers.length,
    attackersOpen: attackers.filter((a) => a.open).length,
    attackersCut: attackers.filter((a) => a.closedByDirectory).length,
    attackersRefused: refused,
    slowloris: loris.length,
    slowlorisOpen: loris.filter((p) => p.open).length,
    slowlorisClosedByDn: lorisClosed,
    messagesSent: sent,
    bytesIn: attackers.reduce((n, a) => n + a.bytesIn, 0),
  };
}

serveAgent(FloodCommand, async (cmd) => {
  switch (cmd.op) {
    case 'init':
      port = cmd.port;
      network = cmd.network;
      stopping = false;
      return null;
    case 'attackers':
      return { connected: await openAttackers(cmd.count, cmd.mix) };
    case 'slowloris':
      await startLoris(cmd.count);
      return { connected: loris.length };
    case 'stats':
      return stats();
    case 'stop': {
      stopping = true;
      const s = stats();
      for (const t of timers.splice(0)) clearInterval(t);
      for (const p of [...attackers.splice(0), ...loris.splice(0)]) p.close();
      refused = 0;
      lorisClosed = 0;
      sent = 0;
      return s;
    }
  }
});
