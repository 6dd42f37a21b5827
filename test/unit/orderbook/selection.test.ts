import { describe, expect, it } from 'vitest';
import { pickChances, satsForWeight, sybilTable, sybilWeightPerMaker } from '../../../src/orderbook/selection.js';

describe('pickChances', () => {
  it('is uniform without bonds and sums to 1', () => {
    const c = pickChances(new Map([['a', 0], ['b', 0], ['c', 0], ['d', 0]]));
    expect([...c.values()]).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('weights bonded makers, leaving the bondless allowance to everyone', () => {
    const c = pickChances(new Map([['a', 3], ['b', 1], ['c', 0], ['d', 0]]), 0.125);
    expect(c.get('a')).toBeCloseTo(0.125 / 4 + 0.875 * 0.75, 12);
    expect(c.get('c')).toBeCloseTo(0.125 / 4, 12);
    expect([...c.values()].reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
  });
});

describe('sybil estimate', () => {
  it('finds the weight giving 95% success for one sybil (w/(w+H) = 0.95 → w = 19H)', () => {
    expect(sybilWeightPerMaker(1, 2, 0.95)).toBeCloseTo(38, 6);
  });

  it('needs more weight per sybil for more makers, and costs grow with makers', () => {
    expect(sybilWeightPerMaker(4, 1)).toBeGreaterThan(sybilWeightPerMaker(2, 1));
    const rows = sybilTable(1e20, 0.015, 1.3);
    expect(rows[1]!.burnedSats).toBeGreaterThan(rows[0]!.burnedSats);
    // Locking for one year costs more coins than burning (a = e^0.015 − 1 < 1).
    expect(rows[0]!.lockedSats['1y']!).toBeGreaterThan(rows[0]!.burnedSats);
  });

  it('inverts the bond value formula', () => {
    const w = Math.pow(1e8 * (Math.exp(0.015) - 1), 1.3);
    expect(satsForWeight(w, 1, 0.015, 1.3)).toBeCloseTo(1e8, 0);
  });
});
