import { describe, expect, it } from 'vitest';
import { NickIdentity } from '../../../src/client/identity.js';
import { PrivmsgGate, SignatureCache } from '../../../src/client/privmsg-gate.js';
import { parsePrivmsgBody, splitRouted, verifyPrivmsgFast, type SignedPrivmsg } from '../../../src/protocol/jm-message.js';
import { ManualClock } from '../../../src/util/clock.js';

function parsed(line: string): SignedPrivmsg {
  const r = splitRouted(line)!;
  const p = parsePrivmsgBody(r.from, r.to, r.body);
  if (!p.ok) throw new Error(p.reason);
  return p.msg;
}

/** A signed privmsg whose signature is another message's: cheap checks pass, ECDSA fails. */
function forged(id: NickIdentity, i: number): SignedPrivmsg {
  const good = parsed(id.signPrivmsg('J5recipientOOOOO', 'error', `x${i}`));
  return { ...good, args: `y${i}` };
}

function counting(): { verify: (m: SignedPrivmsg) => ReturnType<typeof verifyPrivmsgFast>; calls: () => number } {
  let n = 0;
  return { verify: (m) => (n++, verifyPrivmsgFast(m)), calls: () => n };
}

describe('PrivmsgGate', () => {
  it('a sender of bad signatures costs three verifications a minute, however many it sends; others are not affected', () => {
    const clock = new ManualClock(0);
    const v = counting();
    const gate = new PrivmsgGate(clock, {}, new SignatureCache(), v.verify);
    const mallory = NickIdentity.random();
    for (let i = 0; i < 6_000; i++) expect(gate.check(forged(mallory, i), mallory.nick).ok).toBe(false);
    expect(v.calls()).toBe(3);
    expect(gate.stats).toMatchObject({ failed: 3, overBudget: 5_997 });
    const alice = NickIdentity.random();
    expect(gate.check(parsed(alice.signPrivmsg('J5recipientOOOOO', 'fill', '0 1 2 3')), alice.nick)).toEqual({ ok: true });
    // its window frees up as time passes: one more failure allowed after 20 s
    clock.advance(20_000);
    gate.check(forged(mallory, 1), mallory.nick);
    gate.check(forged(mallory, 2), mallory.nick);
    expect(v.calls()).toBe(5);
  });

  it('valid messages: a per-sender budget, then a global one; a message verified before is believed from the cache', () => {
    const clock = new ManualClock(0);
    const v = counting();
    const gate = new PrivmsgGate(clock, { verifiesPerSender: 5, verifiesGlobal: 8 }, new SignatureCache(), v.verify);
    const a = NickIdentity.random();
    const msgs = Array.from({ length: 7 }, (_, i) => parsed(a.signPrivmsg('J5recipientOOOOO', 'sig', `s${i}`)));
    expect(msgs.map((m) => gate.check(m, a.nick).ok)).toEqual([true, true, true, true, true, false, false]);
    expect(gate.check(msgs[0]!, a.nick)).toEqual({ ok: true }); // cached: no budget needed
    const b = NickIdentity.random();
    const fromB = Array.from({ length: 4 }, (_, i) => parsed(b.signPrivmsg('J5recipientOOOOO', 'sig', `s${i}`)));
    expect(fromB.map((m) => gate.check(m, b.nick).ok)).toEqual([true, true, true, false]); // global 8 used up
    expect(v.calls()).toBe(8);
    expect(gate.stats).toMatchObject({ verified: 8, cached: 1, overBudget: 3 });
  });

  it('cheap checks run before any budget or verification', () => {
    const v = counting();
    const gate = new PrivmsgGate(new ManualClock(0), {}, new SignatureCache(), v.verify);
    const a = NickIdentity.random();
    const m = parsed(a.signPrivmsg('J5recipientOOOOO', 'fill', '0 1 2 3'));
    expect(gate.check({ ...m, from: NickIdentity.random().nick }, 'x')).toEqual({ ok: false, reason: 'nick does not match pubkey' });
    expect(gate.check({ ...m, sigBase64: 'A'.repeat(121) }, 'x')).toEqual({ ok: false, reason: 'signature too long' });
    expect(v.calls()).toBe(0);
  });

  it('remembers a bounded number of senders and cache entries', () => {
    const clock = new ManualClock(0);
    const cache = new SignatureCache(10);
    const gate = new PrivmsgGate(clock, { maxSenders: 50 }, cache);
    const a = NickIdentity.random();
    for (let i = 0; i < 100; i++) gate.check(parsed(a.signPrivmsg('J5recipientOOOOO', 'sig', `s${i}`)), `sender-${i}`);
    expect(cache.size).toBe(10);
    expect((gate as unknown as { senders: { size: number } }).senders.size).toBe(50);
  });
});

describe('SignatureCache', () => {
  it('keys by content, 40 KB args included', () => {
    const c = new SignatureCache();
    const a = NickIdentity.random();
    const big = parsed(a.signPrivmsg('J5recipientOOOOO', 'tx', 'a'.repeat(40_000)));
    c.add(big);
    expect(c.has(big)).toBe(true);
    expect(c.has({ ...big, args: `${big.args.slice(0, -1)}b` })).toBe(false);
  });
});
