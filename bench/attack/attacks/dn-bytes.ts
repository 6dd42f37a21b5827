/**
 * Directory-node attacks on memory and the byte level: unterminated lines dripped after the
 * handshake, peers that never read, oversize lines, slowloris before the handshake, slow
 * readers of broadcasts and malformed lines.
 */
import { MsgType } from '../../../src/protocol/message-types.js';
import { resolveLimits } from '../../../src/directory/limits.js';
import { closeSummary, cutSummary, type AttackResult, type AttackSpec } from '../lib/scenario.js';
import { BUDGET_OFF_ARGS, NETWORK } from '../lib/targets.js';
import { RawPeer, handshakeLine, openMany, randomNick, sleep } from '../lib/wire.js';

const DEFAULTS = resolveLimits({});

/** Polls `done` every 50 ms until it holds or `ms` passed; calls `mid` once half-way. */
export async function until(done: () => boolean, ms: number, mid?: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  let midDone = !mid;
  while (!done() && performance.now() - t0 < ms) {
    await sleep(50);
    if (!midDone && performance.now() - t0 >= ms / 2) {
      midDone = true;
      await mid!();
    }
  }
  if (!midDone) await mid!();
}

const allClosed = (peers: readonly RawPeer[]) => (): boolean => peers.every((p) => !p.open);

function cutOrFailed(peers: readonly RawPeer[], t0: number, sec: number, figures: Record<string, number | string | boolean>): AttackResult {
  const c = closeSummary(peers, t0);
  const all = c.closed === c.total;
  return {
    outcome: all ? 'cut' : 'failed',
    reaction: all ? c.text : `${c.text}; ${c.total - c.closed} still connected after ${sec} s`,
    reactionMs: c.maxMs, figures: { ...figures, closed: c.closed }, pass: all,
  };
}

/** Partial lines after the handshake: one byte per write, never a newline. */
export const DRIP_AFTER_HANDSHAKE: AttackSpec = {
  name: 'drip-after-handshake',
  attack: '200 handshaked peers each drip an unterminated pubmsg line, one byte per write every 10 ms',
  dnArgs: (quick) => (quick ? ['--line-timeout', '3'] : []),
  async run(env) {
    const n = env.quick ? 50 : 200;
    const deadline = env.quick ? 3_000 : DEFAULTS.lineTimeoutMs;
    const sec = Math.ceil((deadline + (env.quick ? 3_000 : 10_000)) / 1000);
    const peers = env.trackAll((await openMany(n, 50, () => RawPeer.joined(env.dn.port, NETWORK))).ok);
    for (const p of peers) p.write(`{"type": 687, "line": "${p.nick}!PUBLIC!`);
    const t0 = performance.now();
    let sent = 0;
    const one = Buffer.from('a');
    const timer = setInterval(() => {
      for (const p of peers) if (p.open && p.write(one)) sent++;
    }, 10);
    await until(allClosed(peers), sec * 1000, () => env.honestDuring());
    clearInterval(timer);
    return cutOrFailed(peers, t0, sec, { peers: n, bytesDripped: sent, windowSec: sec });
  },
};

/** Peers that never read, privmsging themselves big lines: everything queues for them. */
export const NON_READERS: AttackSpec = {
  name: 'non-reading-privmsg',
  attack: '100 handshaked peers stop reading and privmsg themselves 3 MB each (39 KB lines)',
  // The DN may hold its input and output budgets; beyond them, 64 MiB for copies and heap.
  rssBudgetMiB: (DEFAULTS.inputBudgetBytes + DEFAULTS.outputBudgetBytes) / 1024 / 1024 + 64,
  async run(env) {
    const n = env.quick ? 30 : 100;
    const perPeer = 3_000_000;
    const peers = env.trackAll((await openMany(n, 50, () => RawPeer.joined(env.dn.port, NETWORK))).ok);
    const cuts = env.dn.watchDisconnects(peers.map((p) => p.nick));
    for (const p of peers) p.stopReading();
    const body = 'x'.repeat(39_000);
    const t0 = Date.now();
    const lines = Math.ceil(perPeer / 39_100);
    for (let i = 0; i < lines; i++) {
      for (const p of peers) p.send(MsgType.PRIVMSG, `${p.nick}!${p.nick}!${body} pub sig`);
      // Let the DN read between rounds, as a network would.
      await sleep(5);
    }
    await until(() => cuts.size === n, env.quick ? 5_000 : 15_000, () => env.honestDuring());
    const c = cutSummary(peers, cuts, t0);
    const figures = { peers: n, bytesSent: peers.reduce((x, p) => x + p.bytesOut, 0), cut: c.closed };
    // Held output must stay bounded: cut them, or keep the RSS inside the budget (the row's verdict).
    return { outcome: c.closed === c.total ? 'cut' : 'bounded', reaction: `${c.text}${c.reasons ? ` (${c.reasons})` : ''}`, reactionMs: c.maxMs, figures };
  },
};

/** `count` connections each send `bytes` bytes without a newline, optionally after a handshake. */
function oversize(name: string, afterHandshake: boolean): AttackSpec {
  return {
    name,
    attack: `200 connections each send 100 KB without a newline ${afterHandshake ? 'after' : 'before'} the handshake`,
    async run(env) {
      const n = env.quick ? 50 : 200;
      const open = afterHandshake ? () => RawPeer.joined(env.dn.port, NETWORK) : () => RawPeer.open(env.dn.port);
      const peers = env.trackAll((await openMany(n, 50, open)).ok);
      const chunk = Buffer.alloc(10_000, 'y');
      const t0 = performance.now();
      for (let i = 0; i < 10; i++) for (const p of peers) p.write(chunk);
      await until(allClosed(peers), 10_000, () => env.honestDuring());
      const r = cutOrFailed(peers, t0, 10, { peers: n });
      return r.outcome === 'cut' && !afterHandshake ? { ...r, outcome: 'refused' } : r;
    },
  };
}

export const OVERSIZE_BEFORE = oversize('oversize-before-handshake', false);
export const OVERSIZE_AFTER = oversize('oversize-after-handshake', true);

/** Handshake bytes trickled so slowly that the handshake never completes. */
export const SLOWLORIS: AttackSpec = {
  name: 'slowloris-pre-handshake',
  attack: '2,000 connections send a handshake one byte per second',
  dnArgs: (quick) => (quick ? ['--handshake-timeout', '2'] : []),
  async run(env) {
    const n = env.quick ? 500 : 2_000;
    const timeout = env.quick ? 2_000 : DEFAULTS.handshakeTimeoutMs;
    const peers = env.trackAll((await openMany(n, 200, () => RawPeer.open(env.dn.port))).ok);
    const hs = Buffer.from(handshakeLine(randomNick(), NETWORK));
    const t0 = performance.now();
    let i = 0;
    const timer = setInterval(() => {
      const b = hs.subarray(i % (hs.length - 2), (i % (hs.length - 2)) + 1);
      for (const p of peers) p.write(b);
      i++;
    }, 1_000);
    const sec = Math.ceil(timeout / 1000) + (env.quick ? 4 : 10);
    await until(allClosed(peers), sec * 1000, () => env.honestDuring());
    clearInterval(timer);
    return cutOrFailed(peers, t0, sec, { connections: n, handshakeTimeoutSec: timeout / 1000 });
  },
};

/**
 * Broadcast receivers that stop reading while one peer streams 30 KB pubmsgs at 50 a second
 * for 10 s (1.5 MB/s, 500 of its 600-a-minute bucket), then 5 a second (under the refill), with
 * byte allowance and broadcast budget off so the stream gets through: honest readers keep up,
 * the non-readers' backlog passes the kernel buffers and the soft mark within seconds; from
 * then on broadcasts skip them, and having taken nothing for the stall time (30 s; 3 s in quick
 * mode) they are cut.
 */
export const SLOW_READERS: AttackSpec = {
  name: 'slow-readers',
  attack: '50 handshaked peers stop reading while a peer streams 30 KB pubmsgs at 50 a second for 10 s (1.5 MB/s), then 5 a second (--pubmsg-bytes 0, no broadcast budget)',
  dnArgs: (quick) => ['--pubmsg-bytes', '0', ...BUDGET_OFF_ARGS, ...(quick ? ['--slow-reader-stall', '3'] : [])],
  async run(env) {
    const waitMs = (env.quick ? 3_000 : DEFAULTS.slowReaderStallMs) + 12_000;
    const n = env.quick ? 20 : 50;
    const readers = env.trackAll((await openMany(n, 50, () => RawPeer.joined(env.dn.port, NETWORK))).ok);
    const cuts = env.dn.watchDisconnects(readers.map((p) => p.nick));
    for (const p of readers) p.stopReading();
    const sender = env.track(await RawPeer.joined(env.dn.port, NETWORK));
    const body = 'z'.repeat(30_000);
    const t0 = Date.now();
    let sent = 0;
    let tick = 0;
    const timer = setInterval(() => {
      if (sender.open && (sent < 500 || tick % 10 === 0)) sender.pubmsg(`${body} ${sent++}`);
      tick++;
    }, 20);
    await until(() => cuts.size === n, waitMs, () => env.honestDuring());
    clearInterval(timer);
    const c = cutSummary(readers, cuts, t0);
    const all = c.closed === c.total;
    const r: AttackResult = {
      outcome: all ? 'cut' : 'failed', reaction: all ? `${c.text} (${c.reasons})` : `${c.text}; ${c.total - c.closed} still connected after ${waitMs / 1000} s`,
      reactionMs: c.maxMs, figures: { readers: n, pubmsgsSent: sent, cut: c.closed }, pass: all,
    };
    if (!sender.open) return { ...r, outcome: 'failed', reaction: `${r.reaction}; the sender (within its rate limit) was cut too`, pass: false };
    return r;
  },
};

/**
 * Sybils each within every default limit burst their pubmsg byte allowance at once: ~7.5 MB
 * offered to every peer. An honest peer that reads at a Tor-like pace (one 64 KB read per
 * 100 ms, ~640 KB/s) must stay connected: a burst it cannot absorb at once is not its fault.
 * The row ends when the paced peer has taken everything the DN relayed (nothing new for 2 s).
 */
export const BURST_VS_SLOW_HONEST: AttackSpec = {
  name: 'broadcast-burst-slow-honest',
  attack: '64 peers each broadcast their pubmsg byte allowance (128 KiB) in 30 KB lines at once, while an honest peer reads at ~640 KB/s',
  async run(env) {
    const honest = env.track(await RawPeer.joined(env.dn.port, NETWORK));
    const cuts = env.dn.watchDisconnects([honest.nick]);
    honest.pace(100);
    const senders = env.trackAll((await openMany(64, 32, () => RawPeer.joined(env.dn.port, NETWORK))).ok);
    const body = 'z'.repeat(30_000);
    const perSender = Math.max(1, Math.floor(DEFAULTS.pubmsgBytesPerMin / 30_100));
    const t0 = Date.now();
    let sent = 0;
    for (const s of senders) for (let k = 0; k < perSender; k++) if (s.pubmsg(`${body} ${sent++}`)) void 0;
    const expected = sent * 30_000;
    // Until the paced reader has everything it is sent (nothing new for 2 s), or the DN cut it.
    let last = -1;
    let quietSince = performance.now();
    const settled = (): boolean => {
      if (honest.bytesIn !== last) {
        last = honest.bytesIn;
        quietSince = performance.now();
      }
      return honest.bytesIn >= expected || performance.now() - quietSince >= 2_000;
    };
    await until(() => cuts.size > 0 || settled(), 30_000, () => env.honestDuring());
    const cut = cuts.get(honest.nick);
    const figures = { senders: senders.length, pubmsgsSent: sent, burstMB: Math.round(expected / 1e5) / 10, honestReceivedMB: Math.round(honest.bytesIn / 1e5) / 10 };
    if (cut) return { outcome: 'failed', reaction: `cut the paced honest peer after ${((cut.time - t0) / 1000).toFixed(2)} s (${cut.reason})`, reactionMs: cut.time - t0, figures, pass: false };
    return { outcome: 'bounded', reaction: `the paced honest peer stayed; ${figures.honestReceivedMB} of the ${figures.burstMB} MB offered reached it`, reactionMs: null, figures };
  },
};

const MALFORMED: Array<[string, string | Buffer]> = [
  ['not JSON', 'hello there\r\n'],
  ['JSON array', '[687, "x"]\r\n'],
  ['type as string', '{"type": "687", "line": "x"}\r\n'],
  ['line as number', '{"type": 687, "line": 5}\r\n'],
  ['raw NUL in JSON', Buffer.from('{"type": 687, "line": "a\u0000b"}\r\n', 'latin1')],
  ['NUL bytes only', Buffer.concat([Buffer.alloc(1000, 0), Buffer.from('\r\n')])],
  ['nested 20,000 deep', '['.repeat(19_990) + ']'.repeat(19_990) + '\r\n'],
  ['nested objects 6,000 deep', '{"a":'.repeat(6_000) + '1' + '}'.repeat(6_000) + '\r\n'],
  ['huge number', `{"type": ${'9'.repeat(30_000)}, "line": "x"}\r\n`],
  ['bare CR', '\r\r\r\r\n'],
];

function malformed(name: string, afterHandshake: boolean): AttackSpec {
  return {
    name,
    attack: `${MALFORMED.length} kinds of malformed lines (not JSON, wrong types, NUL, 20,000-deep nesting, …) ${afterHandshake ? 'after' : 'before'} the handshake, 20 connections each`,
    async run(env): Promise<AttackResult> {
      const per = env.quick ? 5 : 20;
      const peers: RawPeer[] = [];
      const t0 = performance.now();
      for (const [, line] of MALFORMED) {
        for (let i = 0; i < per; i++) {
          const p = env.track(afterHandshake ? await RawPeer.joined(env.dn.port, NETWORK) : await RawPeer.open(env.dn.port));
          p.write(line);
          peers.push(p);
        }
      }
      await until(allClosed(peers), 5_000, () => env.honestDuring());
      const open = MALFORMED.filter((_, k) => peers.slice(k * per, (k + 1) * per).some((p) => p.open)).map(([label]) => label);
      const r = cutOrFailed(peers, t0, 5, { connections: peers.length });
      return open.length === 0 ? { ...r, outcome: afterHandshake ? 'cut' : 'refused' } : { ...r, reaction: `${r.reaction}; kept: ${open.join(', ')}` };
    },
  };
}

export const MALFORMED_BEFORE = malformed('malformed-before-handshake', false);
export const MALFORMED_AFTER = malformed('malformed-after-handshake', true);
