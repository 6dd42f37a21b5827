/**
 * Load-generator process, forked by bench/run.ts and driven over IPC (bench/lib/ipc.ts).
 * It owns a share of the benchmark's peers: each one connects to 127.0.0.1:<port>, sends the
 * reference client handshake with a real nick, and then only counts what it receives.
 *
 * Hot path: received chunks are not parsed. Lines are counted by scanning for '\n'; latency
 * probes are found by scanning for '@' (a byte that appears nowhere else in the traffic) and
 * carry `@<send time µs>.<sender id>.<probe seq>`. Send times use process.hrtime, which is
 * CLOCK_MONOTONIC and therefore comparable between processes on the machine.
 */
import net from 'node:net';
import { encodeEnvelope, parseEnvelope } from '../src/protocol/framing.js';
import { buildClientHandshake } from '../src/protocol/handshake.js';
import { MsgType } from '../src/protocol/message-types.js';
import { bytesToHex, publicKeyOf, sha256, utf8ToBytes } from '../src/protocol/crypto.js';
import { nickFromPubkeyHex } from '../src/protocol/nick.js';
import { NOT_SERVING_ONION, onionHostFromPubkey } from '../src/protocol/onion.js';
import { buildProof, parseChallenge, parseResult, signNickAuthFast } from '../src/protocol/nick-auth.js';
import { Histogram } from './lib/stats.js';
import { CommandSchema, type Command } from './lib/ipc.js';
import { serveAgent } from './lib/agent.js';

const CONNECTING = 0;
const READY = 1;
const DEAD = 2;

/** A syntactically plausible (never verified by a directory) signature token for privmsgs. */
const FAKE_SIG = 'MEUCIQDbench0000000000000000000000000000000000000000AiBbench000000000000000000000000000000000000000=';

interface Peer {
  gidx: number;
  /** 0: plain handshake; 1: awaiting the 803 challenge; 2: awaiting the 807 result. */
  auth: number;
  nick: string;
  pub: string;
  maker: boolean;
  /** The handshake's inner JSON (its hash is signed with nick-auth). */
  hsInner: string;
  hsLine: string;
  sock: net.Socket | null;
  state: number;
  t0: number;
  hsBuf: Buffer | null;
  carry: Buffer | null;
  closingByUs: boolean;
  batch: ConnectBatch | null;
}

interface ConnectBatch {
  attempted: number;
  pending: number;
  ok: number;
  rejected: number;
  timeouts: number;
  errors: number;
  t0: number;
  cpu0: NodeJS.CpuUsage;
  hist: Histogram;
  resolve: () => void;
}

interface PendingProbe {
  count: number;
  need: number;
  tMs: number;
}

interface Sender {
  peer: Peer;
  id: number;
  seq: number;
  pseq: number;
  pending: Map<number, PendingProbe>;
  out: string;
  outCount: number;
}

interface Traffic {
  kind: 'pub' | 'priv';
  senders: Sender[];
  targets: Peer[];
  rate: number;
  probeEvery: number;
  windowProbes: number;
  probeTimeoutMs: number;
  startMs: number;
  scheduled: number;
  rr: number;
  timer: NodeJS.Timeout | null;
  lastSweepMs: number;
}

function nowMs(): number {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}

function nowUsInt(): number {
  const t = process.hrtime();
  return t[0] * 1_000_000 + Math.floor(t[1] / 1000);
}

// ---- state ----
let proc = 0;
let port = 0;
let network = 'mainnet';
let handshakeTimeoutMs = 10_000;
let identities: { gidx: number; nick: string; pub: string }[] = [];
let nextIdentity = 0;
let peers: Peer[] = [];
let traffic: Traffic | null = null;

let lines = 0;
let bytes = 0;
/** Count of '~' and '@' body markers seen while a privmsg run is on (privmsgs delivered, without the DN's PEERLISTs). */
let marks = 0;
let countMarks = false;
let sent = 0;
let skipped = 0;
let probeTimeouts = 0;
let lostPeers = 0;
let handshaked = 0;
const latency = new Histogram();
const senderById = new Map<number, Sender>();

// ---- receive path ----

function finishHandshake(p: Peer, outcome: 'ok' | 'rejected' | 'timeout' | 'error'): void {
  if (p.state !== CONNECTING) return;
  const b = p.batch;
  p.batch = null;
  if (outcome === 'ok') {
    p.state = READY;
    handshaked++;
  } else {
    p.state = DEAD;
  }
  if (!b) return;
  if (outcome === 'ok') {
    b.ok++;
    b.hist.record(nowMs() - p.t0);
  } else if (outcome === 'rejected') b.rejected++;
  else if (outcome === 'timeout') b.timeouts++;
  else b.errors++;
  if (--b.pending === 0) b.resolve();
}

/** Handshake lines (795, then with nick-auth 803 and 807); returns what follows them, or null. */
function handshakeReply(p: Peer, chunk: Buffer): Buffer | null {
  let rest: Buffer | null = chunk;
  while (rest !== null && rest.length > 0 && p.state === CONNECTING) rest = handshakeLine(p, rest);
  return p.state === READY ? rest : null;
}

function handshakeLine(p: Peer, chunk: Buffer): Buffer | null {
  const nl = chunk.indexOf(10);
  if (nl === -1) {
    p.hsBuf = p.hsBuf ? Buffer.concat([p.hsBuf, chunk]) : Buffer.from(chunk);
    if (p.hsBuf.length > 100_000) {
      finishHandshake(p, 'error');
      p.sock?.destroy();
    }
    return null;
  }
  const head = p.hsBuf ? Buffer.concat([p.hsBuf, chunk.subarray(0, nl)]) : chunk.subarray(0, nl);
  p.hsBuf = null;
  if (p.auth > 0) return authLine(p, head, chunk.subarray(nl + 1));
  const env = parseEnvelope(head.toString('utf8').trimEnd());
  let accepted = false;
  if (env.ok && env.env.type === MsgType.DN_HANDSHAKE) {
    try {
      const inner: unknown = JSON.parse(env.env.line);
      accepted = typeof inner === 'object' && inner !== null && (inner as { accepted?: unknown }).accepted === true;
    } catch {
      accepted = false;
    }
  }
  if (accepted && p.hsLine.includes('nick_auth')) {
    p.auth = 1;
    return chunk.subarray(nl + 1);
  }
  finishHandshake(p, accepted ? 'ok' : 'rejected');
  if (!accepted) {
    p.closingByUs = true;
    p.sock?.destroy();
    return null;
  }
  return chunk.subarray(nl + 1);
}

/** 803 → sign and send 805; 807 → done. Anything else fails the handshake. */
function authLine(p: Peer, head: Buffer, rest: Buffer): Buffer | null {
  const env = parseEnvelope(head.toString('utf8').trimEnd());
  if (env.ok && p.auth === 1 && env.env.type === MsgType.NICK_AUTH_CHALLENGE) {
    const c = parseChallenge(env.env.line);
    if (c.ok) {
      const key = sha256(utf8ToBytes(`jm-bench-peer-${p.gidx}`));
      p.sock?.write(encodeEnvelope(MsgType.NICK_AUTH_PROOF, buildProof(signNickAuthFast(key, p.pub, c.value, p.hsInner, p.nick))));
      p.auth = 2;
      return rest;
    }
  } else if (env.ok && p.auth === 2 && env.env.type === MsgType.NICK_AUTH_RESULT) {
    const r = parseResult(env.env.line);
    finishHandshake(p, r.ok && r.value.code === 'ok' ? 'ok' : 'rejected');
    if (p.state === READY) return rest;
  } else finishHandshake(p, 'rejected');
  p.closingByUs = true;
  p.sock?.destroy();
  return null;
}

function isTokenByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || b === 0x2e;
}

function tokenEnd(buf: Buffer, from: number): number {
  for (let i = from; i < buf.length; i++) if (!isTokenByte(buf[i]!)) return i;
  return -1;
}

function handleProbe(buf: Buffer, s: number, e: number, recvMs: number): void {
  // @<tUs>.<sender>.<pseq>
  let f = 0;
  let v = 0;
  let tUs = 0;
  let sid = 0;
  for (let i = s; i < e; i++) {
    const b = buf[i]!;
    if (b === 0x2e) {
      if (f === 0) tUs = v;
      else if (f === 1) sid = v;
      f++;
      v = 0;
    } else v = v * 10 + (b - 0x30);
  }
  if (f !== 2) return;
  latency.record(recvMs - tUs / 1000);
  const snd = senderById.get(sid);
  if (!snd) return;
  const pp = snd.pending.get(v);
  if (pp && ++pp.count >= pp.need) snd.pending.delete(v);
}

function scanProbes(p: Peer, chunk: Buffer, recvMs: number): void {
  let i = 0;
  if (p.carry) {
    const end = tokenEnd(chunk, 0);
    if (end === -1) {
      p.carry = p.carry.length > 64 ? null : Buffer.concat([p.carry, chunk]);
      return;
    }
    const tok = Buffer.concat([p.carry, chunk.subarray(0, end)]);
    p.carry = null;
    handleProbe(tok, 1, tok.length, recvMs);
    i = end;
  }
  for (;;) {
    const at = chunk.indexOf(0x40, i);
    if (at === -1) return;
    const end = tokenEnd(chunk, at + 1);
    if (end === -1) {
      p.carry = Buffer.from(chunk.subarray(at));
      return;
    }
    handleProbe(chunk, at + 1, end, recvMs);
    i = end;
  }
}

function onData(p: Peer, chunk: Buffer): void {
  if (p.state === DEAD) return;
  if (p.state === CONNECTING) {
    const rest = handshakeReply(p, chunk);
    if (rest === null || rest.length === 0) return;
    chunk = rest;
  }
  let n = 0;
  let i = chunk.indexOf(10);
  while (i !== -1) {
    n++;
    i = chunk.indexOf(10, i + 1);
  }
  lines += n;
  bytes += chunk.length;
  if (countMarks) {
    let j = chunk.indexOf(0x7e);
    while (j !== -1) {
      marks++;
      j = chunk.indexOf(0x7e, j + 1);
    }
    j = chunk.indexOf(0x40);
    while (j !== -1) {
      marks++;
      j = chunk.indexOf(0x40, j + 1);
    }
  }
  if (p.carry !== null || chunk.indexOf(0x40) !== -1) scanProbes(p, chunk, nowMs());
}

// ---- connecting ----

function makePeer(id: { gidx: number; nick: string; pub: string }, nickAuth: boolean): Peer {
  const maker = id.gidx % 10 === 5;
  const location = maker
    ? `${onionHostFromPubkey(sha256(utf8ToBytes(`jm-bench-onion-${id.gidx}`)))}:5222`
    : NOT_SERVING_ONION;
  const hsInner = buildClientHandshake({ nick: id.nick, location, network, ...(nickAuth ? { features: { nick_auth: true, peerlist_features: true, ping: true } } : {}) });
  const hsLine = encodeEnvelope(MsgType.HANDSHAKE, hsInner);
  return { gidx: id.gidx, auth: 0, nick: id.nick, pub: id.pub, maker, hsInner, hsLine, sock: null, state: CONNECTING, t0: 0, hsBuf: null, carry: null, closingByUs: false, batch: null };
}

function open(p: Peer): void {
  if (p.state !== CONNECTING || p.sock) return;
  p.t0 = nowMs();
  const sock = net.connect({ host: '127.0.0.1', port, noDelay: true });
  p.sock = sock;
  sock.write(p.hsLine);
  sock.on('data', (chunk: Buffer) => onData(p, chunk));
  sock.on('error', () => {
    finishHandshake(p, 'error');
  });
  sock.on('close', () => {
    if (p.state === CONNECTING) finishHandshake(p, 'error');
    else if (p.state === READY) {
      p.state = DEAD;
      handshaked--;
      if (!p.closingByUs) lostPeers++;
    }
  });
}

let timeoutSweep: NodeJS.Timeout | null = null;

function sweepTimeouts(): void {
  const t = nowMs();
  for (const p of peers) {
    if (p.state === CONNECTING && p.sock && p.batch && t - p.t0 > handshakeTimeoutMs) {
      finishHandshake(p, 'timeout');
      p.closingByUs = true;
      p.sock?.destroy();
    }
  }
}

function connect(count: number, ratePerSec: number, burst: boolean, nickAuth: boolean): Promise<unknown> {
  const fresh: Peer[] = [];
  for (let i = 0; i < count && nextIdentity < identities.length; i++) fresh.push(makePeer(identities[nextIdentity++]!, nickAuth));
  if (fresh.length < count) process.stderr.write(`loadgen ${proc}: out of identities (${identities.length}); connecting ${fresh.length} of ${count}\n`);
  return new Promise((resolve) => {
    const batch: ConnectBatch = {
      attempted: fresh.length, pending: fresh.length, ok: 0, rejected: 0, timeouts: 0, errors: 0, t0: nowMs(), cpu0: process.cpuUsage(), hist: new Histogram(),
      resolve: () => {
        if (rampTimer) clearInterval(rampTimer);
        const cpu = process.cpuUsage(batch.cpu0);
        resolve({
          attempted: batch.attempted, ok: batch.ok, rejected: batch.rejected, timeouts: batch.timeouts, errors: batch.errors,
          wallMs: nowMs() - batch.t0, cpuUs: cpu.user + cpu.system, handshake: batch.hist.toJSON(),
        });
      },
    };
    for (const p of fresh) {
      p.batch = batch;
      peers.push(p);
    }
    let rampTimer: NodeJS.Timeout | null = null;
    if (fresh.length === 0) {
      batch.resolve();
      return;
    }
    if (burst || ratePerSec <= 0) {
      for (const p of fresh) open(p);
      return;
    }
    let opened = 0;
    const start = nowMs();
    const tick = (): void => {
      const due = Math.min(fresh.length, Math.floor(((nowMs() - start) / 1000) * ratePerSec) + 1);
      while (opened < due) open(fresh[opened++]!);
      if (opened >= fresh.length && rampTimer) {
        clearInterval(rampTimer);
        rampTimer = null;
      }
    };
    rampTimer = setInterval(tick, 5);
    tick();
  });
}

// ---- sending ----

function startTraffic(c: Extract<Command, { op: 'traffic' }>): void {
  stopTraffic();
  countMarks = c.kind === 'priv';
  const ready = peers.filter((p) => p.state === READY);
  const eligible = ready.filter((p) => !p.maker);
  const senders: Sender[] = [];
  for (let k = 0; k < c.senders && eligible.length > 0; k++) {
    const peer = eligible[(c.senderOffset + k) % eligible.length]!;
    const s: Sender = { peer, id: proc * 1000 + k, seq: 0, pseq: 0, pending: new Map(), out: '', outCount: 0 };
    senders.push(s);
    senderById.set(s.id, s);
  }
  traffic = {
    kind: c.kind, senders, targets: ready, rate: c.ratePerSec, probeEvery: c.probeEvery,
    windowProbes: Math.max(1, Math.ceil(c.windowMsgs / c.probeEvery)), probeTimeoutMs: c.probeTimeoutMs,
    startMs: nowMs(), scheduled: 0, rr: 0, timer: null, lastSweepMs: nowMs(),
  };
  if (senders.length > 0 && c.ratePerSec > 0) {
    traffic.timer = setInterval(sendTick, 2);
  }
}

function sendTick(): void {
  const tr = traffic;
  if (!tr) return;
  const t = nowMs();
  let due = Math.floor(((t - tr.startMs) / 1000) * tr.rate) - tr.scheduled;
  if (due <= 0) return;
  tr.scheduled += due;
  // A generator stalled for more than 50 ms does not catch up in one burst; the lost slots count as skipped.
  const maxBurst = Math.max(1, Math.ceil(tr.rate * 0.05));
  if (due > maxBurst) {
    skipped += due - maxBurst;
    due = maxBurst;
  }
  const nS = tr.senders.length;
  const pubNeed = tr.targets.filter((p) => p.state === READY).length - 1;
  const tUs = nowUsInt();
  for (let k = 0; k < due; k++) {
    const s = tr.senders[tr.rr++ % nS]!;
    const sock = s.peer.sock;
    if (!sock || s.peer.state !== READY || sock.writableNeedDrain || s.pending.size >= tr.windowProbes) {
      skipped++;
      continue;
    }
    const seq = s.seq++;
    let body: string;
    let need = 1;
    let target: Peer | null = null;
    if (tr.kind === 'priv') {
      for (let tries = 0; tries < 8; tries++) {
        const cand = tr.targets[Math.floor(Math.random() * tr.targets.length)]!;
        if (cand !== s.peer && cand.state === READY) {
          target = cand;
          break;
        }
      }
      if (!target) {
        skipped++;
        continue;
      }
    } else need = pubNeed;
    if (seq % tr.probeEvery === 0 && need > 0) {
      const pseq = s.pseq++;
      s.pending.set(pseq, { count: 0, need, tMs: t });
      body = `@${tUs}.${s.id}.${pseq}`;
    } else body = `~${seq}`;
    s.out +=
      tr.kind === 'pub'
        ? `{"type": 687, "line": "${s.peer.nick}!PUBLIC!hello ${body}"}\r\n`
        : `{"type": 685, "line": "${s.peer.nick}!${target!.nick}!hello ${body} ${s.peer.pub} ${FAKE_SIG}"}\r\n`;
    s.outCount++;
  }
  for (const s of tr.senders) {
    if (s.outCount === 0) continue;
    s.peer.sock!.write(s.out);
    sent += s.outCount;
    s.out = '';
    s.outCount = 0;
  }
  if (t - tr.lastSweepMs > 100) {
    tr.lastSweepMs = t;
    for (const s of tr.senders) {
      for (const [k, pp] of s.pending) {
        if (t - pp.tMs > tr.probeTimeoutMs) {
          s.pending.delete(k);
          probeTimeouts++;
        }
      }
    }
  }
}

function stopTraffic(): void {
  if (!traffic) return;
  if (traffic.timer) clearInterval(traffic.timer);
  for (const s of traffic.senders) senderById.delete(s.id);
  traffic = null;
}

// ---- disconnecting ----

function disconnect(count: number): Promise<unknown> {
  const t0 = nowMs();
  const victims: Peer[] = [];
  for (let i = peers.length - 1; i >= 0 && victims.length < count; i--) {
    const p = peers[i]!;
    if (p.state === READY && p.sock) victims.push(p);
  }
  return new Promise((resolve) => {
    let left = victims.length;
    if (left === 0) resolve({ closed: 0, wallMs: 0 });
    for (const p of victims) {
      p.closingByUs = true;
      p.sock!.once('close', () => {
        if (--left === 0) resolve({ closed: victims.length, wallMs: nowMs() - t0 });
      });
      p.sock!.destroy();
    }
  });
}

function reset(): void {
  stopTraffic();
  for (const p of peers) {
    p.closingByUs = true;
    if (p.state === CONNECTING) finishHandshake(p, 'error');
    p.state = DEAD;
    p.sock?.destroy();
  }
  peers = [];
  handshaked = 0;
  nextIdentity = 0;
}

// ---- identities ----

function genIdentities(from: number, to: number): { nicks: string[]; pubs: string[] } {
  const nicks: string[] = [];
  const pubs: string[] = [];
  for (let g = from; g < to; g++) {
    const pub = bytesToHex(publicKeyOf(sha256(utf8ToBytes(`jm-bench-peer-${g}`))));
    pubs.push(pub);
    nicks.push(nickFromPubkeyHex(pub));
  }
  return { nicks, pubs };
}

// ---- IPC ----

async function handle(cmd: Command): Promise<unknown> {
  switch (cmd.op) {
    case 'genIdentities':
      return genIdentities(cmd.from, cmd.to);
    case 'init':
      proc = cmd.proc;
      port = cmd.port;
      network = cmd.network;
      handshakeTimeoutMs = cmd.handshakeTimeoutMs;
      identities = cmd.gidx.map((g, i) => ({ gidx: g, nick: cmd.nicks[i]!, pub: cmd.pubs[i]! }));
      if (!timeoutSweep) timeoutSweep = setInterval(sweepTimeouts, 100);
      return { done: true };
    case 'setPort':
      port = cmd.port;
      return { done: true };
    case 'connect':
      return connect(cmd.count, cmd.ratePerSec, cmd.burst, cmd.nickAuth);
    case 'traffic':
      startTraffic(cmd);
      return { done: true };
    case 'stopTraffic':
      stopTraffic();
      return { done: true };
    case 'snapshot': {
      const cu = process.cpuUsage();
      return { tUs: nowUsInt(), lines, bytes, marks, sent, skipped, probeTimeouts, cpuUs: cu.user + cu.system, handshaked, lostPeers };
    }
    case 'latency': {
      const h = latency.toJSON();
      if (cmd.reset) latency.reset();
      return { hist: { ...h, min: h.count ? h.min : null, max: h.count ? h.max : null } };
    }
    case 'disconnect':
      return disconnect(cmd.count);
    case 'reset':
      reset();
      return { done: true };
    case 'exit':
      reset();
      setTimeout(() => process.exit(0), 10);
      return { done: true };
  }
}

serveAgent(CommandSchema, handle);
