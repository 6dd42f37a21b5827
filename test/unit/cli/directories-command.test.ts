import { describe, expect, it } from 'vitest';
import { printable, renderCheckTable } from '../../../src/cli/directories-command.js';
import type { DirectoryCheck } from '../../../src/client/directory-check.js';

const base: DirectoryCheck = {
  id: 'x.onion:5222', host: 'x.onion', port: 5222, reachable: true, ok: true, connectMs: 12_345, handshakeMs: 800, error: null,
  dnNick: 'J5xxxxxxxxxxxxxx', network: 'mainnet', motd: 'line one\n\u001b]0;pwned\u0007line two\u009b', features: ['nick_auth', 'peerlist_features', 'ping'],
  nickAuth: { offered: true, verified: true, error: null }, peers: { total: 40, serving: 12 }, peerlistError: null,
};

describe('directories check table', () => {
  it('never passes control characters from a directory to the terminal', () => {
    expect(printable('a\u001b[2Jb\r\nc\u0085d', 100)).toBe('a [2Jb c d');
    expect(printable('x'.repeat(10), 5)).toBe('xxxx…');
    const out = renderCheckTable([base, { ...base, id: 'y.onion:5222', ok: false, error: 'rejected: \u001b[31mgo away', handshakeMs: null, motd: null, peers: null }]);
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(out).toContain('line one ]0;pwned line two');
  });

  it('shows each column', () => {
    const [, , row, down, unreachable, refOk, hostile] = renderCheckTable([
      base,
      { ...base, id: 'down', ok: false, error: 'no handshake reply within 60000 ms', handshakeMs: null, motd: null, features: [], peers: null, nickAuth: { offered: null, verified: false, error: null } },
      { ...base, id: 'gone', reachable: false, ok: false, error: 'connect failed: HostUnreachable', connectMs: null, handshakeMs: null, motd: null, peers: null },
      { ...base, id: 'ref', features: [], nickAuth: { offered: false, verified: false, error: null }, peers: null, connectMs: 900 },
      { ...base, id: 'bad', ok: false, error: 'hostile directory: wrong directory-id', handshakeMs: null, motd: null, features: [], peers: null, nickAuth: { offered: true, verified: false, error: 'wrong directory-id' } },
    ]).split('\n');
    expect(hostile).toMatch(/^bad\s+hostile directory: wrong directory-id\s+12\.3 s\s+-\s+-\s+failed\s+-\s+-$/);
    expect(row).toMatch(/^x\.onion:5222\s+ok\s+12\.3 s\s+800 ms\s+40 \(12 serving\)\s+verified\s+nick_auth,peerlist_features,ping\s+line one/);
    expect(down).toMatch(/^down\s+no handshake reply within 60000 ms\s+12\.3 s\s+-\s+-\s+-\s+-\s+-$/);
    expect(unreachable).toMatch(/^gone\s+unreachable: connect failed: HostUnreachable\s+-\s+-/);
    expect(refOk).toMatch(/^ref\s+ok\s+900 ms\s+800 ms\s+n\/a\s+no\s+-\s+line one/);
  });
});
