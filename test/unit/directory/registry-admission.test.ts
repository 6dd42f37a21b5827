import { describe, expect, it } from 'vitest';
import { PeerRegistry, locationKey } from '../../../src/directory/peer-registry.js';
import { admit } from '../../../src/directory/admission.js';
import { fakePeer } from './fakes.js';

const ONION = 'p'.repeat(56) + '.onion';
const LIMITS = { maxPeers: 3, duplicateProbeAfterMs: 60_000, duplicateReplaceAfterMs: 600_000 };

describe('PeerRegistry', () => {
  it('keeps nick and location maps and a dense list in O(1), swapping on removal', () => {
    const r = new PeerRegistry();
    const a = fakePeer('A', { location: '127.0.0.1:1' });
    const b = fakePeer('B');
    const c = fakePeer('C', { location: '127.0.0.1:3' });
    r.add(a);
    r.add(b);
    r.add(c);
    expect(r.size).toBe(3);
    expect(r.makers).toBe(2);
    expect(r.takers).toBe(1);
    expect(r.byNick('B')).toBe(b);
    expect(r.byLocationKey('127.0.0.1:3')).toBe(c);
    expect(r.remove(a)).toBe(true);
    expect(r.peers).toEqual([c, b]);
    expect(c.registryIndex).toBe(0);
    expect(r.remove(a)).toBe(false);
    expect(r.byNick('A')).toBeUndefined();
    expect(r.byLocationKey('127.0.0.1:1')).toBeUndefined();
    expect(r.makers).toBe(1);
  });

  it('a non-serving peer that announced an offer counts as a maker until it leaves', () => {
    const r = new PeerRegistry();
    const a = fakePeer('A', { location: '127.0.0.1:1' });
    const b = fakePeer('B');
    r.add(a);
    r.add(b);
    expect([r.makers, r.takers]).toEqual([1, 1]);
    r.markOfferer(b);
    r.markOfferer(b);
    r.markOfferer(a); // already a maker
    expect([r.makers, r.takers]).toEqual([2, 0]);
    r.remove(b);
    expect([r.makers, r.takers]).toEqual([1, 0]);
    r.add(b); // re-registered (e.g. displaced and back): still an offerer
    expect([r.makers, r.takers]).toEqual([2, 0]);
  });

  it('location keys: onion host ignores the port, loopback keeps it, not-serving has none', () => {
    expect(locationKey({ kind: 'onion', host: ONION, port: 5222 })).toBe(ONION);
    expect(locationKey({ kind: 'loopback', host: 'localhost', port: 8080 })).toBe('127.0.0.1:8080');
    expect(locationKey({ kind: 'not-serving' })).toBe('');
  });
});

describe('admission', () => {
  it('accepts a fresh nick and refuses beyond maxPeers', () => {
    const r = new PeerRegistry();
    expect(admit(r, 'A', '', 0, LIMITS)).toEqual({ kind: 'accept', replace: [], displaced: 0 });
    for (const n of ['A', 'B', 'C']) r.add(fakePeer(n));
    expect(admit(r, 'D', '', 0, LIMITS)).toEqual({ kind: 'reject', reason: 'Maximum peers reached', probe: [] });
  });

  it('a live holder of the nick wins', () => {
    const r = new PeerRegistry();
    const a = fakePeer('A', { features: ['ping'] });
    r.add(a);
    expect(admit(r, 'A', '', 59_999, LIMITS)).toEqual({ kind: 'reject', reason: 'nick already in use: A', probe: [] });
  });

  it('a quiet probe-able holder is probed (once) and the newcomer refused for now', () => {
    const r = new PeerRegistry();
    const a = fakePeer('A', { features: ['ping'] });
    r.add(a);
    expect(admit(r, 'A', '', 60_000, LIMITS)).toEqual({ kind: 'reject', reason: 'nick already in use: A', probe: [a] });
    a.probeSentAt = 60_000;
    expect(admit(r, 'A', '', 61_000, LIMITS)).toMatchObject({ kind: 'reject', probe: [] });
  });

  it('a holder that cannot be probed is replaced after long silence only', () => {
    const r = new PeerRegistry();
    const a = fakePeer('A');
    r.add(a);
    expect(admit(r, 'A', '', 599_999, LIMITS).kind).toBe('reject');
    expect(admit(r, 'A', '', 600_000, LIMITS)).toEqual({ kind: 'accept', replace: [a], displaced: 0 });
  });

  it('one nick per serving location', () => {
    const r = new PeerRegistry();
    const a = fakePeer('A', { location: ONION });
    r.add(a);
    expect(admit(r, 'B', ONION, 0, LIMITS)).toEqual({ kind: 'reject', reason: 'location already registered by another nick', probe: [] });
    expect(admit(r, 'B', '', 0, LIMITS).kind).toBe('accept');
  });
});

describe('admission with nick authentication', () => {
  const K1 = '02' + '11'.repeat(32);
  const K2 = '03' + '22'.repeat(32);

  it('a verified claim displaces an unverified holder of the nick or (proofs off) the location; never the other way round', () => {
    const r = new PeerRegistry();
    const a = fakePeer('A', { location: '127.0.0.1:1' });
    r.add(a);
    expect(admit(r, 'A', '', 0, LIMITS, K1)).toEqual({ kind: 'accept', replace: [a], displaced: 1 });
    expect(admit(r, 'B', '127.0.0.1:1', 0, LIMITS, K1)).toEqual({ kind: 'accept', replace: [a], displaced: 1 });
    a.verifiedPubkey = K1;
    expect(admit(r, 'A', '', 0, LIMITS)).toMatchObject({ kind: 'reject', reason: 'nick already in use: A (verified holder)' });
    expect(admit(r, 'B', '127.0.0.1:1', 0, LIMITS, K2)).toMatchObject({ kind: 'reject', reason: 'location already registered by another nick (verified with another key)' });
    // A newer proof for the same key replaces its holder (its own reconnection); silence never does.
    expect(admit(r, 'A', '', 0, LIMITS, K1)).toEqual({ kind: 'accept', replace: [a], displaced: 0 });
    expect(admit(r, 'A', '', 3_600_000, LIMITS)).toEqual({ kind: 'reject', reason: 'nick already in use: A (verified holder)', probe: [a] }); // a silent one is probed (evicted if dead), never replaced
  });
});
