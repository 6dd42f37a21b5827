/** Assertions shared by the directory's hostile-input tests. */
import { expect } from 'vitest';
import { DnPeer, testNick, type HandshakeOptions } from './dn-peer.js';
import { MAX_EMIT_BYTES, encodeEnvelope } from '../../src/protocol/framing.js';

/** Every line the peer received ends in CRLF and carries at most 39,998 payload bytes. */
export function expectLinesWithinLimit(peer: DnPeer): void {
  const b = peer.received;
  let start = 0;
  let longest = 0;
  for (let nl = b.indexOf(0x0a); nl !== -1; nl = b.indexOf(0x0a, start)) {
    expect(b[nl - 1], 'line ends in CRLF').toBe(0x0d);
    longest = Math.max(longest, nl - 1 - start);
    start = nl + 1;
  }
  expect(longest).toBeLessThanOrEqual(MAX_EMIT_BYTES);
}

/** Two fresh peers handshake and exchange a pubmsg within `timeoutMs` (2 s): the DN still serves. */
export async function expectStillServing(port: number, label: string, open: DnPeer[] = [], timeoutMs = 2_000): Promise<void> {
  const nx = testNick(`honest-x-${label}`);
  const ny = testNick(`honest-y-${label}`);
  const x = await DnPeer.joined(port, { nick: nx });
  const y = await DnPeer.joined(port, { nick: ny });
  open.push(x, y);
  const line = `${nx}!PUBLIC!hello from ${label}`;
  x.send(687, line);
  expect(await y.waitFor((l) => l === encodeEnvelope(687, line), timeoutMs)).toBeTruthy();
}

/** Joins a peer under a label's nick and tracks it in `open` (destroyed after the test). */
export async function joinAs(port: number, open: DnPeer[], label: string, h: Omit<HandshakeOptions, 'nick'> = {}): Promise<{ p: DnPeer; nick: string }> {
  const nick = testNick(label);
  const p = await DnPeer.joined(port, { nick, ...h });
  open.push(p);
  return { p, nick };
}

/** Resolves once cond() holds; polls once per event-loop turn (for a DN in this process). */
export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}
