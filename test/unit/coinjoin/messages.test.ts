import { describe, expect, it } from 'vitest';
import {
  buildFill,
  checkFill,
  formatCoinjoinCommand,
  isCoinjoinCommand,
  isEncryptedCommand,
  parseCoinjoinCommand,
  toBody,
  type FillMessage,
} from '../../../src/protocol/coinjoin/messages.js';
import { buildSignedPrivmsg, parsePrivmsgBody, splitRouted } from '../../../src/protocol/jm-message.js';
import { hexToBytes } from '../../../src/protocol/crypto.js';
import { parseOffer, type Offer } from '../../../src/protocol/offers.js';

const TAKER_PK = 'a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209';
const MAKER_PK = 'ce8d3ad1ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d59';
const C = '0699ef3695ee2050f6d0cfcdb8ef0b49d118d6b0b0bc9f56c8621639ad05bec6';
const MAKER = 'J52N8GdNkKtMA6TW';
const TAKER = 'J59cTYvZJZEbjWk4';

describe('command families (coinjoin §1)', () => {
  it('encrypted: auth ioauth tx sig; plaintext: fill pubkey push error hp2', () => {
    expect(['auth', 'ioauth', 'tx', 'sig'].every(isEncryptedCommand)).toBe(true);
    expect(['fill', 'pubkey', 'push', 'error', 'hp2'].some(isEncryptedCommand)).toBe(false);
    expect(isCoinjoinCommand('hp2')).toBe(true);
    expect(isCoinjoinCommand('orderbook')).toBe(false);
  });
});

describe('spec §2 privmsg examples', () => {
  it('builds the exact signed !fill line', () => {
    const fill = buildFill(0, 5_000_000, TAKER_PK, hexToBytes(C));
    expect(toBody(fill)).toBe(`!fill 0 5000000 ${TAKER_PK} P${C}`);
    const { cmd, args } = formatCoinjoinCommand(fill);
    expect(buildSignedPrivmsg(TAKER, MAKER, cmd, args, new Uint8Array(32).fill(0x22))).toBe(
      `${TAKER}!${MAKER}!fill 0 5000000 ${TAKER_PK} P${C} 02466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f27 MEQCIGU5jJupkKwY5VwP5DKjsyxgaRQxV3FiTILS+CsAntfvAiBgXyrfFpgOfAQRFlrafRfG2SDkra3OG+ebIgRJxjc7QA==`,
    );
  });
  it('builds the exact signed !pubkey line and parses it back', () => {
    const m = parseCoinjoinCommand('pubkey', MAKER_PK);
    if (!m.ok) throw new Error(m.reason);
    const { cmd, args } = formatCoinjoinCommand(m.value);
    const line = buildSignedPrivmsg(MAKER, TAKER, cmd, args, new Uint8Array(32).fill(0x11));
    expect(line).toBe(
      `${MAKER}!${TAKER}!pubkey ${MAKER_PK} 034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa MEUCIQDB6Ri4Y5Q2ToZ8o/FoZ+SzddGt0kLVbZa87nMpwQ8lRQIgLC9TnHaw5HD9f20WHFLOyvaW3wd2P/0pLwqj9OdylJA=`,
    );
    const routed = splitRouted(line);
    const pm = routed && parsePrivmsgBody(routed.from, routed.to, routed.body);
    expect(pm?.ok && parseCoinjoinCommand(pm.msg.cmd, pm.msg.args)).toEqual({
      ok: true,
      value: { cmd: 'pubkey', makerNaclPubHex: MAKER_PK, features: [] },
    });
  });
});

describe('parseCoinjoinCommand', () => {
  it('fill keeps raw key/commitment tokens for checkFill', () => {
    expect(parseCoinjoinCommand('fill', `3 1000000 ${TAKER_PK} P${C}`)).toEqual({
      ok: true,
      value: { cmd: 'fill', oid: 3, amount: 1000000, takerNaclPub: TAKER_PK, commitment: `P${C}` },
    });
  });
  it.each([
    ['fill', `0 1000000 ${TAKER_PK}`, /4 fields/],
    ['fill', `x 1000000 ${TAKER_PK} P${C}`, /oid/],
    ['fill', `0 -5 ${TAKER_PK} P${C}`, /amount/],
    ['fill', `0 2100000000000001 ${TAKER_PK} P${C}`, /amount/],
    ['pubkey', 'abcd', /invalid nacl pubkey/],
    ['auth', 'not*base64', /base64/],
    ['tx', '', /base64/],
    ['push', '***', /base64/],
    ['hp2', `P${C}`, /64 hex/],
    ['hp2', C.slice(2), /64 hex/],
    ['orderbook', '', /not a coinjoin command/],
  ])('%s %s refused', (cmd, args, reason) => {
    const r = parseCoinjoinCommand(cmd, args);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });
  it('pubkey with NG features', () => {
    const r = parseCoinjoinCommand('pubkey', `${MAKER_PK.toUpperCase()} features=neutrino_compat`);
    expect(r).toEqual({ ok: true, value: { cmd: 'pubkey', makerNaclPubHex: MAKER_PK, features: ['neutrino_compat'] } });
    if (r.ok) expect(toBody(r.value)).toBe(`!pubkey ${MAKER_PK} features=neutrino_compat`);
  });
  it('encrypted commands concatenate chunks (REF) and round-trip', () => {
    const r = parseCoinjoinCommand('ioauth', 'AAEC AwQF');
    expect(r).toEqual({ ok: true, value: { cmd: 'ioauth', ciphertext: 'AAECAwQF' } });
    if (r.ok) expect(toBody(r.value)).toBe('!ioauth AAECAwQF');
  });
  it('push, error, hp2', () => {
    expect(parseCoinjoinCommand('push', 'AQID')).toMatchObject({ ok: true, value: { txBase64: 'AQID', tx: Uint8Array.of(1, 2, 3) } });
    expect(parseCoinjoinCommand('error', 'oid not found')).toEqual({ ok: true, value: { cmd: 'error', text: 'oid not found' } });
    const hp2 = parseCoinjoinCommand('hp2', C.toUpperCase());
    expect(hp2).toEqual({ ok: true, value: { cmd: 'hp2', commitmentHex: C } });
    if (hp2.ok) expect(toBody(hp2.value)).toBe(`!hp2 ${C}`);
  });
  it('buildFill refuses bad inputs', () => {
    expect(() => buildFill(0, 1000, 'ab', hexToBytes(C))).toThrow(RangeError);
    expect(() => buildFill(0, 1000, TAKER_PK, new Uint8Array(31))).toThrow(RangeError);
    expect(() => buildFill(-1, 1000, TAKER_PK, hexToBytes(C))).toThrow(RangeError);
  });
});

describe('checkFill (coinjoin §4.3, REF order)', () => {
  const offerR = parseOffer('sw0reloffer', '0 100000 5000000 0 0.00002'.split(' '));
  if (!offerR.ok) throw new Error(offerR.reason);
  const offers: Offer[] = [offerR.value];
  const fill = (over: Partial<FillMessage>): FillMessage => ({
    cmd: 'fill', oid: 0, amount: 1_000_000, takerNaclPub: TAKER_PK, commitment: `P${C}`, ...over,
  });
  const never = (): boolean => false;

  it('accepts a good fill', () => {
    const r = checkFill(fill({ commitment: `P${C.toUpperCase()}` }), offers, never);
    expect(r.ok && r.value.commitmentHex).toBe(C);
    expect(r.ok && r.value.amount).toBe(1_000_000);
  });
  it('1. unsupported commitment type', () => {
    expect(checkFill(fill({ commitment: `Q${C}` }), offers, never)).toMatchObject({ ok: false, reply: 'Unsupported commitment type: Q' });
  });
  it('2. malformed hex dropped silently', () => {
    const r = checkFill(fill({ commitment: `P${C.slice(1)}z` }), offers, never);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reply).toBeUndefined();
  });
  it('3. blacklisted commitment (checked before the oid)', () => {
    const r = checkFill(fill({ oid: 9 }), offers, (h) => h === C);
    expect(r).toMatchObject({ ok: false, reply: `Commitment is blacklisted: ${C}` });
  });
  it('4. unknown oid, amount out of range (inclusive bounds)', () => {
    expect(checkFill(fill({ oid: 1 }), offers, never)).toMatchObject({ reply: 'oid not found' });
    expect(checkFill(fill({ amount: 99_999 }), offers, never)).toMatchObject({ reply: 'amount out of range' });
    expect(checkFill(fill({ amount: 5_000_001 }), offers, never)).toMatchObject({ reply: 'amount out of range' });
    expect(checkFill(fill({ amount: 100_000 }), offers, never).ok).toBe(true);
    expect(checkFill(fill({ amount: 5_000_000 }), offers, never).ok).toBe(true);
  });
  it('5. invalid nacl pubkey (after the oid check)', () => {
    expect(checkFill(fill({ takerNaclPub: 'abcd' }), offers, never)).toMatchObject({ reply: 'Invalid nacl pubkey: abcd' });
    expect(checkFill(fill({ takerNaclPub: 'abcd', oid: 4 }), offers, never)).toMatchObject({ reply: 'oid not found' });
  });
});
