/**
 * The honest-peer process of the attack runner (bench/attack/lib/honest.ts drives it over IPC).
 */
import { z } from 'zod';
import { serveAgent } from '../lib/agent.js';
import { HonestCommand, type CheckResult, type PairResult } from './lib/honest.js';
import { RawPeer } from './lib/wire.js';

type Pair = z.infer<typeof PairResult>;

let port = 0;
let network = 'mainnet';
let joined: [RawPeer, RawPeer] | null = null;
let seq = 0;

/** A pubmsg from a to b; resolves with its delivery time or null. */
async function deliver(a: RawPeer, b: RawPeer, timeoutMs: number): Promise<number | null> {
  const token = `honest-${process.pid}-${++seq}`;
  const t = performance.now();
  const got = b.waitFor((l) => l.includes(token), timeoutMs);
  a.pubmsg(`hello ${token}`);
  return (await got) === null ? null : performance.now() - t;
}

async function pair(timeoutMs: number): Promise<{ peers: RawPeer[]; r: Pair }> {
  const t = performance.now();
  const peers: RawPeer[] = [];
  try {
    for (let i = 0; i < 2; i++) peers.push(await RawPeer.open(port));
    const ok = await Promise.all(peers.map((p) => p.handshake(network, undefined, timeoutMs)));
    const handshakeMs = performance.now() - t;
    if (!ok.every(Boolean)) return { peers, r: { ok: false, accepted: false, handshakeMs, deliverMs: null, error: 'handshake not accepted within the time limit' } };
    const deliverMs = await deliver(peers[0]!, peers[1]!, timeoutMs);
    return { peers, r: { ok: deliverMs !== null, accepted: true, handshakeMs, deliverMs, error: deliverMs === null ? `pubmsg not delivered within ${timeoutMs} ms` : null } };
  } catch (e) {
    return { peers, r: { ok: false, accepted: false, handshakeMs: null, deliverMs: null, error: e instanceof Error ? e.message : String(e) } };
  }
}

function lost(): number {
  return joined ? joined.filter((p) => !p.open || p.oversizeLines > 0).length : 2;
}

async function check(timeoutMs: number): Promise<z.infer<typeof CheckResult>> {
  const fresh = await pair(timeoutMs);
  for (const p of fresh.peers) p.close();
  let persistent: Pair;
  const l = lost();
  if (!joined) persistent = { ok: false, accepted: false, handshakeMs: null, deliverMs: null, error: 'never joined' };
  else if (l > 0) persistent = { ok: false, accepted: true, handshakeMs: null, deliverMs: null, error: `${l} of 2 disconnected or sent an over-limit line` };
  else {
    const ms = await deliver(joined[0], joined[1], timeoutMs);
    persistent = { ok: ms !== null, accepted: true, handshakeMs: null, deliverMs: ms, error: ms === null ? `pubmsg not delivered within ${timeoutMs} ms` : null };
  }
  const oversize = (joined?.reduce((n, p) => n + p.oversizeLines, 0) ?? 0) + fresh.peers.reduce((n, p) => n + p.oversizeLines, 0);
  return { fresh: fresh.r, persistent, lost: l, oversizeLines: oversize };
}

function reset(): void {
  for (const p of joined ?? []) p.close();
  joined = null;
}

serveAgent(HonestCommand, async (cmd) => {
  switch (cmd.op) {
    case 'join': {
      reset();
      port = cmd.port;
      network = cmd.network;
      const p = await pair(10_000);
      if (p.peers.length === 2 && p.r.ok) joined = [p.peers[0]!, p.peers[1]!];
      else for (const x of p.peers) x.close();
      return { ok: p.r.ok, nicks: p.peers.map((x) => x.nick), handshakeMs: p.r.handshakeMs, error: p.r.error };
    }
    case 'check':
      return check(cmd.timeoutMs);
    case 'reset':
      reset();
      return null;
  }
});
