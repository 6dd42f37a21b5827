import { describe, expect, it } from 'vitest';
import { LineFuzzer, MUTATIONS, fuzzCorpus, generateLines } from '../../../bench/attack/fuzz-lines.js';
import { fixtureLines } from '../../helpers/wire-fixtures.js';

const corpus = fuzzCorpus(fixtureLines());

describe('fuzz-lines', () => {
  it('reads the fixtures as seeds: envelopes, handshakes and nicks', () => {
    expect(corpus.lines.length).toBeGreaterThan(60);
    expect(corpus.handshakes.length).toBeGreaterThan(10);
    expect(corpus.nicks).toContain('J55E1XKyi1UBzSc8');
  });

  it('is deterministic per seed and differs between seeds', () => {
    const a = [...generateLines(7, 500, corpus)];
    const b = [...generateLines(7, 500, corpus)];
    const c = [...generateLines(8, 500, corpus)];
    expect(Buffer.concat(a).equals(Buffer.concat(b))).toBe(true);
    expect(Buffer.concat(a).equals(Buffer.concat(c))).toBe(false);
  });

  it('uses every mutation, puts our nicks in routed lines, and sometimes exceeds the limit', () => {
    const f = new LineFuzzer(1, corpus, { nicks: ['J5ourNickOOOOOOO'], oversizeRate: 0.01 });
    const seen = new Set<string>();
    let ours = 0;
    let over = 0;
    for (let i = 0; i < 20_000; i++) {
      const b = f.next();
      seen.add(f.lastMutation);
      if (f.lastMutation === 'routed' && b.includes('J5ourNickOOOOOOO!')) ours++;
      if (f.lastMutation === 'oversize') {
        expect(b.length).toBeGreaterThan(40_000);
        over++;
      }
    }
    expect([...seen].sort()).toEqual([...MUTATIONS].sort());
    expect(ours).toBeGreaterThan(100);
    expect(over).toBeGreaterThan(50);
  });

  it('can be limited to some mutations', () => {
    const f = new LineFuzzer(3, corpus, { only: ['routed', 'spacing'] });
    for (let i = 0; i < 200; i++) {
      f.next();
      expect(['routed', 'spacing']).toContain(f.lastMutation);
    }
    expect(() => new LineFuzzer(3, corpus, { only: [] })).toThrow(/no mutation/);
  });

  it('needs seed lines', () => {
    expect(() => fuzzCorpus([])).toThrow(/no seed lines/);
  });
});
