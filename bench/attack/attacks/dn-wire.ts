/**
 * Directory-node attacks on what the DN relays and whom it admits: lines that grow when
 * re-encoded, the DN's own nick, floats in the handshake, spoofed senders, nick/onion
 * takeover and GETPEERLIST amplification.
 */
import { MsgType } from '../../../src/protocol/message-types.js';
import { pyJsonString } from '../../../src/protocol/json-py.js';
import { buildClientHandshake } from '../../../src/protocol/handshake.js';
import { resolveLimits } from '../../../src/directory/limits.js';
import { closeSummary, type AttackEnv, type AttackResult, type AttackSpec } from '../lib/scenario.js';
import { NETWORK } from '../lib/targets.js';
import { MAX_EMIT_BYTES, RawPeer, handshakeLine, openMany, randomNick, sleep } from '../lib/wire.js';

const CRLF = Buffer.from('\r\n');

/** `head` + filler bytes + `"}` + CRLF, `total` bytes before the CRLF. */
export function sizedLine(head: string, filler: Buffer, total: number): Buffer {
  const h = Buffer.from(head, 'latin1');
  const n = total - h.length - 2;
  const fill = Buffer.alloc(n);
  for (let i = 0; i < n; i += filler.length) filler.copy(fill, i, 0, Math.min(filler.length, n - i));
  return Buffer.concat([h, fill, Buffer.from('"}'), CRLF]);
}

const HIGH_BYTES = Buffer.from(Array.from({ length: 128 }, (_, i) => 0x80 + i));

/**
 * A handshaked attacker sends `copies` lines built by `make`; an observer peer records the
 * longest line the DN relays. Over 39,998 bytes is the defect (every receiver drops the line
 * and with it the connection).
 */
function relayGrowth(name: string, attack: string, make: (nick: string) => Buffer[]): AttackSpec {
  return {
    name, attack,
    async run(env: AttackEnv): Promise<AttackResult> {
      const observer = env.track(await RawPeer.joined(env.dn.port, NETWORK));
      const attacker = env.track(await RawPeer.joined(env.dn.port, NETWORK));
      const lines = make(attacker.nick);
      const t0 = performance.now();
      for (const l of lines) attacker.write(l);
      // A plain pubmsg after the attack lines: when it arrives, everything before it has.
      const marker = observer.waitFor((l) => l.includes('relay-growth-end'), 5_000);
      attacker.pubmsg('relay-growth-end');
      await Promise.race([marker, attacker.closed]);
      await sleep(200);
      await env.honestDuring();
      const relayed = observer.bigLines;
      const figures = { linesSent: lines.length, bytesSentMax: Math.max(...lines.map((l) => l.length - 2)), relayedLines: relayed, longestRelayed: observer.maxLine, overLimitRelayed: observer.oversizeLines };
      if (observer.oversizeLines > 0) {
        return { outcome: 'failed', reaction: `relayed ${observer.oversizeLines} lines over the limit, longest ${observer.maxLine.toLocaleString('en-US')} bytes (limit ${MAX_EMIT_BYTES.toLocaleString('en-US')})`, reactionMs: null, figures, pass: false };
      }
      if (attacker.closedByDirectory) {
        return { outcome: 'cut', reaction: `closed the sender after ${((attacker.closedAt! - t0) / 1000).toFixed(2)} s; relayed ${relayed} of ${lines.length}`, reactionMs: attacker.closedAt! - t0, figures };
      }
      if (relayed === 0) return { outcome: 'refused', reaction: `dropped all ${lines.length} at receipt (sender kept)`, reactionMs: null, figures };
      return { outcome: 'bounded', reaction: `relayed ${relayed} of ${lines.length}, longest ${observer.maxLine.toLocaleString('en-US')} bytes (within the limit)`, reactionMs: null, figures };
    },
  };
}

const pubHead = (nick: string, compact = false): string => (compact ? `{"type":687,"line":"${nick}!PUBLIC!` : `{"type": 687, "line": "${nick}!PUBLIC!`);

export const RELAY_GROWTH: AttackSpec[] = [
  relayGrowth('relay-growth-invalid-utf8', 'pubmsgs of 39,988 bytes carrying raw bytes 0x80–0xFF (invalid UTF-8), 10 times',
    (nick) => Array.from({ length: 10 }, () => sizedLine(pubHead(nick), HIGH_BYTES, 39_988))),
  relayGrowth('relay-growth-non-ascii', 'pubmsgs of 39,988 bytes of raw 2-byte UTF-8 (é), which Python-style escaping triples, 10 times',
    (nick) => Array.from({ length: 10 }, () => sizedLine(pubHead(nick), Buffer.from('é'), 39_988))),
  relayGrowth('relay-growth-ascii-near-limit', 'compact-JSON plain-ASCII pubmsgs of 39,998 and 40,000 bytes (re-encoding adds spaces), 5 each',
    (nick) => Array.from({ length: 10 }, (_, i) => sizedLine(pubHead(nick, true), Buffer.from('x'), i % 2 === 0 ? 39_998 : 40_000))),
];

/** A handshake line whose 795 we expect to be accepted:false or the connection closed. */
async function expectRefused(env: AttackEnv, raw: string | Buffer): Promise<{ refused: boolean; how: string; ms: number }> {
  const p = env.track(await RawPeer.open(env.dn.port));
  const t0 = performance.now();
  p.write(raw);
  const accepted = await Promise.race([p.awaitHandshake(5_000), p.closed.then(() => false)]);
  await Promise.race([p.closed, sleep(500)]);
  const ms = performance.now() - t0;
  if (accepted) return { refused: false, how: 'accepted', ms };
  return { refused: true, how: p.accepted === false && p.lines > 0 ? 'accepted:false' : 'closed', ms };
}

async function refusals(env: AttackEnv, variants: Array<[string, string | Buffer]>): Promise<AttackResult> {
  const results: string[] = [];
  let refused = 0;
  let maxMs = 0;
  for (const [label, raw] of variants) {
    const r = await expectRefused(env, raw);
    if (r.refused) refused++;
    maxMs = Math.max(maxMs, r.ms);
    results.push(`${label}: ${r.how}`);
  }
  await env.honestDuring();
  const all = refused === variants.length;
  return { outcome: all ? 'refused' : 'failed', reaction: results.join(', '), reactionMs: maxMs, figures: { variants: variants.length, refused } };
}

export const OWN_NICK: AttackSpec = {
  name: 'own-nick-handshake',
  attack: "handshake with the directory's own nick (its pubmsgs would look like the DN's)",
  run: (env) => refusals(env, [["DN's nick", handshakeLine(env.dn.nick, NETWORK)]]),
};

export const FLOAT_HANDSHAKE: AttackSpec = {
  name: 'float-handshake',
  attack: 'handshakes with floats where the reference wants ints: envelope type 793.0 and 7.93e2, proto-ver 5.0',
  run: (env) => {
    // A fresh nick each: an accepted first variant must not make the next one a duplicate.
    const hs = (): string => buildClientHandshake({ nick: randomNick(), network: NETWORK, location: 'NOT-SERVING-ONION' });
    return refusals(env, [
      ['type 793.0', `{"type": 793.0, "line": ${pyJsonString(hs())}}\r\n`],
      ['type 7.93e2', `{"type": 7.93e2, "line": ${pyJsonString(hs())}}\r\n`],
      ['proto-ver 5.0', `{"type": 793, "line": ${pyJsonString(hs().replace('"proto-ver": 5', '"proto-ver": 5.0'))}}\r\n`],
    ]);
  },
};

export const SPOOFED_NICK: AttackSpec = {
  name: 'spoofed-from-nick',
  attack: "pubmsg and privmsg claiming an honest peer's nick as sender",
  async run(env) {
    const victim = env.honestNicks[0]!;
    const observer = env.track(await RawPeer.joined(env.dn.port, NETWORK));
    const token = `spoof-${Date.now()}`;
    const seen = observer.waitFor((l) => l.includes(token), 1_500);
    const a = env.trackAll([await RawPeer.joined(env.dn.port, NETWORK), await RawPeer.joined(env.dn.port, NETWORK)]);
    const t0 = performance.now();
    a[0]!.send(MsgType.PUBMSG, `${victim}!PUBLIC!${token}`);
    a[1]!.send(MsgType.PRIVMSG, `${victim}!${observer.nick}!${token} pub sig`);
    const delivered = (await seen) !== null;
    await Promise.race([Promise.all(a.map((p) => p.closed)), sleep(2_000)]);
    await env.honestDuring();
    const c = closeSummary(a, t0);
    if (delivered) return { outcome: 'failed', reaction: `relayed a line as ${victim}; ${c.text}`, reactionMs: c.maxMs, pass: false };
    return { outcome: c.closed === a.length ? 'cut' : 'held', reaction: `nothing relayed; ${c.text}`, reactionMs: c.maxMs };
  },
};

/**
 * Takeover: a second connection claims a live peer's nick (refused), another claims a live
 * peer's serving location. With location proofs on (the default) that second claim may be
 * admitted, but it is listed as NOT-SERVING-ONION until a probe of the location finds the
 * claimant's nick there, so it gains nothing: the row checks what GETPEERLIST lists.
 */
export const TAKEOVER: AttackSpec = {
  name: 'nick-onion-takeover',
  attack: "a second connection claims a live honest peer's nick, another its serving location",
  async run(env) {
    // A serving honest peer (loopback location), active: it just said something.
    const location = `127.0.0.1:${20_000 + Math.floor(Math.random() * 10_000)}`;
    const holder = env.track(await RawPeer.joined(env.dn.port, NETWORK, randomNick(), location));
    holder.pubmsg('I am here');
    const nick = await expectRefused(env, handshakeLine(env.honestNicks[0]!, NETWORK));
    const squatter = env.track(await RawPeer.open(env.dn.port));
    const claimed = await squatter.handshake(NETWORK, location, 5_000);
    const observer = env.track(await RawPeer.joined(env.dn.port, NETWORK));
    const listed = observer.waitFor((l) => l.startsWith(`{"type": ${MsgType.PEERLIST},`) && l.includes(`${squatter.nick};${location}`), 1_500);
    const list = observer.waitFor((l) => l.startsWith(`{"type": ${MsgType.PEERLIST},`), 1_500);
    observer.send(MsgType.GETPEERLIST, '');
    const squatterListed = (await listed) !== null;
    const gotList = (await list) !== null;
    await env.honestDuring();
    const rt = await holder.roundTrip(2_000);
    const holderOk = holder.open && rt !== null;
    const locText = !claimed ? 'same location: accepted:false' : squatterListed ? `same location: accepted AND LISTED at ${location}` : `same location: accepted, listed as not serving${gotList ? '' : ' (no peer list came)'}`;
    const reaction = `same nick: ${nick.how}; ${locText}${holderOk ? '' : '; the holder was disconnected'}`;
    const ok = nick.refused && !squatterListed && holderOk;
    return { outcome: !ok ? 'failed' : claimed ? 'held' : 'refused', reaction, reactionMs: nick.ms, figures: { nickRefused: nick.refused, locationClaimAccepted: claimed, squatterListed }, pass: ok };
  },
};

/**
 * GETPEERLIST lists every serving or offer-announcing peer (~36 bytes each), so with many
 * makers connected one small request buys a large reply. Attackers ask exactly as often as
 * the rate limit allows (a full bucket at once, then one per refill), so they are never cut.
 * Bounded: what each gets stays within the DN's reply-bytes allowance (a minute's worth at
 * first, refilled per minute) plus the one reply that may overdraw it.
 */
export const GETPEERLIST_AMPLIFICATION: AttackSpec = {
  name: 'getpeerlist-amplification',
  attack: '2,000 offer-announcing peers connected; 20 attackers send GETPEERLIST at the rate limit (6 at once, then 1 per 10 s) for 20 s',
  rssBudgetMiB: 96,
  async run(env) {
    const makers = env.quick ? 500 : 2_000;
    const sec = env.quick ? 4 : 20;
    const limits = resolveLimits({});
    const m = await openMany(makers, 100, async () => {
      const p = await RawPeer.joined(env.dn.port, NETWORK);
      p.pubmsg('sw0reloffer 0 27300 5000000 0 0.00002');
      return p;
    });
    env.trackAll(m.ok);
    await sleep(500);
    const attackers = env.trackAll((await openMany(20, 20, () => RawPeer.joined(env.dn.port, NETWORK))).ok);
    const in0 = attackers.reduce((n, p) => n + p.bytesIn, 0);
    const t0 = performance.now();
    let requests = 0;
    const ask = (): void => {
      for (const a of attackers) if (a.open && a.send(MsgType.GETPEERLIST, '')) requests++;
    };
    // The first reply's size, then the rest of the bucket.
    ask();
    await Promise.all(attackers.map((a) => a.roundTrip(5_000)));
    const oneReply = (attackers.reduce((n, p) => n + p.bytesIn, 0) - in0) / attackers.length;
    for (let i = 1; i < limits.rateGetpeerlistPerMin; i++) ask();
    const timer = setInterval(ask, 60_000 / Math.max(1, limits.rateGetpeerlistPerMin));
    await sleep(sec * 500);
    await env.honestDuring();
    await sleep(sec * 500);
    clearInterval(timer);
    await Promise.all(attackers.map((a) => a.roundTrip(5_000)));
    const replyBytes = attackers.reduce((n, p) => n + p.bytesIn, 0) - in0;
    const reqBytes = requests * Buffer.byteLength(`{"type": ${MsgType.GETPEERLIST}, "line": ""}\r\n`);
    const c = closeSummary(attackers, t0);
    const perAttacker = replyBytes / attackers.length;
    // A fresh allowance holds a minute's worth, it refills during the window, and one reply may overdraw it.
    const allowed = limits.peerlistBytesPerMin === 0 ? Infinity : limits.peerlistBytesPerMin * (1 + sec / 60) + oneReply;
    const kib = (v: number): number => Math.round(v / 1024);
    const figures = { makers: m.ok.length, requests, replyBytes, oneReplyKiB: kib(oneReply), amplification: Math.round(replyBytes / Math.max(1, reqBytes)), replyKiBPerAttacker: kib(perAttacker), allowedKiB: kib(allowed), attackersCut: c.closed };
    const bounded = perAttacker <= allowed;
    const text = `${kib(perAttacker)} KiB of peer lists per attacker for ${requests / attackers.length} requests in ${sec} s (one list ${kib(oneReply)} KiB; allowance ${kib(allowed)} KiB), ${figures.amplification}× the request bytes; ${c.text}`;
    return { outcome: bounded ? (c.closed > 0 ? 'cut' : 'bounded') : 'failed', reaction: text, reactionMs: c.medianMs, figures, pass: bounded };
  },
};
