/**
 * Nick-auth proofs verified on the worker thread: lines sent right behind the proof wait for the
 * verdict and are then handled in order (as with the inline check), bounded to one maximal
 * line's worth. A whole DirectoryServer over fake sockets, so the lines provably arrive while
 * the verification is still pending (data is delivered synchronously, verdicts a turn later).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DirectoryServer } from '../../../src/directory/server.js';
import { MAX_LINE_BYTES, encodeEnvelope } from '../../../src/protocol/framing.js';
import { ManualClock } from '../../../src/util/clock.js';
import { buildClientHandshake } from '../../../src/protocol/handshake.js';
import { MsgType } from '../../../src/protocol/message-types.js';
import { buildProof, parseChallenge, signNickAuthProof } from '../../../src/protocol/nick-auth.js';
import { nickFromPrivateKey } from '../../../src/protocol/nick.js';
import { NOT_SERVING_ONION } from '../../../src/protocol/onion.js';
import { afterFlush, fakeListener, type DrivableSocket } from './fakes.js';

let dn: DirectoryServer | null = null;

afterEach(async () => {
  await dn?.stop();
  dn = null;
});

/** Types of the envelopes written to a socket so far. */
function types(s: DrivableSocket): number[] {
  return s.text().split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { type: number }).type);
}

async function challenged(verifyWorker: boolean, extra: { clock?: ManualClock; timeoutMs?: number } = {}) {
  const listener = fakeListener();
  dn = new DirectoryServer({ network: 'testnet', listener, clock: extra.clock, nickAuth: { verifyWorker, timeoutMs: extra.timeoutMs }, locationProofs: { enabled: false } });
  await dn.start();
  const key = randomBytes(32);
  const nick = nickFromPrivateKey(key);
  const line = buildClientHandshake({ nick, location: NOT_SERVING_ONION, network: 'testnet', features: { nick_auth: true, ping: true } });
  const s = listener.connect();
  s.emit('data', Buffer.from(encodeEnvelope(MsgType.HANDSHAKE, line)));
  await afterFlush();
  const lines = s.text().split('\n');
  const c = parseChallenge((JSON.parse(lines[1]!) as { line: string }).line);
  if (!c.ok) throw new Error(c.reason);
  const proof = encodeEnvelope(MsgType.NICK_AUTH_PROOF, buildProof(signNickAuthProof(key, c.value, line, nick)));
  return { s, nick, proof };
}

describe('nick-auth verification on the worker', () => {
  for (const verifyWorker of [true, false]) {
    it(`handles a PING sent right behind the proof after the 807 ok (${verifyWorker ? 'worker' : 'inline'})`, async () => {
      const { s, nick, proof } = await challenged(verifyWorker);
      s.emit('data', Buffer.from(proof + encodeEnvelope(MsgType.PING, '')));
      s.emit('data', Buffer.from(encodeEnvelope(MsgType.PING, '')));
      await vi.waitFor(() => expect(types(s)).toEqual([MsgType.DN_HANDSHAKE, MsgType.NICK_AUTH_CHALLENGE, MsgType.NICK_AUTH_RESULT, MsgType.PONG, MsgType.PONG]));
      expect(dn!.registry.byNick(nick)?.verifiedPubkey).not.toBeNull();
      expect(dn!.stats.nickAuth).toMatchObject({ ok: 1, malformed: 0 });
    });
  }

  it('judges a proof that arrived in time even when its deadline passes while the worker verifies it (no 807 expired)', async () => {
    const clock = new ManualClock();
    const { s, nick, proof } = await challenged(true, { clock, timeoutMs: 1000 });
    clock.advance(999);
    s.emit('data', Buffer.from(proof));
    clock.advance(2);
    dn!.sweep(); // the deadline has passed, the verdict is still with the worker
    await vi.waitFor(() => expect(types(s)).toEqual([MsgType.DN_HANDSHAKE, MsgType.NICK_AUTH_CHALLENGE, MsgType.NICK_AUTH_RESULT]));
    expect(s.text()).toMatch(/"code\\?":\s*\\?"ok/);
    expect(dn!.registry.byNick(nick)?.verifiedPubkey).not.toBeNull();
    expect(dn!.stats.nickAuth).toMatchObject({ ok: 1, expired: 0 });
  });

  it('ends the exchange (807 malformed) when more than one maximal line arrives before the verdict', async () => {
    const { s, nick, proof } = await challenged(true);
    const big = encodeEnvelope(MsgType.PUBMSG, `${nick}!PUBLIC!${'x'.repeat(MAX_LINE_BYTES / 2)}`);
    s.emit('data', Buffer.from(proof + big));
    expect(s.destroyed).toBe(false);
    s.emit('data', Buffer.from(big));
    expect(types(s).at(-1)).toBe(MsgType.NICK_AUTH_RESULT);
    expect(s.text()).toMatch(/"code\\?":\s*\\?"malformed/);
    expect(s.destroyed).toBe(true);
    await afterFlush();
    expect(dn!.registry.byNick(nick)).toBeUndefined();
    expect(dn!.stats.nickAuth).toMatchObject({ ok: 0, malformed: 1 });
  });
});
