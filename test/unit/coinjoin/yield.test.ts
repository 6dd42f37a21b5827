import { describe, expect, it } from 'vitest';
import {
  DEFAULT_YIELD_CONFIG,
  candidateMixdepths,
  cjOutputMixdepth,
  cliMinsize,
  createBasicOffers,
  createPrivacyEnhancedOffers,
  makerChange,
  pickInputMixdepth,
  requiredMakerInput,
  uniform,
  type YieldConfig,
} from '../../../src/protocol/coinjoin/yield.js';
import { formatOffer, parseOffer, type Offer } from '../../../src/protocol/offers.js';
import { scriptedRng as seq } from './helpers.js';

const balances = [0, 5_000_000, 200_000, 0, 0];
const cfg = (over: Partial<YieldConfig>): YieldConfig => ({ ...DEFAULT_YIELD_CONFIG, ...over });
const only = (r: ReturnType<typeof createBasicOffers>): Offer => {
  if (!r.ok) throw new Error(r.reason);
  if (r.value.length !== 1) throw new Error(`expected one offer, got ${r.value.length}`);
  return r.value[0] as Offer;
};

describe('privacy-enhanced create_my_orders (coinjoin §8.1)', () => {
  it('draws txfee, minsize, maxsize, cjfee in that order and formats rel fee with 6 decimals', () => {
    // txfee U(70,130)@.1 = 76; minsize U(90k,110k)@.2 = 94000;
    // maxsize U(0.9P, P)@.3 with P = 5e6 − 27300 = 4,972,700 → 4,624,611;
    // cjfee U(0.000018, 0.000022)@.4 = 0.0000196 → "0.000020"; then txfee 76 halves to 1 (< 0.00002 × 94000 = 1.88).
    const o = only(createPrivacyEnhancedOffers(balances, cfg({ txfee: 100 }), seq(0.1, 0.2, 0.3, 0.4)));
    expect(formatOffer(o)).toBe('sw0reloffer 0 94000 4624611 1 0.000020');
  });
  it('abs offer: randomised fee plus the txfee contribution', () => {
    const o = only(createPrivacyEnhancedOffers(balances, cfg({ ordertype: 'absoffer', txfee: 100 }), seq(0.5, 0.5, 0.5, 0.5)));
    expect(formatOffer(o)).toBe('sw0absoffer 0 100000 4724065 100 600');
  });
  it('minsize is floored to 27300', () => {
    const o = only(createPrivacyEnhancedOffers(balances, cfg({ minsize: 28_000 }), seq(0.5, 0.0, 0.5, 0.5)));
    expect(o.minsize).toBe(27_300);
  });
  it('no mixdepth above minsize → no offers', () => {
    expect(createPrivacyEnhancedOffers([100_000, 50_000], cfg({}), seq())).toEqual({ ok: true, value: [] });
  });
  it('gives up after 20 halvings when the fee rounds to zero', () => {
    const r = createPrivacyEnhancedOffers(balances, cfg({ cjfeeR: '0.0000001', txfee: 1000 }), seq(0.5, 0.5, 0.5, 0.5));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/20 halvings/);
  });
  it('refuses minsize above maxsize', () => {
    const r = createPrivacyEnhancedOffers([0, 200_000], cfg({ minsize: 150_000 }), seq(0.5, 0.9, 0.0, 0.5));
    expect(!r.ok && r.reason).toMatch(/above maxsize/);
  });
  it('refuses an rng outside [0,1)', () => {
    expect(() => uniform(() => 1, 0, 1)).toThrow(RangeError);
  });
});

describe('basic yield generator', () => {
  it('rel: exact config values, minsize raised to the 1.5·txfee/cjfee floor', () => {
    const o = only(createBasicOffers(balances, cfg({ txfee: 3 })));
    // 1.5 × 3 / 0.00002 = 225,000 > 100,000
    expect(formatOffer(o)).toBe('sw0reloffer 0 225000 4972700 3 0.00002');
  });
  it('abs: cjfee includes the txfee contribution', () => {
    expect(formatOffer(only(createBasicOffers(balances, cfg({ ordertype: 'absoffer', txfee: 40_000 }))))).toBe(
      'sw0absoffer 0 100000 4960000 40000 40500',
    );
  });
  it('cliMinsize: max(int(1.2·txfee/cjfee_r), minsize)', () => {
    expect(cliMinsize(cfg({ txfee: 3 }))).toEqual({ ok: true, value: 180_000 });
    expect(cliMinsize(cfg({ txfee: 0 }))).toEqual({ ok: true, value: 100_000 });
    expect(cliMinsize(cfg({ cjfeeR: '0' })).ok).toBe(false);
  });
});

describe('oid_to_order helpers', () => {
  const rel = parseOffer('sw0reloffer', '0 27300 5000000 100 0.0002'.split(' '));
  if (!rel.ok) throw new Error(rel.reason);
  it('required = amount + txfee + 27300 + 1 − real_cjfee', () => {
    expect(requiredMakerInput(rel.value, 1_000_000)).toBe(1_000_000n + 100n + 27_300n + 1n - 200n);
  });
  it('candidates and change', () => {
    expect(candidateMixdepths([100, 1_027_201, 0, 2_000_000], 1_027_201n)).toEqual([1, 3]);
    expect(makerChange(rel.value, 1_000_000, 1_100_000)).toBe(100_100n);
  });
  it.each([
    [[0, 1, 3], 0],
    [[1, 2], 1],
    [[0, 4], 4],
    [[3, 1, 0], 0],
  ])('privacy mixdepth choice %j → %i (N = 5)', (cands, want) => {
    expect(pickInputMixdepth(cands, 5, 'privacy')).toBe(want);
  });
  it('basic picks the lowest; none → null; cj goes to the next mixdepth', () => {
    expect(pickInputMixdepth([3, 1], 5, 'basic')).toBe(1);
    expect(pickInputMixdepth([], 5, 'privacy')).toBeNull();
    expect(cjOutputMixdepth(4, 5)).toBe(0);
    expect(cjOutputMixdepth(1, 5)).toBe(2);
  });
});
