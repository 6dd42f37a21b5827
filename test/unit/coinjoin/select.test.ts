import { describe, expect, it } from 'vitest';
import { selectUtxos, type MergeAlgorithm } from '../../../src/protocol/coinjoin/select.js';

const us = (...vs: number[]): Array<{ id: number; valueSats: number }> => vs.map((valueSats, id) => ({ id, valueSats }));
const values = (r: Array<{ valueSats: number }> | null): number[] | null => (r ? r.map((u) => u.valueSats) : null);

describe('merge algorithms (coinjoin §8.1)', () => {
  const pool = us(10, 20, 30, 60, 200);
  it('default: smallest single ≥ target, else largest first', () => {
    expect(values(selectUtxos(pool, 50, 'default'))).toEqual([60]);
    expect(values(selectUtxos(pool, 250, 'default'))).toEqual([200, 60]);
  });
  it('gradual: ascending run of smaller ones, trimmed from the small end', () => {
    // low = 10,20,30,60 (all < 70): run 10+20+30+60 = 120 ≥ 70; drop 10 (110), drop 20 (90), not 30 (60 < 70)
    expect(values(selectUtxos(pool, 70, 'gradual'))).toEqual([30, 60]);
    // smaller ones sum 120 < 150 → the smallest ≥ 150
    expect(values(selectUtxos(pool, 150, 'gradual'))).toEqual([200]);
  });
  it('greedy: smallest covering prefix, then dilution', () => {
    // prefix 10,20,30,60 overshoots 70 at 60 (excess 50); walking back: skip 30 (excess 20), skip 20 (0), 10 is needed
    expect(values(selectUtxos(pool, 70, 'greedy'))).toEqual([60, 10]);
    expect(values(selectUtxos(pool, 60, 'greedy'))).toEqual([10, 20, 30]); // exact prefix match
    expect(values(selectUtxos(pool, 5, 'greedy'))).toEqual([10]);
  });
  it('greediest: whole ascending prefix of smaller ones', () => {
    expect(values(selectUtxos(pool, 70, 'greediest'))).toEqual([10, 20, 30, 60]);
    expect(values(selectUtxos(pool, 150, 'greediest'))).toEqual([200]);
  });
  it.each<MergeAlgorithm>(['default', 'gradual', 'greedy', 'greediest'])('%s: null when funds are short, always covers otherwise', (algo) => {
    expect(selectUtxos(pool, 321, algo)).toBeNull();
    for (const t of [1, 29, 61, 199, 201, 320]) {
      const r = selectUtxos(pool, t, algo);
      expect(r && r.reduce((s, u) => s + u.valueSats, 0)).toBeGreaterThanOrEqual(t);
    }
    expect(() => selectUtxos(pool, 0, algo)).toThrow(RangeError);
  });
});
