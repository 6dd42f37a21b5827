import { describe, expect, it } from 'vitest';
import { AgeMap } from '../../../src/util/age-map.js';

describe('AgeMap', () => {
  it('keeps insertion order; set makes an entry the newest; shift removes the oldest', () => {
    const m = new AgeMap<string, number>();
    m.set('a', 1).set('b', 2).set('c', 3);
    m.set('a', 4); // touched: now newest
    m.delete('b');
    expect([...m.entries()]).toEqual([['c', 3], ['a', 4]]);
    expect(m.oldest()).toEqual(['c', 3]);
    expect(m.shift()).toEqual(['c', 3]);
    expect([m.size, m.get('a'), m.has('c')]).toEqual([1, 4, false]);
    expect(m.shift()).toEqual(['a', 4]);
    expect(m.shift()).toBeUndefined();
  });

  it('agrees with a reference model over a long run of touches, deletes and evictions', () => {
    const m = new AgeMap<number, number>();
    const model: number[] = []; // keys, oldest first
    let seed = 7;
    const rnd = (n: number): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
    for (let i = 0; i < 50_000; i++) {
      const k = rnd(3_000);
      const op = rnd(10);
      if (op < 6) {
        m.set(k, i);
        const at = model.indexOf(k);
        if (at >= 0) model.splice(at, 1);
        model.push(k);
      } else if (op < 8) {
        m.delete(k);
        const at = model.indexOf(k);
        if (at >= 0) model.splice(at, 1);
      } else {
        expect(m.shift()?.[0]).toBe(model.shift());
      }
      if (m.size > 1_000) expect(m.shift()?.[0]).toBe(model.shift());
    }
    expect([...m.entries()].map(([k]) => k)).toEqual(model);
  });
});
