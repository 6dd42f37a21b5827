// Vector B1 and the shape tests of wallet-and-bonds.md §7/§10.
import { describe, expect, it } from 'vitest';
import { bondValue, bondValueInt, YEAR_SECONDS } from '../../../src/wallet/bond-value.js';

const B1: [string, number, number, number, number, number][] = [
  ['1-year lock, at confirmation', 100000000, 1672531200, 1704067200, 1672531200, 107840156.0211312],
  ['same, half-way', 100000000, 1672531200, 1704067200, 1688169600, 107840156.0211312],
  ['3-year lock, 1 month after expiry', 100000000, 1672531200, 1767225600, 1769904000, 442820884.7216165],
  ['1-year lock, 2 years after expiry', 100000000, 1672531200, 1704067200, 1767225600, 0],
  ['0.5 BTC to 2026-02', 50000000, 1749945600, 1769904000, 1756684800, 24076851.28852806],
  ['3 BTC 10000-year lock (cap)', 300000000, 0, 315569520000, 0, 104774990743.03195],
  ['5 BTC 1 year', 500000000, 1704067200, 1735689600, 1704067200, 876996424.3727975],
  ['6 BTC 1 year', 600000000, 1704067200, 1735689600, 1704067200, 1111561362.8068542],
];

describe('B1 bond values (r=0.015, x=1.3)', () => {
  it.each(B1)('%s', (_name, amountSat, confirmTime, locktime, now, expected) => {
    const v = bondValue({ amountSat, confirmTime, locktime, now });
    // exact: the printed REF float is the shortest repr of the same double
    expect(v).toBe(expected);
    console.log(`bond value ${_name}: ${v}`);
  });
  it('NG integer form truncates', () => {
    expect(bondValueInt({ amountSat: 100000000, confirmTime: 1672531200, locktime: 1704067200, now: 1672531200 })).toBe(107840156);
    expect(bondValue({ amountSat: 100000000n, confirmTime: 1672531200, locktime: 1704067200, now: 1672531200 })).toBe(107840156.0211312);
  });
  it('locktime <= confirmation time gives 0; bad input throws', () => {
    expect(bondValue({ amountSat: 1e8, confirmTime: 1700000000, locktime: 1700000000, now: 1600000000 })).toBe(0);
    expect(bondValue({ amountSat: 1e8, confirmTime: 1700000000, locktime: 1690000000, now: 1600000000 })).toBe(0);
    expect(() => bondValue({ amountSat: Number.NaN, confirmTime: 0, locktime: 1, now: 0 })).toThrow(RangeError);
    expect(() => bondValue({ amountSat: -1, confirmTime: 0, locktime: 1, now: 0 })).toThrow(RangeError);
  });
});

describe('shape (REF test_calculate_timelocked_fidelity_bond_value, r=0.01)', () => {
  const r = 0.01;
  const conf = 1_600_000_000;
  const v = (lockYears: number, nowYears: number, amount = 1e8) =>
    bondValue({ amountSat: amount, confirmTime: conf, locktime: conf + lockYears * YEAR_SECONDS, now: conf + nowYears * YEAR_SECONDS, interestRate: r });

  it('flat before expiry', () => {
    const first = v(2, 0);
    for (const t of [0.1, 0.5, 1, 1.5, 1.99]) expect(v(2, t)).toBe(first);
  });
  it('strictly decreasing after expiry, reaching 0 once time-since-expiry >= T', () => {
    let prev = v(2, 2);
    for (const t of [2.1, 2.5, 3, 3.5, 3.9]) {
      const cur = v(2, t);
      expect(cur).toBeLessThan(prev);
      prev = cur;
    }
    expect(v(2, 4.01)).toBe(0);
  });
  it('convex in locktime: value ratio grows with longer locks', () => {
    const ratios = [1, 2, 3, 4].map((y) => v(y + 1, 0) / v(y, 0));
    for (const q of ratios) expect(q).toBeGreaterThan(1);
    expect(v(2, 0) / v(1, 0)).toBeGreaterThan(2);
  });
  it('flat beyond ~70 years at r=1% (cap a=1)', () => {
    expect(v(200, 0)).toBe(v(300, 0));
    expect(v(1000, 0)).toBe(Math.pow(1e8, 1.3));
    expect(v(60, 0)).toBeLessThan(v(200, 0));
  });
});
