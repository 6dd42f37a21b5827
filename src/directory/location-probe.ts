/**
 * One location proof: does the peer serving `<host>:<port>` hold the key of a nick? We dial it
 * as a taker would (wire-protocol.md §2.9): a 793 handshake under a fresh throwaway nick, then
 * `<nick>!PUBLIC!orderbook`. Reference and joinmarket-ng makers (and ours) answer a direct
 * `!orderbook` with their offers as a privmsg signed by their nick key, sent back on that
 * connection; the first privmsg to our nick whose signature verifies and whose pubkey derives
 * the sender's nick names the nick served there. An ng maker's own 793 names a nick too: a
 * different one ends the probe early (it is unsigned, so it never proves anything by itself), and
 * a directory's 795 ends it as a failure.
 * Every byte the remote sends is bounded: line size, total bytes, lines, time.
 */
import type net from 'node:net';
import { encodeEnvelope, LineSplitter, parseEnvelope } from '../protocol/framing.js';
import { buildClientHandshake, parseClientHandshake } from '../protocol/handshake.js';
import { buildPubmsg, parsePrivmsgBody, splitRouted, verifyPrivmsg } from '../protocol/jm-message.js';
import { MsgType } from '../protocol/message-types.js';
import { isValidNickFormat, nickFromPrivateKey, nickMatchesPubkey } from '../protocol/nick.js';
import { NOT_SERVING_ONION } from '../protocol/onion.js';
import { randomPrivateKey } from '../protocol/crypto.js';

export type ProbeOutcome = { ok: true; nick: string } | { ok: false; reason: string };

export interface ProbeOptions {
  network: string;
  timeoutMs: number;
  /** Stop reading after this many bytes from the remote. */
  maxBytes?: number;
  maxLines?: number;
  /** When set, an unsigned 793 naming another nick ends the probe early. */
  expectNick?: string;
}

/** Runs the conversation on an already connected socket and always destroys it. */
export function probeSocket(sock: net.Socket, o: ProbeOptions): Promise<ProbeOutcome> {
  const maxBytes = o.maxBytes ?? 256_000;
  const maxLines = o.maxLines ?? 64;
  const me = nickFromPrivateKey(randomPrivateKey());
  return new Promise<ProbeOutcome>((resolve) => {
    let done = false;
    let bytes = 0;
    let lines = 0;
    const splitter = new LineSplitter();
    const finish = (r: ProbeOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: `no signed reply within ${o.timeoutMs} ms` }), o.timeoutMs);
    sock.on('error', (e) => finish({ ok: false, reason: `connection error: ${(e as NodeJS.ErrnoException).code ?? e.message}` }));
    sock.on('close', () => finish({ ok: false, reason: 'closed without a signed reply' }));
    sock.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) return finish({ ok: false, reason: `sent over ${maxBytes} bytes without a signed reply` });
      for (const ev of splitter.push(chunk)) {
        if (ev.kind === 'oversize') return finish({ ok: false, reason: 'oversize line' });
        if (++lines > maxLines) return finish({ ok: false, reason: `sent ${maxLines} lines without a signed reply` });
        const r = onLine(ev.text, me, o.expectNick);
        if (r) return finish(r);
      }
    });
    sock.write(encodeEnvelope(MsgType.HANDSHAKE, buildClientHandshake({ nick: me, location: NOT_SERVING_ONION, network: o.network, features: {} })));
    sock.write(encodeEnvelope(MsgType.PUBMSG, buildPubmsg(me, '!orderbook')));
  });
}

function onLine(text: string, me: string, expectNick: string | undefined): ProbeOutcome | null {
  const env = parseEnvelope(text);
  if (!env.ok) return null;
  const { type, line } = env.env;
  // Makers never answer with 795 (§2.9). A directory would relay our !orderbook to everyone
  // on it, and any of them could answer it: a directory's address proves nobody.
  if (type === MsgType.DN_HANDSHAKE) return { ok: false, reason: 'the location is a directory node' };
  if (type === MsgType.HANDSHAKE && expectNick !== undefined) {
    const h = parseClientHandshake(line);
    if (h.ok && h.value.nick !== expectNick) return { ok: false, reason: `its handshake names another nick (${h.value.nick.slice(0, 16)})` };
    return null;
  }
  if (type !== MsgType.PRIVMSG) return null;
  const r = splitRouted(line);
  if (!r || r.to !== me || !isValidNickFormat(r.from)) return null;
  const p = parsePrivmsgBody(r.from, r.to, r.body);
  if (!p.ok || !/^[0-9a-f]{66}$/.test(p.msg.pubkeyHex) || !nickMatchesPubkey(p.msg.from, p.msg.pubkeyHex)) return null;
  return verifyPrivmsg(p.msg).ok ? { ok: true, nick: p.msg.from } : null;
}
