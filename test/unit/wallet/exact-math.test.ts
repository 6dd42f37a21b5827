// Correctly rounded exp/pow used by bondValue (wallet-and-bonds.md §7); expected values are
// CPython 3 (glibc) results, the arithmetic REF and NG run on.
import { describe, expect, it } from 'vitest';
import { expExact, powExact } from '../../../src/wallet/exact-math.js';

describe('exact exp/pow', () => {
  it.each([
    [97149830.12611595, 24192160728.15132], [45254753.0265014, 8961144054.26251],
    [195280342.26102164, 59959235367.93544], [21730886.927826542, 3453032672.560638],
    [160764601.75612476, 46563708065.72647], [109706675.70808674, 28333679175.83039],
    [17399678.374413118, 2586447019.4846034], [152230720.44939035, 43376348903.086624],
  ])('%f ** 1.3 matches CPython', (b, want) => expect(powExact(b, 1.3)).toBe(want));
  it.each([
    [-0.9250086831160302, 0.3965279759616199], [-0.13270863267522826, 0.875720211195468],
    [-0.8602891528507621, 0.42303974148376505], [-0.8185739733122699, 0.44106016983275087],
    [-0.15096162171497207, 0.8598806987725051], [0.6537042493440761, 1.9226496281269558],
  ])('exp(%f) matches CPython', (x, want) => expect(expExact(x)).toBe(want));
  it('agrees with correctly rounded primitives and edge cases', () => {
    expect(expExact(1)).toBe(Math.E);
    expect(powExact(2, 0.5)).toBe(Math.SQRT2);
    expect(powExact(10, 3)).toBe(1000);
    expect(powExact(0, 1.3)).toBe(0);
    expect(powExact(5, 0)).toBe(1);
    expect(expExact(0)).toBe(1);
    const x = 1234567.891;
    expect(powExact(x, 2)).toBe(x * x);
  });
  it('is where Math.pow is 1 ulp off (B1 case 5)', () => {
    const base = 50000000 * 0.009531990560912362;
    expect(powExact(base, 1.3)).toBe(24076851.28852806);
  });
});
