// One fidelity bond counts once: the rule the taker and the watcher share.
import { describe, expect, it } from 'vitest';
import { bondWeights, type BondClaim } from '../../../src/protocol/coinjoin/bond-weights.js';

const B = 'aa'.repeat(32) + ':1';
const C = 'cc'.repeat(32) + ':0';
const claim = (nick: string, outpoint: string | null, value: number, certExpiry = 10): BondClaim => ({ nick, outpoint, value, certExpiry });

describe('bondWeights', () => {
  it('gives a shared bond to one nick; the others weigh 0 and name the winner', () => {
    const w = bondWeights([claim('J5b', B, 1e9), claim('J5a', B, 1e9), claim('J5c', C, 5e8), claim('J5d', null, 0)]);
    expect(w.get('J5a')).toEqual({ weight: 1e9, outpoint: B, duplicateOf: null });
    expect(w.get('J5b')).toEqual({ weight: 0, outpoint: B, duplicateOf: 'J5a' });
    expect(w.get('J5c')).toEqual({ weight: 5e8, outpoint: C, duplicateOf: null });
    expect(w.get('J5d')).toEqual({ weight: 0, outpoint: null, duplicateOf: null });
  });
  it('the later certificate wins before the nick order; the result does not depend on arrival order', () => {
    const claims = [claim('J5a', B, 1e9, 10), claim('J5z', B, 1e9, 11), claim('J5m', B, 1e9, 11)];
    const expected = bondWeights(claims);
    expect(expected.get('J5m')!.duplicateOf).toBeNull();
    expect(expected.get('J5z')!.duplicateOf).toBe('J5m');
    expect(expected.get('J5a')!.duplicateOf).toBe('J5m');
    for (const order of [[2, 1, 0], [1, 0, 2], [0, 2, 1]]) {
      expect(bondWeights(order.map((i) => claims[i]!))).toEqual(expected);
    }
  });
  it('non-finite or negative values weigh 0', () => {
    const w = bondWeights([claim('J5a', B, Number.POSITIVE_INFINITY), claim('J5b', C, -1)]);
    expect([w.get('J5a')!.weight, w.get('J5b')!.weight]).toEqual([0, 0]);
  });
});
