import { describe, expect, it } from 'vitest';
import { chunkPeerlist, encodePeerEntry, encodePeerlist, parsePeerlist } from '../../../src/protocol/peerlist.js';
import { formatLocation, isValidOnionV3Host, onionHostFromPubkey, parseLocation } from '../../../src/protocol/onion.js';

const RS_ONION = '2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion';

describe('peerlists (V6)', () => {
  it('encodes present, disconnected and featured entries', () => {
    expect(encodePeerEntry({ nick: 'J5m', location: 'a.onion:5222' })).toBe('J5m;a.onion:5222');
    expect(encodePeerEntry({ nick: 'J5t', location: 'NOT-SERVING-ONION', disconnected: true, features: ['ping'] }, true)).toBe('J5t;NOT-SERVING-ONION;D');
    expect(encodePeerEntry({ nick: 'J5m', location: 'a.onion:5222', features: ['ping', 'neutrino_compat', 'peerlist_features'] }, true))
      .toBe('J5m;a.onion:5222;F:neutrino_compat+peerlist_features+ping');
    expect(encodePeerEntry({ nick: 'J5m', location: 'a.onion:5222', features: ['ping'] }, false)).toBe('J5m;a.onion:5222');
  });

  it('parses the reference and ng forms', () => {
    const ng = 'J5maker;m.onion:5222;F:neutrino_compat+peerlist_features+ping,J5watch;NOT-SERVING-ONION;F:peerlist_features+ping';
    expect(parsePeerlist(ng)).toEqual([
      { nick: 'J5maker', location: 'm.onion:5222', disconnected: false, features: ['neutrino_compat', 'peerlist_features', 'ping'] },
      { nick: 'J5watch', location: 'NOT-SERVING-ONION', disconnected: false, features: ['peerlist_features', 'ping'] },
    ]);
    expect(parsePeerlist('J5taker;NOT-SERVING-ONION;D,J5dn;d.onion:5222')[0]?.disconnected).toBe(true);
    expect(parsePeerlist('')).toEqual([]);
    expect(parsePeerlist('garbage,J5a;x:1')).toHaveLength(1);
    expect(encodePeerlist(['a;b', 'c;d'])).toBe('a;b,c;d');
  });

  it('chunks at 20 entries and always yields at least one line', () => {
    const entries = Array.from({ length: 45 }, (_, i) => `J5n${i};NOT-SERVING-ONION`);
    const chunks = chunkPeerlist(entries);
    expect(chunks.map((c) => c.split(',').length)).toEqual([20, 20, 5]);
    expect(chunkPeerlist([])).toEqual(['']);
    const big = chunkPeerlist(Array.from({ length: 10 }, () => 'x'.repeat(100)), 20, 350);
    expect(big.every((c) => c.length <= 350)).toBe(true);
  });
});

describe('onion addresses', () => {
  it('validates checksum, version and alphabet', () => {
    expect(isValidOnionV3Host(RS_ONION)).toBe(true);
    expect(isValidOnionV3Host(RS_ONION.replace('2gzy', '2gzz'))).toBe(false);
    expect(isValidOnionV3Host(RS_ONION.toUpperCase())).toBe(false);
    expect(isValidOnionV3Host('abc.onion')).toBe(false);
    const host = onionHostFromPubkey(new Uint8Array(32).fill(7));
    expect(host).toHaveLength(62);
    expect(isValidOnionV3Host(host)).toBe(true);
  });

  it('parses locations per policy', () => {
    expect(parseLocation(`${RS_ONION}:5222`, { allowLoopback: false })).toEqual({ kind: 'onion', host: RS_ONION, port: 5222 });
    expect(parseLocation('NOT-SERVING-ONION', { allowLoopback: false })).toEqual({ kind: 'not-serving' });
    expect(parseLocation('127.0.0.1:8082', { allowLoopback: false })).toBeNull();
    expect(parseLocation('127.0.0.1:8082', { allowLoopback: true })).toEqual({ kind: 'loopback', host: '127.0.0.1', port: 8082 });
    for (const bad of ['', 'garbage', `${RS_ONION}:0`, `${RS_ONION}:65536`, `${RS_ONION}:`, ':5222', '10.0.0.1:80']) {
      expect(parseLocation(bad, { allowLoopback: true }), bad).toBeNull();
    }
    expect(formatLocation({ kind: 'loopback', host: '127.0.0.1', port: 1 })).toBe('127.0.0.1:1');
  });
});
