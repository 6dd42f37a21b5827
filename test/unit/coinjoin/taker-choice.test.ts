import { describe, expect, it } from 'vitest';
import {
  cheapestPerMaker,
  chooseMakers,
  DEFAULT_FEE_LIMITS,
  distinctMakers,
  fidelityBondWeightedChoose,
  filterOffers,
  keepsTakerChange,
  netFee,
  sweepAmount,
  takerChange,
  totalCjFee,
  withinFeeLimits,
  type OrderbookEntry,
} from '../../../src/protocol/coinjoin/taker-choice.js';
import type { Offer } from '../../../src/protocol/offers.js';
import { parsedOffer as offer, scriptedRng as seq } from './helpers.js';

const entry = (counterparty: string, o: Offer, bondValue = 0): OrderbookEntry => ({ counterparty, offer: o, bondValue });

describe('filterOffers (coinjoin §9)', () => {
  const book = [
    entry('A', offer('sw0reloffer', '0 100000 2000000 0 0.00002')),
    entry('B', offer('sw0absoffer', '0 100000 1000000 0 300')),
    entry('C', offer('swreloffer', '0 100000 2000000 0 0.00002')),
    entry('D', offer('sw0absoffer', '0 100000 2000000 0 50000')),
  ];
  it('REF range is strict; NG inclusive; legacy types excluded', () => {
    expect(filterOffers(book, { amount: 1_000_000 }).map((e) => e.counterparty)).toEqual(['A', 'D']);
    expect(filterOffers(book, { amount: 1_000_000, range: 'inclusive' }).map((e) => e.counterparty)).toEqual(['A', 'B', 'D']);
    expect(filterOffers(book, { amount: 100_000 }).map((e) => e.counterparty)).toEqual([]);
  });
  it('ignored makers are dropped', () => {
    expect(filterOffers(book, { amount: 1_000_000, ignored: new Set(['A']) }).map((e) => e.counterparty)).toEqual(['D']);
  });
  it('an offer over the limit of its kind is never kept (absolute: sats, relative: rate)', () => {
    const limits = { abs: 30_000, rel: { num: 2n, den: 100_000n } }; // 30,000 sat; 0.002 %
    expect(filterOffers(book, { amount: 1_000_000, feeLimits: limits }).map((e) => e.counterparty)).toEqual(['A']);
    expect(filterOffers(book, { amount: 1_000_000, feeLimits: { ...limits, abs: 50_000 } }).map((e) => e.counterparty)).toEqual(['A', 'D']);
    expect(filterOffers(book, { amount: 1_000_000, feeLimits: { ...limits, rel: { num: 1n, den: 100_000n } } }).map((e) => e.counterparty)).toEqual([]);
  });
  it('the defaults (500 sat, 0.1 %) refuse an absurd absolute or relative fee at any amount', () => {
    const absurd = [entry('X', offer('sw0absoffer', '0 27300 900000000 0 5000000')), entry('Y', offer('sw0reloffer', '0 27300 900000000 0 0.5'))];
    const fair = [entry('A', offer('sw0absoffer', '0 27300 900000000 0 500')), entry('B', offer('sw0reloffer', '0 27300 900000000 0 0.001'))];
    for (const amount of [30_000, 30_000_000, 800_000_000]) {
      expect(filterOffers([...absurd, ...fair], { amount, feeLimits: DEFAULT_FEE_LIMITS }).map((e) => e.counterparty)).toEqual(['A', 'B']);
    }
    expect(withinFeeLimits(offer('sw0absoffer', '0 27300 9000000 0 501'), DEFAULT_FEE_LIMITS)).toBe(false);
    expect(withinFeeLimits(offer('sw0reloffer', '0 27300 9000000 0 0.0010001'), DEFAULT_FEE_LIMITS)).toBe(false);
  });
});

describe('cheapestPerMaker', () => {
  it('keeps the lowest net fee per counterparty', () => {
    const a0 = entry('A', offer('sw0reloffer', '0 27300 9000000 0 0.0001'));
    const a1 = entry('A', offer('sw0absoffer', '1 27300 9000000 0 50'));
    const b0 = entry('B', offer('sw0absoffer', '0 27300 9000000 10 60'));
    expect(cheapestPerMaker([a0, a1, b0], 1_000_000)).toEqual([a1, b0]);
    expect(cheapestPerMaker([a0, a1, b0], 100_000)).toEqual([a0, b0]); // 0.0001 × 1e5 = 10 < 50
    expect(netFee(b0.offer, 1)).toBe(50n);
  });
});

describe('fidelity-bond weighted choice', () => {
  const o = offer('sw0absoffer', '0 27300 9000000 0 100');
  const pool = [entry('A', o, 0), entry('B', o, 1), entry('C', o, 3)];
  it('below the allowance: uniform over all offers, bondless included', () => {
    expect(fidelityBondWeightedChoose(pool, seq(0.1, 0.0), 0.125).counterparty).toBe('A');
  });
  it('otherwise ∝ bond value among bonded offers', () => {
    expect(fidelityBondWeightedChoose(pool, seq(0.5, 0.24), 0.125).counterparty).toBe('B'); // 0.96 < 1
    expect(fidelityBondWeightedChoose(pool, seq(0.5, 0.26), 0.125).counterparty).toBe('C'); // 1.04 ≥ 1
  });
  it('falls back to uniform when nobody has a bond', () => {
    const bondless = [entry('A', o), entry('B', o)];
    expect(fidelityBondWeightedChoose(bondless, seq(0.9, 0.99), 0.125).counterparty).toBe('B');
  });
  it('chooseMakers picks distinct makers and fails when too few', () => {
    const r = chooseMakers([...pool, entry('C', offer('sw0absoffer', '1 27300 9000000 0 5'), 3)], 3, seq(0.9, 0.9, 0.9, 0.9, 0.9, 0.5));
    expect(r.ok && r.value.map((e) => e.counterparty)).toEqual(['C', 'B', 'A']);
    expect(chooseMakers(pool, 4, seq()).ok).toBe(false);
  });
  it('nicks proving one bond are one maker: never two of them in a round', () => {
    const shared = 'ab'.repeat(32) + ':0';
    const book = [{ ...entry('D1', o, 50), bondKey: shared }, { ...entry('D2', o, 0), bondKey: shared }, entry('A', o)];
    expect(distinctMakers(book)).toBe(2);
    expect(chooseMakers(book, 3, seq()).ok ? 'chosen' : 'refused').toBe('refused');
    const firsts = new Set<string>();
    for (const r of [0.0, 0.6, 0.99]) {
      // first slot uniform over all three (D1, D2, A by r), second slot whatever is left
      const c = chooseMakers(book, 2, seq(0.1, r, 0.9, r));
      const nicks = c.ok ? c.value.map((e) => e.counterparty) : [];
      firsts.add(nicks[0]!);
      expect(nicks).toContain('A');
      expect(nicks.filter((n) => n.startsWith('D'))).toHaveLength(1);
    }
    expect([...firsts].sort()).toEqual(['A', 'D1', 'D2']);
  });
});

describe('taker fee arithmetic', () => {
  const rel = offer('sw0reloffer', '0 27300 9000000 500 0.00002');
  const abs = offer('sw0absoffer', '0 27300 9000000 300 250');
  it('Σ real_cjfee and taker change', () => {
    expect(totalCjFee([rel, abs], 5_000_000)).toBe(350n);
    // 6,000,000 − 5,000,000 − 350 − max(0, 3000 − 800)
    expect(takerChange(6_000_000, 5_000_000, [rel, abs], 3000)).toBe(997_450n);
    // maker contributions exceed the total fee → taker pays no miner fee
    expect(takerChange(6_000_000, 5_000_000, [rel, abs], 500)).toBe(999_650n);
  });
  it('keeps change only above 2730 sat', () => {
    expect(keepsTakerChange(2730n)).toBe(false);
    expect(keepsTakerChange(2731n)).toBe(true);
  });
  it('sweep amount leaves zero change (exact rationals, half-even)', () => {
    const amount = sweepAmount(10_000_000, 2_000, [rel, abs]);
    // (10,000,000 − 2,000 − 250) / 1.00002 = 9,997,550.049
    expect(amount).toBe(9_997_550n);
    const change = 10_000_000n - amount - totalCjFee([rel, abs], Number(amount)) - 2_000n;
    expect(change).toBe(0n);
  });
});
