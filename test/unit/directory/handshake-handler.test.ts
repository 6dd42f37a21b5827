import { describe, expect, it } from 'vitest';
import { HandshakeHandler, sanitizeMotd } from '../../../src/directory/handshake-handler.js';
import { buildClientHandshake, parseDirectoryHandshake } from '../../../src/protocol/handshake.js';
import { onionHostFromPubkey } from '../../../src/protocol/onion.js';

const NICK = 'J5Eyj1Ai6o6SLeAO';
const ONION = onionHostFromPubkey(new Uint8Array(32).fill(7));
const mk = (allowLoopback: boolean): HandshakeHandler =>
  new HandshakeHandler({ network: 'testnet', allowLoopback, nick: 'J5dnNickOOOOOOOO', version: '1.2.3', operatorMotd: 'hi\u0007 there' });
const hs = (o: Record<string, unknown>): string =>
  JSON.stringify({ 'app-name': 'joinmarket', directory: false, 'location-string': 'NOT-SERVING-ONION', 'proto-ver': 5, features: {}, nick: NICK, network: 'testnet', ...o });

describe('HandshakeHandler', () => {
  it('accepts reference and ng handshakes, keeping only features that are literally true', () => {
    const h = mk(false);
    const r = h.validate(buildClientHandshake({ nick: NICK, location: `${ONION}:5222`, network: 'testnet', features: { ping: true, peerlist_features: true } }));
    expect(r).toMatchObject({ ok: true, location: { kind: 'onion', host: ONION, port: 5222 }, features: ['peerlist_features', 'ping'] });
    expect(h.validate(hs({ features: { ping: 'yes', zeta: true } }))).toMatchObject({ ok: true, features: ['zeta'] });
  });

  it.each([
    [{ 'app-name': 'JoinMarket' }, 'wrong app-name "JoinMarket"'],
    [{ directory: true }, 'peer claims to be a directory'],
    [{ 'proto-ver': 4 }, 'unsupported proto-ver 4 (need 5)'],
    [{ network: 'mainnet' }, 'wrong network "mainnet" (directory is testnet)'],
    [{ nick: 'notanick' }, 'invalid nick "notanick"'],
    [{ 'location-string': '' }, 'invalid location-string ""'],
    [{ 'location-string': '127.0.0.1:8080' }, 'invalid location-string "127.0.0.1:8080"'],
    [{ 'location-string': 'abc.onion:5222' }, 'invalid location-string "abc.onion:5222"'],
    [{ 'proto-ver': '5' }, /^invalid handshake: proto-ver: /],
    [{ nick: 'J5dnNickOOOOOOOO' }, 'nick already in use: J5dnNickOOOOOOOO'],
    [{ features: { nested: { a: 1 } } }, /^invalid handshake: features/],
  ])('rejects %j in onion mode', (field, reason) => {
    const r = mk(false).validate(hs(field));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason instanceof RegExp ? reason : new RegExp(`^${reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  });

  it('loopback mode accepts 127.0.0.1:port and localhost:port', () => {
    expect(mk(true).validate(hs({ 'location-string': '127.0.0.1:8080' }))).toMatchObject({ ok: true, location: { kind: 'loopback', port: 8080 } });
    expect(mk(true).validate(hs({ 'location-string': 'localhost:8081' })).ok).toBe(true);
    expect(mk(true).validate('not json').ok).toBe(false);
  });

  it('builds replies in the reference field order with our features and MOTD banner', () => {
    const h = mk(true);
    h.setLocation('127.0.0.1:5222');
    const acc = h.accepted();
    expect(h.accepted()).toBe(acc); // serialised once
    const line = JSON.parse(acc.toString('utf8')) as { type: number; line: string };
    expect(line.type).toBe(795);
    expect(line.line).toBe(
      '{"app-name": "joinmarket", "directory": true, "proto-ver-min": 5, "proto-ver-max": 5, "features": {"peerlist_features": true, "ping": true}, "accepted": true, "nick": "J5dnNickOOOOOOOO", "network": "testnet", "motd": "DIRECTORY NODE: 127.0.0.1:5222\\nJOINMARKET VERSION: joinmarket-ts/1.2.3\\nhi there"}',
    );
    const rej = parseDirectoryHandshake((JSON.parse(h.rejected('wrong network').toString('utf8')) as { line: string }).line);
    expect(rej).toMatchObject({ ok: true, value: { accepted: false, motd: 'Rejected: wrong network' } });
    h.setLocation('x.onion:5222');
    expect(h.accepted()).not.toBe(acc);
  });

  it('sanitises the operator MOTD to printable ASCII and newlines, 512 chars', () => {
    expect(sanitizeMotd('a\tb\nc\u00e9' + 'x'.repeat(600))).toHaveLength(512);
    expect(sanitizeMotd('a\tb\nc\u00e9')).toBe('ab\nc');
  });
});
