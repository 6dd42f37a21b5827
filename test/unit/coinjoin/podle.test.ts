import { describe, expect, it } from 'vitest';
import {
  checkPodleUtxo,
  generatePodle,
  getNums,
  parseRevelation,
  podleCommitment,
  pubkeyOwnsScript,
  serializeRevelation,
  verifyPodle,
  type PodleProof,
} from '../../../src/protocol/coinjoin/podle.js';
import { bytesToHex, hexToBytes, sha256 } from '../../../src/protocol/crypto.js';
import { ripemd160 } from '@noble/hashes/legacy.js';

const NUMS: Array<[number, string]> = [
  [0, '0296f47ec8e6d6a9c3379c2ce983a6752bcfa88d46f2a6ffe0dd12c9ae76d01a1f'],
  [1, '023f9976b86d3f1426638da600348d96dc1f1eb0bd5614cc50db9e9a067c0464a2'],
  [2, '023745b000f6db094a794d9ee08637d714393cd009f86087438ac3804e929bfe89'],
  [3, '023346660dcb1f8d56e44d23f93c3ad79761cdd5f4972a638e9e15517832f6a165'],
  [4, '02ec91c86964dcbb077c8193156f3cfa91476d5adfcfcf64913a4b082c75d5bca7'],
  [5, '02bbc5c4393395a38446e2bd4d638b7bfd864afb5ffaf4bed4caf797df0e657434'],
  [6, '02967efd39dc59e6f060bf3bd0080e8ecf4a22b9d1754924572b3e51ce2cde2096'],
  [7, '02cfce8a7f9b8a1735c4d827cd84e3f2a444de1d1f7ed419d23c88d72de341357f'],
  [8, '0206d6d6b1d88936bb6013ae835716f554d864954ea336e3e0141fefb2175b82f9'],
  [9, '021b739f21b981c2dcbaf9af4d89223a282939a92aee079e94a46c273759e5b42e'],
  [100, '02aacc3145d04972d0527c4458629d328219feda92bef6ef6025878e3a252e105a'],
  [255, '02a0a8694820c794852110e5939a2c03f8482f81ed57396042c6b34557f6eb430a'],
];

describe('NUMS points (coinjoin §6.1, §6.5)', () => {
  it.each(NUMS)('J%i', (i, hex) => {
    expect(bytesToHex(getNums(i))).toBe(hex);
  });
  it('refuses indices outside 0..255', () => {
    expect(() => getNums(256)).toThrow(RangeError);
    expect(() => getNums(-1)).toThrow(RangeError);
    expect(() => getNums(1.5)).toThrow(RangeError);
  });
});

const x = new Uint8Array(32).fill(1);
const utxo0 = '00'.repeat(32) + ':0';
const V1 = {
  P: '031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f',
  P2: '0263c89959c452d2310684bc07b9f39d9f4d08a641e28e7ee0e6f69a27bc75dcbd',
  C: '0699ef3695ee2050f6d0cfcdb8ef0b49d118d6b0b0bc9f56c8621639ad05bec6',
  s: '4ef60eba328882679d63eccebc463b7e98683b846344181ff754ed77c95ca5af',
  e: 'b643f3799fb7a793c95c5500e8395cdeabe87ddeffa22e9bf203b427e953c3e4',
};
const V1_REVEAL = `${utxo0}|${V1.P}|${V1.P2}|${V1.s}|${V1.e}`;

function v1(): PodleProof {
  const r = parseRevelation(V1_REVEAL);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

describe('proof vector 1 (NG deterministic nonce)', () => {
  it('parses the revelation and verifies at index 0', () => {
    expect(verifyPodle(v1(), hexToBytes(V1.C))).toEqual({ ok: true, value: { index: 0 } });
  });
  it('our prover yields the same P, P2 and commitment for x = 01×32', () => {
    const p = generatePodle(x, utxo0, 0, new Uint8Array(32).fill(7));
    expect(bytesToHex(p.P)).toBe(V1.P);
    expect(bytesToHex(p.P2)).toBe(V1.P2);
    expect(bytesToHex(podleCommitment(p.P2))).toBe(V1.C);
  });
  it('serialises back to the spec revelation', () => {
    expect(serializeRevelation(v1())).toBe(V1_REVEAL);
  });
});

describe('proof vector 2 (index 1, nonce 02×32)', () => {
  const p = generatePodle(x, utxo0, 1, new Uint8Array(32).fill(2));
  it('reproduces P2, C, s, e exactly', () => {
    expect(bytesToHex(p.P2)).toBe('02093d32054514aa300b518be1661b4c54b5e4dd919522fec0c09cc3849beafb39');
    expect(bytesToHex(podleCommitment(p.P2))).toBe('366203d2921240e0ca2d1505840138bed9ceb81738dffac6f2fecefae6c55a4f');
    expect(bytesToHex(p.s)).toBe('84c0d52bb7b2448d52eaf49c80bf9c7d26ad360a4c8e0a97337043a8566d66be');
    expect(bytesToHex(p.e)).toBe('53134c1a3e905762d3d8d35d3ee0f4d95dad93e9332b2aeb3666868c62048868');
  });
  it('verifies with indices {0,1,2} at 1 and fails with {0}', () => {
    const c = podleCommitment(p.P2);
    expect(verifyPodle(p, c, [0, 1, 2])).toEqual({ ok: true, value: { index: 1 } });
    expect(verifyPodle(p, c, [0]).ok).toBe(false);
  });
  it('a proof at index 3 is refused by the default range', () => {
    const p3 = generatePodle(x, utxo0, 3, new Uint8Array(32).fill(2));
    expect(verifyPodle(p3, podleCommitment(p3.P2)).ok).toBe(false);
    expect(verifyPodle(p3, podleCommitment(p3.P2), [3]).ok).toBe(true);
  });
});

describe('tampered proofs are refused', () => {
  const C = hexToBytes(V1.C);
  const flip = (b: Uint8Array, i = 31): Uint8Array => {
    const c = b.slice();
    c[i] = (c[i] ?? 0) ^ 1;
    return c;
  };
  it('P', () => expect(verifyPodle({ ...v1(), P: flip(v1().P) }, C).ok).toBe(false));
  it('P2 (commitment no longer matches)', () => {
    expect(verifyPodle({ ...v1(), P2: flip(v1().P2) }, C)).toEqual({ ok: false, reason: 'commitment does not match P2' });
  });
  it('P2 with a matching commitment', () => {
    const P2 = hexToBytes('02093d32054514aa300b518be1661b4c54b5e4dd919522fec0c09cc3849beafb39');
    expect(verifyPodle({ ...v1(), P2 }, podleCommitment(P2)).ok).toBe(false);
  });
  it('s', () => expect(verifyPodle({ ...v1(), s: flip(v1().s) }, C).ok).toBe(false));
  it('e', () => expect(verifyPodle({ ...v1(), e: flip(v1().e) }, C).ok).toBe(false));
  it('commitment', () => expect(verifyPodle(v1(), flip(C)).ok).toBe(false));
  it('s = 0 and s ≥ n', () => {
    expect(verifyPodle({ ...v1(), s: new Uint8Array(32) }, C)).toEqual({ ok: false, reason: 's out of range' });
    expect(verifyPodle({ ...v1(), s: new Uint8Array(32).fill(0xff) }, C)).toEqual({ ok: false, reason: 's out of range' });
  });
  it('utxo: swapping in a utxo owned by another key fails the script binding', () => {
    // The proof does not cover the utxo string; step 7 (P owns the script) does.
    const other = generatePodle(new Uint8Array(32).fill(9), utxo0, 0, new Uint8Array(32).fill(2));
    const otherScript = hexToBytes('0014' + bytesToHex(ripemd160(sha256(other.P))));
    expect(pubkeyOwnsScript(other.P, otherScript)).toBe(true);
    expect(checkPodleUtxo({ confirmations: 9, valueSats: 1e6, scriptPubKey: otherScript }, v1().P, 1e6)).toEqual({
      ok: false,
      reason: 'P does not own the commitment utxo script',
    });
  });
});

describe('parseRevelation', () => {
  const bad: Array<[string, string]> = [
    ['4 parts', `${utxo0}|${V1.P}|${V1.P2}|${V1.s}`],
    ['6 parts', `${V1_REVEAL}|00`],
    ['extended utxo', `${utxo0}:0014ab:800000|${V1.P}|${V1.P2}|${V1.s}|${V1.e}`],
    ['short P', `${utxo0}|${V1.P.slice(2)}|${V1.P2}|${V1.s}|${V1.e}`],
    ['non-hex s', `${utxo0}|${V1.P}|${V1.P2}|${'zz'.repeat(32)}|${V1.e}`],
    ['long e', `${utxo0}|${V1.P}|${V1.P2}|${V1.s}|${V1.e}00`],
  ];
  it.each(bad)('refuses %s', (_n, text) => expect(parseRevelation(text).ok).toBe(false));
  it('an invalid point parses but fails verification', () => {
    const r = parseRevelation(`${utxo0}|02${'00'.repeat(32)}|${V1.P2}|${V1.s}|${V1.e}`);
    expect(r.ok).toBe(true);
    const v = r.ok ? verifyPodle(r.value, hexToBytes(V1.C)) : null;
    expect(v?.ok === false && v.reason).toMatch(/valid compressed point/);
  });
});

describe('checkPodleUtxo (§6.3 steps 5–7)', () => {
  const P = hexToBytes(V1.P);
  const p2wpkh = hexToBytes('0014' + '79b000887626b294a914501a4cd226b58b235983');
  it('accepts an owned, aged, large-enough P2WPKH utxo', () => {
    expect(pubkeyOwnsScript(P, p2wpkh)).toBe(true);
    expect(checkPodleUtxo({ confirmations: 5, valueSats: 200_000, scriptPubKey: p2wpkh }, P, 1_000_000)).toEqual({ ok: true, value: true });
  });
  it('refuses too few confirmations', () => {
    expect(checkPodleUtxo({ confirmations: 4, valueSats: 1e6, scriptPubKey: p2wpkh }, P, 1_000_000).ok).toBe(false);
  });
  it('refuses a value below 20% of the amount', () => {
    expect(checkPodleUtxo({ confirmations: 9, valueSats: 199_999, scriptPubKey: p2wpkh }, P, 1_000_000).ok).toBe(false);
  });
  it('refuses a script P does not own', () => {
    expect(checkPodleUtxo({ confirmations: 9, valueSats: 1e6, scriptPubKey: hexToBytes('0014' + '11'.repeat(20)) }, P, 1e6).ok).toBe(false);
  });
  it('recognises P2SH-P2WPKH and P2PKH of P', () => {
    expect(pubkeyOwnsScript(P, hexToBytes('a914' + '27f7b1d97b04ec10e77d4b1527dbb8c9f92c54b5' + '87'))).toBe(true);
    expect(pubkeyOwnsScript(P, hexToBytes('76a914' + '79b000887626b294a914501a4cd226b58b235983' + '88ac'))).toBe(true);
  });
});

describe('generatePodle input checks', () => {
  it('refuses bad key, nonce, utxo and index', () => {
    expect(() => generatePodle(new Uint8Array(32), utxo0, 0, x)).toThrow(/private key/);
    expect(() => generatePodle(x, utxo0, 0, new Uint8Array(32))).toThrow(/nonce/);
    expect(() => generatePodle(x, 'nope', 0, x)).toThrow(/utxo/);
    expect(() => generatePodle(x, utxo0, 256, x)).toThrow(RangeError);
  });
});
