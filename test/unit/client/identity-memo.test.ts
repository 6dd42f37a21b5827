import { describe, expect, it } from 'vitest';
import { NickIdentity } from '../../../src/client/identity.js';
import { hexToBytes } from '../../../src/protocol/crypto.js';
import { buildSignedPrivmsg } from '../../../src/protocol/jm-message.js';

describe('NickIdentity.signPrivmsg', () => {
  it('reuses the signature of repeated args: byte-identical to signing afresh, for every recipient', () => {
    const key = hexToBytes('07'.repeat(32));
    const id = NickIdentity.fromPrivateKey(key);
    const offer = '0 100000 2972700 1000 0.0002';
    for (const to of ['J5aaaaaaaaaaaaaa', 'J5bbbbbbbbbbbbbb', 'J5aaaaaaaaaaaaaa']) {
      expect(id.signPrivmsg(to, 'sw0reloffer', offer)).toBe(buildSignedPrivmsg(id.nick, to, 'sw0reloffer', offer, key));
    }
    for (let i = 0; i < 40; i++) id.signPrivmsg('J5cccccccccccccc', 'pubkey', `${i}`.padStart(64, '0')); // past the memo's size
    expect(id.signPrivmsg('J5dddddddddddddd', 'sw0absoffer', offer)).toBe(buildSignedPrivmsg(id.nick, 'J5dddddddddddddd', 'sw0absoffer', offer, key));
    const long = 'x'.repeat(5_000);
    expect(id.signPrivmsg('J5dddddddddddddd', 'tx', long)).toBe(buildSignedPrivmsg(id.nick, 'J5dddddddddddddd', 'tx', long, key));
  });
});
