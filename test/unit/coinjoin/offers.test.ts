import { describe, expect, it } from 'vitest';
import {
  cjFeeFor,
  formatOffer,
  makeRelOffer,
  parseDecimal,
  parseOffer,
  roundHalfEven,
  splitCommands,
  type Offer,
} from '../../../src/protocol/offers.js';
import { parsedOffer as mustParse } from './helpers.js';


describe('parseOffer (wire §6.2, §6.5)', () => {
  it('parses the V7/V8 rel offer and round-trips it', () => {
    const o = mustParse('sw0reloffer', '0 27300 5000000 0 0.00002');
    expect(o).toMatchObject({ kind: 'rel', oid: 0, minsize: 27300, maxsize: 5000000, txfee: 0, cjfee: '0.00002' });
    expect(formatOffer(o)).toBe('sw0reloffer 0 27300 5000000 0 0.00002');
  });

  it('parses an abs offer', () => {
    const o = mustParse('sw0absoffer', '1 27300 5000000 0 250');
    expect(o).toMatchObject({ kind: 'abs', oid: 1, cjfee: 250 });
    expect(formatOffer(o)).toBe('sw0absoffer 1 27300 5000000 0 250');
  });

  it('accepts every legacy type', () => {
    for (const t of ['swreloffer', 'reloffer']) expect(mustParse(t, '0 30000 40000 0 0.1').kind).toBe('rel');
    for (const t of ['swabsoffer', 'absoffer']) expect(mustParse(t, '0 30000 40000 0 7').kind).toBe('abs');
  });

  it('raises minsize below 27300 to 27300', () => {
    expect(mustParse('sw0reloffer', '0 100 5000000 0 0.00002').minsize).toBe(27300);
  });

  it('ignores extra trailing tokens', () => {
    expect(mustParse('sw0absoffer', '0 27300 50000 0 9 extra').cjfee).toBe(9);
  });

  it('normalises exponent notation and never emits it', () => {
    const o = mustParse('sw0reloffer', '0 27300 5000000 0 1e-05');
    expect(o.cjfee).toBe('0.00001');
    expect(formatOffer(o)).toBe('sw0reloffer 0 27300 5000000 0 0.00001');
    expect(mustParse('sw0reloffer', '0 27300 5000000 0 2E-9').cjfee).toBe('0.000000002');
    expect(mustParse('sw0reloffer', '0 27300 5000000 0 .5').cjfee).toBe('0.5');
    expect(mustParse('sw0reloffer', '0 27300 5000000 0 0.000020').cjfee).toBe('0.000020');
  });

  const bad: Array<[string, string, RegExp]> = [
    ['sw0reloffer', '-1 27300 5000000 0 0.00002', /oid/],
    ['sw0reloffer', '9007199254740992 27300 5000000 0 0.00002', /oid out of range/],
    ['sw0reloffer', '0 -5 5000000 0 0.00002', /minsize/],
    ['sw0reloffer', '0 27300 2100000000000001 0 0.00002', /maxsize out of range/],
    ['sw0reloffer', '0 27300 5000000 -1 0.00002', /txfee/],
    ['sw0reloffer', '0 6000000 5000000 0 0.00002', /minsize 6000000 > maxsize/],
    ['sw0absoffer', '0 27300 5000000 0 2.5', /cjfee/],
    ['sw0absoffer', '0 27300 5000000 0 -3', /cjfee/],
    ['sw0reloffer', '0 27300 5000000 0 -0.0001', /unsigned decimal/],
    ['sw0reloffer', '0 27300 5000000 0 +0.0001', /unsigned decimal/],
    ['sw0reloffer', '0 27300 5000000 0 NaN', /unsigned decimal/],
    ['sw0reloffer', '0 27300 5000000 0 Infinity', /unsigned decimal/],
    ['sw0reloffer', '0 27300 5000000 0 1E-9999999999', /exponent/],
    ['sw0reloffer', '0 27300 5000000 0 1E-33', /exponent/],
    ['sw0reloffer', '0 27300 5000000 0 0.123456789012345678901234567890123', /digits/],
    ['sw0reloffer', '0 27300 5000000 0 0.0000x', /unsigned decimal/],
    ['sw0reloffer', '0 27300 5000000 0', /expected 5 fields/],
    ['sw0reloffer', '0 27300  5000000 0 0.1', /maxsize/],
    ['sw1reloffer', '0 27300 5000000 0 0.1', /unknown offer type/],
    ['sw0reloffer', '0x1 27300 5000000 0 0.1', /oid/],
  ];
  for (const [type, fields, reason] of bad) {
    it(`rejects ${type} ${fields}`, () => {
      const r = parseOffer(type, fields.split(' '));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    });
  }
});

describe('parseDecimal', () => {
  it('keeps exact ratios', () => {
    const r = parseDecimal('0.000022');
    expect(r.ok && r.value.ratio).toEqual({ num: 22n, den: 1000000n });
    const big = parseDecimal('12E+2');
    expect(big.ok && big.value.text).toBe('1200');
    expect(parseDecimal('5.').ok && parseDecimal('5.').ok).toBe(true);
    expect(parseDecimal('.').ok).toBe(false);
    expect(parseDecimal('').ok).toBe(false);
  });
});

describe('cjFeeFor (coinjoin §4.2 examples, half-even)', () => {
  const rel = (fee: string): Offer => mustParse('sw0reloffer', `0 27300 2000000000 0 ${fee}`);
  it.each([
    [9994243, '0.000022', 220n],
    [100000, '0.000025', 2n],
    [300000, '0.000025', 8n],
    [5000000, '0.00002', 100n],
    [123456789, '0.0003', 37037n],
  ])('%i × %s = %s', (amount, fee, want) => {
    expect(cjFeeFor(rel(fee), amount)).toBe(want);
  });
  it('abs fee ignores the amount', () => {
    expect(cjFeeFor(mustParse('sw0absoffer', '0 27300 5000000 0 250'), 4_000_000)).toBe(250n);
  });
  it('roundHalfEven rounds ties to even both ways and handles negatives', () => {
    expect(roundHalfEven(5n, 2n)).toBe(2n);
    expect(roundHalfEven(7n, 2n)).toBe(4n);
    expect(roundHalfEven(-5n, 2n)).toBe(-2n);
    expect(roundHalfEven(-7n, 2n)).toBe(-4n);
    expect(roundHalfEven(11n, 4n)).toBe(3n);
  });
});

describe('makeRelOffer / formatOffer', () => {
  it('builds from a decimal string and refuses garbage', () => {
    const r = makeRelOffer('sw0reloffer', { oid: 0, minsize: 27300, maxsize: 100000, txfee: 0 }, '0.000021');
    expect(r.ok && formatOffer(r.value)).toBe('sw0reloffer 0 27300 100000 0 0.000021');
    expect(makeRelOffer('sw0reloffer', { oid: 0, minsize: 1, maxsize: 2, txfee: 0 }, '1e5x').ok).toBe(false);
  });
  it('refuses a rel offer whose text and ratio disagree', () => {
    const o = mustParse('sw0reloffer', '0 27300 5000000 0 0.00002');
    if (o.kind !== 'rel') throw new Error('kind');
    expect(() => formatOffer({ ...o, cjfeeRatio: { num: 3n, den: 100000n } })).toThrow(/disagree/);
  });
});

describe('splitCommands (wire §4.2)', () => {
  it('splits the V9 multi-offer body', () => {
    const cmds = splitCommands('!sw0reloffer 0 27300 5000000 0 0.00002!sw0absoffer 1 27300 5000000 0 250!tbond AAAA');
    expect(cmds.map((c) => c.name)).toEqual(['sw0reloffer', 'sw0absoffer', 'tbond']);
    expect(cmds[1]?.args).toEqual(['1', '27300', '5000000', '0', '250']);
    expect(cmds[2]?.rest).toBe('AAAA');
  });
  it('accepts a body without the leading bang and argument-less commands', () => {
    expect(splitCommands('cancel 0!cancel 1!orderbook')).toEqual([
      { name: 'cancel', args: ['0'], rest: '0' },
      { name: 'cancel', args: ['1'], rest: '1' },
      { name: 'orderbook', args: [], rest: '' },
    ]);
  });
  it('skips empty segments', () => {
    expect(splitCommands('!!a 1!')).toEqual([{ name: 'a', args: ['1'], rest: '1' }]);
  });
});
