import { describe, expect, it } from 'vitest';
import {
  bytesToHex, fromBase64, hexToBytes, isValidPublicKey, messageHash, publicKeyOf, signMessageDer,
  toBase64, tryHex, varint, verifyMessageDer,
} from '../../../src/protocol/crypto.js';
import { isValidNickFormat, nickFromPrivateKey, nickFromPubkeyHex, nickMatchesPubkey } from '../../../src/protocol/nick.js';

const K1 = hexToBytes('01'.repeat(32));

describe('V1: key → pubkey → nick', () => {
  const vectors = [
    ['01'.repeat(32), '031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f', 'J5D7wbEWpGZCy3Zv'],
    ['d2f0b59d89775208dfb3bdfd21bfef8d7242ec93d10e9c8f0d9a9b397bb5dad4', '034cfaf938ec2d11a679fe02ab48c8a8d9b3d49e13f951b000a12c465102431032', 'J58siV5gCJuQWAQf'],
    ['8ed56e249c0ece73931d47f624de4cf5fed7b6250eccd1b9e13202ba81015878', '02975fb752bee6f38875d7ae7594a90913ba9af3c862bb2a3dbd83371a7c2d2f07', 'J5oM7Gg7dGBixDQO'],
  ] as const;
  it.each(vectors)('%s', (priv, pub, nick) => {
    expect(bytesToHex(publicKeyOf(hexToBytes(priv)))).toBe(pub);
    expect(nickFromPubkeyHex(pub)).toBe(nick);
    expect(nickFromPrivateKey(hexToBytes(priv))).toBe(nick);
    expect(isValidNickFormat(nick)).toBe(true);
    expect(nickMatchesPubkey(nick, pub)).toBe(true);
  });

  it('uppercase pubkey hex hashes differently (pitfall 6)', () => {
    expect(nickMatchesPubkey('J5D7wbEWpGZCy3Zv', '031B84C5567B126440995D3ED5AABA0565D71E1834604819FF9C17F5E9D5DD078F')).toBe(false);
  });

  it('rejects malformed nicks', () => {
    for (const n of ['', 'J5short', 'J4D7wbEWpGZCy3Zv', 'J5D7wbEWpGZCy3Z0', 'J5D7wbEWpGZCy3Zv1', 'X5D7wbEWpGZCy3Zv', 'J5OOOOOOOOOOOOOO']) {
      expect(isValidNickFormat(n), n).toBe(false);
    }
  });
});

describe('Bitcoin message signatures (V8)', () => {
  const text = '0 27300 5000000 0 0.00002onion-network';
  it('hashes and signs deterministically, low-S DER', () => {
    expect(bytesToHex(messageHash(text))).toBe('b4dabbdd02ca2569086e41b0f476ef27637c03d64819f00231c8566863c03cff');
    const sig = signMessageDer(text, K1);
    expect(toBase64(sig)).toBe('MEQCIFHrPdLzgGPxiM8KPI+HYz++nP3xXX9q/DrR7mzSG+xlAiBPocaiuTlbaIU3FJYR1ZPo3ZGA0f4hz7/DzPFxvlSRjg==');
    expect(verifyMessageDer(sig, text, publicKeyOf(K1))).toBe(true);
    expect(verifyMessageDer(sig, text + 'x', publicKeyOf(K1))).toBe(false);
  });

  it('verify never throws on garbage', () => {
    expect(verifyMessageDer(new Uint8Array([0x30, 1, 2]), text, publicKeyOf(K1))).toBe(false);
    expect(verifyMessageDer(new Uint8Array(0), text, new Uint8Array(33))).toBe(false);
  });

  it('accepts a high-S signature after normalisation', async () => {
    const { secp256k1 } = await import('@noble/curves/secp256k1.js');
    const low = secp256k1.Signature.fromBytes(signMessageDer(text, K1), 'der');
    const high = new secp256k1.Signature(low.r, secp256k1.Point.CURVE().n - low.s);
    expect(verifyMessageDer(high.toBytes('der'), text, publicKeyOf(K1))).toBe(true);
  });
});

describe('encodings', () => {
  it('varint boundaries', () => {
    expect(bytesToHex(varint(252))).toBe('fc');
    expect(bytesToHex(varint(253))).toBe('fdfd00');
    expect(bytesToHex(varint(256))).toBe('fd0001');
    expect(bytesToHex(varint(65535))).toBe('fdffff');
    expect(bytesToHex(varint(65536))).toBe('fe00000100');
    expect(() => varint(-1)).toThrow();
  });
  it('base64 decodes leniently and refuses non-base64', () => {
    expect(fromBase64('AQID')).toEqual(new Uint8Array([1, 2, 3]));
    expect(fromBase64('AQI')).toEqual(new Uint8Array([1, 2]));
    expect(fromBase64('A!==')).toBeNull();
    expect(fromBase64('A')).toBeNull();
  });
  it('hex helper', () => {
    expect(tryHex('0A0b')).toEqual(new Uint8Array([10, 11]));
    expect(tryHex('0g')).toBeNull();
    expect(tryHex('abc')).toBeNull();
  });
  it('public key validation', () => {
    expect(isValidPublicKey(publicKeyOf(K1))).toBe(true);
    expect(isValidPublicKey(Uint8Array.of(2, ...new Uint8Array(32).fill(0xff)))).toBe(false); // x ≥ p
    expect(isValidPublicKey(Uint8Array.of(4, ...publicKeyOf(K1).subarray(1)))).toBe(false);
    expect(isValidPublicKey(new Uint8Array(32))).toBe(false);
  });
});
