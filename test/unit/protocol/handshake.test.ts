import { describe, expect, it } from 'vitest';
import {
  buildClientHandshake, buildDirectoryHandshake, enabledFeatures, parseClientHandshake, parseDirectoryHandshake,
} from '../../../src/protocol/handshake.js';
import { encodeEnvelope, parseEnvelope } from '../../../src/protocol/framing.js';
import { readCapture, readHandshakeVariants } from '../../helpers/wire-fixtures.js';

const V2 = '{"type": 793, "line": "{\\"app-name\\": \\"joinmarket\\", \\"directory\\": false, \\"location-string\\": \\"NOT-SERVING-ONION\\", \\"proto-ver\\": 5, \\"features\\": {}, \\"nick\\": \\"J5D7wbEWpGZCy3Zv\\", \\"network\\": \\"mainnet\\"}"}';
const V3 = '{"type": 795, "line": "{\\"app-name\\": \\"joinmarket\\", \\"directory\\": true, \\"proto-ver-min\\": 5, \\"proto-ver-max\\": 5, \\"features\\": {}, \\"accepted\\": true, \\"nick\\": \\"J58siV5gCJuQWAQf\\", \\"network\\": \\"mainnet\\", \\"motd\\": \\"Default MOTD, replace with information for the directory.\\"}"}';

describe('handshakes', () => {
  it('V2: builds the reference client handshake byte for byte', () => {
    const line = buildClientHandshake({ nick: 'J5D7wbEWpGZCy3Zv', location: 'NOT-SERVING-ONION', network: 'mainnet' });
    expect(encodeEnvelope(793, line)).toBe(V2 + '\r\n');
    const p = parseClientHandshake(line);
    expect(p.ok && p.value.nick).toBe('J5D7wbEWpGZCy3Zv');
  });

  it('V3: builds the reference directory handshake byte for byte', () => {
    const line = buildDirectoryHandshake({
      nick: 'J58siV5gCJuQWAQf', network: 'mainnet', accepted: true,
      motd: 'Default MOTD, replace with information for the directory.',
    });
    expect(encodeEnvelope(795, line)).toBe(V3 + '\r\n');
    const p = parseDirectoryHandshake(line);
    expect(p.ok && p.value.accepted).toBe(true);
  });

  it('V5: ng features are emitted sorted', () => {
    const line = buildClientHandshake({
      nick: 'J5D7wbEWpGZCy3Zv', location: 'NOT-SERVING-ONION', network: 'mainnet',
      features: { ping: true, peerlist_features: true, neutrino_compat: true },
    });
    expect(line).toContain('"features": {"neutrino_compat": true, "peerlist_features": true, "ping": true}');
  });

  it('puts location-string where rs does when given', () => {
    const line = buildDirectoryHandshake({ nick: 'J5x', network: 'testnet', accepted: false, motd: 'm', location: '127.0.0.1:5222', features: { ping: true } });
    expect(line.startsWith('{"app-name": "joinmarket", "directory": true, "location-string": "127.0.0.1:5222", "proto-ver-min": 5')).toBe(true);
  });

  it('only literal true features count', () => {
    expect(enabledFeatures({ ping: true, peerlist_features: 'yes', zeta: 1, Bad: true, a_1: true })).toEqual(['a_1', 'ping']);
  });

  it('refuses malformed client handshakes with a reason', () => {
    const bad = [
      ['not json', 'not JSON'],
      ['{"app-name": "joinmarket"}', 'directory'],
      ['{"app-name": "joinmarket", "directory": false, "location-string": "x", "proto-ver": "5", "features": {}, "nick": "n", "network": "mainnet"}', 'proto-ver'],
      ['{"app-name": "joinmarket", "directory": false, "location-string": "x", "proto-ver": 5, "features": [], "nick": "n", "network": "mainnet"}', 'features'],
    ] as const;
    for (const [line, why] of bad) {
      const r = parseClientHandshake(line);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toContain(why);
    }
  });

  it('parses every captured handshake', () => {
    let n = 0;
    for (const file of ['scenario-wire.txt', 'ng-interop-wire.txt']) {
      for (const rec of readCapture(file)) {
        const p = parseEnvelope(rec.bytes.toString().split('\r\n')[0]!);
        if (!p.ok) throw new Error(p.reason);
        if (p.env.type === 793) {
          const h = parseClientHandshake(p.env.line);
          expect(h.ok).toBe(true);
          if (h.ok) {
            // Our builder reproduces the reference client's bytes exactly.
            expect(buildClientHandshake({ nick: h.value.nick, location: h.value['location-string'], network: h.value.network })).toBe(p.env.line);
          }
          n++;
        } else if (p.env.type === 795) {
          const h = parseDirectoryHandshake(p.env.line);
          expect(h.ok).toBe(true);
          if (h.ok && Object.keys(h.value.features).length === 0) {
            expect(buildDirectoryHandshake({ nick: h.value.nick, network: h.value.network, accepted: h.value.accepted, motd: h.value.motd ?? '' })).toBe(p.env.line);
          }
          n++;
        }
      }
    }
    const variants = readHandshakeVariants('handshake-variants-reference-dn.txt');
    expect(variants).toHaveLength(11);
    expect(n).toBeGreaterThanOrEqual(8);
  });
});
