import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, messageHash, publicKeyOf, signDigestDer, toBase64 } from '../../../src/protocol/crypto.js';
import { buildClientHandshake } from '../../../src/protocol/handshake.js';
import {
  buildChallenge, buildProof, buildResult, compactToDer, directoryIdForEndpoint, handshakeSha256, isValidDirectoryId,
  nickAuthMessage, parseChallenge, parseProof, parseResult, parseStrictDer, signNickAuthFast, signNickAuthProof, verifyNickAuthProof,
} from '../../../src/protocol/nick-auth.js';
import { parseFlatJsonObject } from '../../../src/protocol/strict-json.js';
import { SECP_BACKEND } from '../../../src/protocol/secp-fast.js';
import { NOT_SERVING_ONION } from '../../../src/protocol/onion.js';

const K1 = hexToBytes('01'.repeat(32));
const NICK1 = 'J5D7wbEWpGZCy3Zv';
const PUB1 = '031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f';
const LINE = buildClientHandshake({ nick: NICK1, location: NOT_SERVING_ONION, network: 'mainnet', features: { nick_auth: true, peerlist_features: true, ping: true } });
const CH = { challenge: 'ab'.repeat(32), directoryId: 'test:local-directory' };
const V10_PROOF = '{"pubkey":"031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f","signature":"MEQCIEhvJ/D1dk7bxPFRi8J24eahBFmsRUCnVWrVpuNyakRsAiAHzI+8n70iuaW+LzMipu9iJdKq87AyMr711YrTlc6f6A=="}';

function parsed(line: string) {
  const p = parseProof(line);
  if (!p.ok) throw new Error(p.reason);
  return p.value;
}

describe('V10: nick authentication', () => {
  it('hashes the exact handshake line and builds the 256-byte transcript', () => {
    expect(handshakeSha256(LINE)).toBe('2d4f3fb830fa2a0a473bcf6659190dccbc8a8da60463fee7b2ef33982651672b');
    const m = nickAuthMessage(CH.challenge, CH.directoryId, handshakeSha256(LINE), NICK1, PUB1);
    expect(m.length).toBe(256);
    expect(new TextDecoder().decode(m)).toMatch(/^nick-auth\|(ab){32}\|test:local-directory\|2d4f3f[0-9a-f]{58}\|J5D7wbEWpGZCy3Zv\|031b84[0-9a-f]{60}nick-auth-v1$/);
  });

  it('signs the vector byte for byte and verifies it', () => {
    expect(buildProof(signNickAuthProof(K1, CH, LINE, NICK1))).toBe(V10_PROOF);
    expect(buildProof(signNickAuthFast(K1, PUB1, CH, LINE, NICK1))).toBe(V10_PROOF); // native libsecp256k1 where it loads
    expect(verifyNickAuthProof(parsed(V10_PROOF), CH, LINE, NICK1)).toBe('ok');
  });

  it('refuses the proof for another challenge, directory id, handshake line or nick', () => {
    const p = parsed(V10_PROOF);
    expect(verifyNickAuthProof(p, { ...CH, challenge: 'cd'.repeat(32) }, LINE, NICK1)).toBe('invalid');
    expect(verifyNickAuthProof(p, { ...CH, directoryId: 'test:other' }, LINE, NICK1)).toBe('invalid');
    expect(verifyNickAuthProof(p, CH, LINE.replace('", "', '","'), NICK1)).toBe('invalid'); // re-serialised (pitfall 26)
    expect(verifyNickAuthProof(p, CH, LINE, 'J58siV5gCJuQWAQf')).toBe('invalid');
  });

  it('refuses a valid signature by another key claimed for the nick', () => {
    const other = hexToBytes('02'.repeat(32));
    const otherPub = bytesToHex(publicKeyOf(other));
    const digest = messageHash(nickAuthMessage(CH.challenge, CH.directoryId, handshakeSha256(LINE), NICK1, otherPub));
    const sig = toBase64(signDigestDer(digest, other));
    expect(verifyNickAuthProof(parsed(buildProof({ pubkey: otherPub, signature: sig })), CH, LINE, NICK1)).toBe('invalid');
  });

  it('refuses high-S and accepts only strict DER in canonical base64', () => {
    const p = parsed(V10_PROOF);
    const compact = parseStrictDer(p.der)!;
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt('0x' + bytesToHex(compact.subarray(32)));
    const high = Uint8Array.from([...compact.subarray(0, 32), ...hexToBytes((n - s).toString(16).padStart(64, '0'))]);
    const highSig = toBase64(compactToDer(high));
    expect(verifyNickAuthProof(parsed(buildProof({ pubkey: PUB1, signature: highSig })), CH, LINE, NICK1)).toBe('invalid');
    const der = Buffer.from(p.der);
    const padded = Buffer.concat([Buffer.from([0x30, der[1]! + 1, 0x02, der[3]! + 1, 0x00]), der.subarray(4)]); // superfluous zero in r
    expect(parseStrictDer(padded)).toBeNull();
    for (const sig of [p.signature.replace(/=+$/, ''), toBase64(Buffer.concat([der, Buffer.from([0])])), 'not base64!', '']) {
      expect(parseProof(buildProof({ pubkey: PUB1, signature: sig })).ok, sig).toBe(false);
    }
  });

  it('parses strictly: duplicate, missing, extra keys and wrong types are malformed', () => {
    expect(parseProof(V10_PROOF.replace('{"pubkey"', '{"pubkey":"x","pubkey"')).ok).toBe(false);
    expect(parseProof(V10_PROOF.replace('}', ',"x":1}')).ok).toBe(false);
    expect(parseProof('{"pubkey":"' + PUB1 + '"}').ok).toBe(false);
    expect(parseProof(V10_PROOF.replace(PUB1, PUB1.toUpperCase())).ok).toBe(false);
    expect(verifyNickAuthProof(parsed(V10_PROOF.replace(PUB1, '02' + '00'.repeat(32))), CH, LINE, NICK1)).toBe('malformed'); // not on the curve
    expect(parseProof(V10_PROOF + 'x').ok).toBe(false);
    expect(parseProof('[]').ok).toBe(false);
    expect(parseChallenge(buildChallenge(CH))).toEqual({ ok: true, value: CH });
    expect(buildChallenge(CH)).toBe('{"challenge":"' + 'ab'.repeat(32) + '","directory-id":"test:local-directory"}');
    expect(parseChallenge(buildChallenge({ ...CH, challenge: 'AB'.repeat(32) })).ok).toBe(false);
    expect(parseChallenge(buildChallenge({ ...CH, directoryId: 'Upper:case' })).ok).toBe(false);
    expect(buildResult('ok')).toBe('{"code":"ok","verified":true}');
    expect(parseResult('{"code": "invalid", "verified": false}')).toEqual({ ok: true, value: { code: 'invalid', verified: false } });
    expect(parseResult('{"code":"invalid","verified":true}').ok).toBe(false);
    expect(parseResult('{"code":"ok","verified":1}').ok).toBe(false);
    expect(parseResult('{"code":"ok","verified":true,"code":"ok"}').ok).toBe(false);
  });

  it('flat JSON: nested values and trailing commas are refused', () => {
    expect(parseFlatJsonObject('{"a": {"b": 1}}').ok).toBe(false);
    expect(parseFlatJsonObject('{"a": 1,}').ok).toBe(false);
    expect(parseFlatJsonObject(' { "a" : "\\u0041" , "b": null } ')).toEqual({ ok: true, value: new Map<string, unknown>([['a', 'A'], ['b', null]]) });
  });

  it('uses the native libsecp256k1 binding on this platform', () => {
    expect(SECP_BACKEND).toBe(process.platform === 'linux' && process.arch === 'x64' ? 'native' : expect.any(String));
  });

  it('directory ids', () => {
    expect(directoryIdForEndpoint('SATOSHI2vcg5e2ept7tjkzlkpomkobqmgtsjzegg6wipnoajadissead.onion', 5222)).toBe('satoshi2vcg5e2ept7tjkzlkpomkobqmgtsjzegg6wipnoajadissead.onion:5222');
    expect(directoryIdForEndpoint('127.0.0.1', 5222)).toBeNull();
    expect(isValidDirectoryId('127.0.0.1:5222')).toBe(true);
    expect(isValidDirectoryId('-x')).toBe(false);
  });
});
