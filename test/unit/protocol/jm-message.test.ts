import { describe, expect, it } from 'vitest';
import { hexToBytes } from '../../../src/protocol/crypto.js';
import {
  buildPubmsg, buildSignedPrivmsg, checkPrivmsg, parsePrivmsgBody, splitRouted, verifyPrivmsg, verifyPrivmsgFast, type SignedPrivmsg,
} from '../../../src/protocol/jm-message.js';
import { fromBase64, toBase64 } from '../../../src/protocol/crypto.js';
import { toHighS } from '../../helpers/signatures.js';
import { parseEnvelope, LineSplitter } from '../../../src/protocol/framing.js';
import { readCapture } from '../../helpers/wire-fixtures.js';

const K1 = hexToBytes('01'.repeat(32));
const V8 = 'J5D7wbEWpGZCy3Zv!J58siV5gCJuQWAQf!sw0reloffer 0 27300 5000000 0 0.00002 031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f MEQCIFHrPdLzgGPxiM8KPI+HYz++nP3xXX9q/DrR7mzSG+xlAiBPocaiuTlbaIU3FJYR1ZPo3ZGA0f4hz7/DzPFxvlSRjg==';
const V9_PROOF = '/zBFAiEAwKlQY5bXfQjnl25aww3J6+Es94gcsx4ZkDx+dbBgUDgCIDzsvM+artK5/GcRQa+w+3+FjRCbqZHpD3/NYrckmv05//8wRAIgY67aN+62TUwZkne0r8aVA/aeRAJaEK5Nb3JasCLvqEsCIDwbyO/ytyQsd0oVnzenUwVhKnQKlpP+cejJirW5gPg5ApcvTtFA1wCAcwd+jj5B+gRgTVJcqCFfb+Yn0hs5A/yCwgECZmYAM34fQin5dXBRARFHSO6NLv95OPqxmgNTYbK3O+eqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqgAAAAAAuVVp';
const V9 = `J5D7wbEWpGZCy3Zv!J58siV5gCJuQWAQf!sw0reloffer 0 27300 5000000 0 0.00002!sw0absoffer 1 27300 5000000 0 250!tbond ${V9_PROOF} 031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f MEQCIFyvFdlDX0lrnQimM19JQnnxLkt+yJmGGI0OTIsydTZ3AiA/LKzEw/81/UqUwdJUc4HEXr3FhamgI4YpltOK+Ffo6A==`;

function parsedLine(line: string): SignedPrivmsg {
  const r = splitRouted(line);
  if (!r) throw new Error('not routed');
  const p = parsePrivmsgBody(r.from, r.to, r.body);
  if (!p.ok) throw new Error(p.reason);
  return p.msg;
}

/** Both verifiers, which must agree. */
function verifyLine(line: string) {
  const m = parsedLine(line);
  const slow = verifyPrivmsg(m);
  expect(verifyPrivmsgFast(m).ok, line).toBe(slow.ok);
  return slow;
}

describe('routed lines', () => {
  it('splits from!to!body and refuses lines without two separators', () => {
    expect(splitRouted('J5a!PUBLIC!orderbook')).toEqual({ from: 'J5a', to: 'PUBLIC', body: 'orderbook' });
    expect(splitRouted('J5a!J5b!fill 0 1!x')).toEqual({ from: 'J5a', to: 'J5b', body: 'fill 0 1!x' });
    for (const bad of ['', 'nobang', 'J5a!PUBLIC', '!J5b!x', 'J5a!!x', 'J5a!J5b!']) expect(splitRouted(bad), bad).toBeNull();
    expect(buildPubmsg('J5a', '!orderbook')).toBe('J5a!PUBLIC!orderbook');
    expect(buildPubmsg('J5a', 'cancel 0!cancel 1')).toBe('J5a!PUBLIC!cancel 0!cancel 1');
  });

});

describe('privmsg signatures', () => {
  it('V8: builds the exact signed single-offer line', () => {
    expect(buildSignedPrivmsg('J5D7wbEWpGZCy3Zv', 'J58siV5gCJuQWAQf', 'sw0reloffer', '0 27300 5000000 0 0.00002', K1)).toBe(V8);
    expect(verifyLine(V8)).toEqual({ ok: true });
  });

  it('V9: the multi-offer reply with a bond verifies; its args cover the later commands', () => {
    expect(V9.length).toBe(612);
    expect(verifyLine(V9)).toEqual({ ok: true });
    const r = splitRouted(V9)!;
    const p = parsePrivmsgBody(r.from, r.to, r.body);
    expect(p.ok && p.msg.args.endsWith(`!tbond ${V9_PROOF}`)).toBe(true);
  });

  it('refuses tampering, wrong nick, missing signature and empty args', () => {
    expect(verifyLine(V8.replace('27300', '27301')).ok).toBe(false);
    expect(verifyLine(V8.replace('J5D7wbEWpGZCy3Zv', 'J58siV5gCJuQWAQf'))).toEqual({ ok: false, reason: 'nick does not match pubkey' });
    expect(verifyLine(V8.replace('031b84', '021b84')).ok).toBe(false);
    expect(verifyLine(V8.replace(/ MEQ\S+$/, ' @@@'))).toEqual({ ok: false, reason: 'signature is not base64' });
    expect(parsePrivmsgBody('a', 'b', 'orderbook').ok).toBe(false);
    expect(parsePrivmsgBody('a', 'b', 'orderbook  pub sig')).toEqual({ ok: false, reason: 'privmsg has empty args' });
    expect(() => buildSignedPrivmsg('a', 'b', 'x', '', K1)).toThrow();
  });

  it('checkPrivmsg refuses on the cheap checks before it spends an ECDSA verification', () => {
    const r = splitRouted(V8)!;
    const p = parsePrivmsgBody(r.from, r.to, r.body);
    if (!p.ok) throw new Error(p.reason);
    const verified: SignedPrivmsg[] = [];
    const verify = (m: SignedPrivmsg) => (verified.push(m), verifyPrivmsg(m));
    const variants: Array<[Partial<SignedPrivmsg>, string]> = [
      [{ pubkeyHex: p.msg.pubkeyHex.toUpperCase() }, 'pubkey is not 66 lowercase hex chars'],
      [{ pubkeyHex: p.msg.pubkeyHex.slice(2) }, 'pubkey is not 66 lowercase hex chars'],
      [{ sigBase64: 'A'.repeat(121) }, 'signature too long'],
      [{ from: 'J58siV5gCJuQWAQf' }, 'nick does not match pubkey'],
    ];
    for (const [change, reason] of variants) expect(checkPrivmsg({ ...p.msg, ...change }, verify)).toEqual({ ok: false, reason });
    expect(verified).toHaveLength(0);
    expect(checkPrivmsg({ ...p.msg, args: `${p.msg.args}1` }, verify).ok).toBe(false);
    expect(checkPrivmsg(p.msg, verify)).toEqual({ ok: true });
    expect(checkPrivmsg(p.msg)).toEqual({ ok: true });
    expect(verified).toHaveLength(2);
  });

  it('the libsecp256k1 verifier: same verdicts, high S accepted after normalising, non-strict DER refused', () => {
    const m = parsedLine(V8);
    expect(verifyPrivmsgFast(m)).toEqual({ ok: true });
    const high = toBase64(toHighS(fromBase64(m.sigBase64)!));
    expect(verifyPrivmsg({ ...m, sigBase64: high })).toEqual({ ok: true });
    expect(verifyPrivmsgFast({ ...m, sigBase64: high })).toEqual({ ok: true });
    const der = fromBase64(m.sigBase64)!;
    const padded = Uint8Array.from([0x30, der[1]! + 1, 0x02, der[3]! + 1, 0x00, ...der.subarray(4)]); // r with a superfluous zero
    expect(verifyPrivmsgFast({ ...m, sigBase64: toBase64(padded) })).toEqual({ ok: false, reason: 'signature is not strict DER' });
    expect(verifyPrivmsgFast({ ...m, args: `${m.args}1` })).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifyPrivmsgFast({ ...m, pubkeyHex: `02${'00'.repeat(32)}` }).ok).toBe(false); // not a curve point
  });

  it('verifies every signed privmsg in the captures', () => {
    let n = 0;
    for (const file of ['scenario-wire.txt', 'ng-interop-wire.txt']) {
      for (const rec of readCapture(file)) {
        for (const ev of new LineSplitter().push(rec.bytes)) {
          if (ev.kind !== 'line') continue;
          const p = parseEnvelope(ev.text);
          if (p.ok && p.env.type === 685) {
            expect(verifyLine(p.env.line), p.env.line).toEqual({ ok: true });
            n++;
          }
        }
      }
    }
    expect(n).toBeGreaterThanOrEqual(8);
  });
});
