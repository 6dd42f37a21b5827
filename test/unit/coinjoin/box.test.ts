import { describe, expect, it } from 'vitest';
import {
  decryptMessage,
  encryptMessage,
  makeBox,
  naclKeyPairFromSecret,
  parseNaclPublicKeyHex,
  randomNaclKeyPair,
} from '../../../src/protocol/coinjoin/box.js';
import { bytesToHex, fromBase64, toBase64 } from '../../../src/protocol/crypto.js';

const alice = naclKeyPairFromSecret(new Uint8Array(32).fill(1));
const bob = naclKeyPairFromSecret(new Uint8Array(32).fill(2));
const nonce = Uint8Array.from({ length: 24 }, (_, i) => i);

describe('NaCl box (coinjoin §5 vector)', () => {
  it('derives the spec public keys', () => {
    expect(alice.publicKeyHex).toBe('a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209');
    expect(bob.publicKeyHex).toBe('ce8d3ad1ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d59');
  });

  it('randomNaclKeyPair (platform X25519) makes the keys tweetnacl derives from the same secret', () => {
    for (let i = 0; i < 50; i++) {
      const k = randomNaclKeyPair();
      expect(naclKeyPairFromSecret(k.secretKey).publicKeyHex).toBe(k.publicKeyHex);
      expect(k.publicKey).toHaveLength(32);
    }
    const k = randomNaclKeyPair();
    const msg = encryptMessage(makeBox(k.secretKey, bob.publicKey), 'hello', nonce);
    expect(decryptMessage(makeBox(bob.secretKey, k.publicKey), msg)).toEqual({ ok: true, value: 'hello' });
  });

  it('shared key equals crypto_box_beforenm and is symmetric', () => {
    const want = '18a99320f3488fa18a04239715d8ee738065e65c3d4b2898522d6c3d4ead588c';
    expect(bytesToHex(makeBox(alice.secretKey, bob.publicKey).sharedKey)).toBe(want);
    expect(bytesToHex(makeBox(bob.secretKey, alice.publicKey).sharedKey)).toBe(want);
  });

  it('encrypts alice→bob to the exact vector and bob decrypts it', () => {
    const b64 = encryptMessage(makeBox(alice.secretKey, bob.publicKey), 'joinmarket interop test vector v1', nonce);
    expect(b64).toBe('AAECAwQFBgcICQoLDA0ODxAREhMUFRYXNsWQRjEz9owxpAD6yw50Q4ig6q33UJRd3CJYrqLoYoq0o1ySxsS/UnclOFZPYszK9w==');
    expect(bytesToHex(fromBase64(b64) ?? new Uint8Array())).toBe(
      '000102030405060708090a0b0c0d0e0f101112131415161736c590463133f68c31a400facb0e744388a0eaadf750945ddc2258aea2e8628ab4a35c92c6c4bf52772538564f62cccaf7',
    );
    expect(decryptMessage(makeBox(bob.secretKey, alice.publicKey), b64)).toEqual({
      ok: true,
      value: 'joinmarket interop test vector v1',
    });
  });
});

describe('worked encrypted !ioauth (coinjoin §12)', () => {
  const plaintext =
    '0000000000000000000000000000000000000000000000000000000000000001:0 0330d54fd0dd420a6e5f8d3624f5f3482cae350f79d5f0753bf5beef9c2d91af3c bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el MEQCIEhtxYilNIJjdq93QsRo6/V++RI67HdNu953OaUDPu4NAiBbouVXjKKTB1gkusxkIYWOkNg8VgfqW2YOV3kJ3Z+euQ==';
  const wire =
    'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXpewbS4y+oMHM+LnJc60mY9L/s/OqAdYGiWZI9/ysN8jr40zWk4f7QjFwaxIQINyM9l31uGikJuGLtu145Ji/yPWZwXLms1t7RkafOU+1u/cZv7g+MbuakEWrAufdCABH3FGYVMfnBsoIYKRH/n7xgeyfp/3jmpQysgEE9pNYABBl5PagU+EbwoOclpc0MuCGkmezJuGfZd92Y2xzP4t3/f2+8HhQJIDuf3cS8WwbBUvleOoflpxIpXSRQQSrp2KQ97r8t77vmPQW680p1CBub4xPpB4g3XUJoxoSX6qhnxLlnOViaez0OAsQ1y9BkENq+t+yRiUmkLIYMZFlphMD35Mwbgr3RCL04EgSNTHN/ipTHJA64DjN2jqhGM38e1WiFT3Tyb8bK+K6+8Xm8llwnVryXxqFBmCMcJuNoqtiyMB6gPqaliP+Dcww7zg=';
  const makerBox = makeBox(bob.secretKey, alice.publicKey);
  const takerBox = makeBox(alice.secretKey, bob.publicKey);

  it('maker encrypts to the vector', () => {
    expect(encryptMessage(makerBox, plaintext, nonce)).toBe(wire);
  });
  it('taker decrypts the vector', () => {
    expect(decryptMessage(takerBox, wire)).toEqual({ ok: true, value: plaintext });
  });
  it('refuses a flipped ciphertext byte, a wrong key, short and non-base64 input', () => {
    const raw = fromBase64(wire) ?? new Uint8Array();
    raw[40] = (raw[40] ?? 0) ^ 1;
    expect(decryptMessage(takerBox, toBase64(raw)).ok).toBe(false);
    const eve = naclKeyPairFromSecret(new Uint8Array(32).fill(3));
    expect(decryptMessage(makeBox(eve.secretKey, bob.publicKey), wire).ok).toBe(false);
    expect(decryptMessage(takerBox, toBase64(new Uint8Array(39)))).toEqual({ ok: false, reason: 'ciphertext too short' });
    expect(decryptMessage(takerBox, 'not base64!').ok).toBe(false);
  });
});

describe('parseNaclPublicKeyHex', () => {
  it('accepts 64 hex (any case) and refuses other lengths or non-hex', () => {
    expect(parseNaclPublicKeyHex(alice.publicKeyHex.toUpperCase()).ok).toBe(true);
    expect(parseNaclPublicKeyHex(alice.publicKeyHex.slice(2)).ok).toBe(false);
    expect(parseNaclPublicKeyHex('zz' + alice.publicKeyHex.slice(2)).ok).toBe(false);
  });
  it('encryptMessage refuses a bad nonce length', () => {
    expect(() => encryptMessage(makeBox(alice.secretKey, bob.publicKey), 'x', new Uint8Array(23))).toThrow(RangeError);
  });
});
