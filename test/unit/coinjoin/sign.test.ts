import { describe, expect, it } from 'vitest';
import { Transaction, networks, payments } from 'bitcoinjs-lib';
import { matchSignature, nonStandardSig, signMakerInputs } from '../../../src/protocol/coinjoin/sign.js';
import { toHighS } from '../../helpers/signatures.js';
import { concatBytes, derSignatureProblem } from '../../../src/protocol/crypto.js';
import { parseSigPlaintext } from '../../../src/protocol/coinjoin/payloads.js';
import { verifyUnsignedTx, type MakerUtxo } from '../../../src/protocol/coinjoin/tx-check.js';
import { hexToBytes, publicKeyOf } from '../../../src/protocol/crypto.js';
import { parseOffer } from '../../../src/protocol/offers.js';

const net = networks.regtest;
const keyA = new Uint8Array(32).fill(0x31);
const keyB = new Uint8Array(32).fill(0x32);
const spk = (priv: Uint8Array): Uint8Array => payments.p2wpkh({ pubkey: publicKeyOf(priv), network: net }).output as Uint8Array;
const addr = (fill: number): string => payments.p2wpkh({ hash: new Uint8Array(20).fill(fill), network: net }).address as string;
const utxos: MakerUtxo[] = [
  { txid: 'a1'.repeat(32), vout: 0, valueSats: 700_000, scriptPubKey: spk(keyA) },
  { txid: 'a2'.repeat(32), vout: 1, valueSats: 400_000, scriptPubKey: spk(keyB) },
];
const offerR = parseOffer('sw0absoffer', '0 27300 5000000 0 300'.split(' '));
if (!offerR.ok) throw new Error(offerR.reason);

function tx(): Transaction {
  const t = new Transaction();
  t.version = 2;
  t.addInput(hexToBytes('70'.repeat(32)), 0, 0xfffffffe);
  t.addInput(hexToBytes(utxos[1]!.txid).reverse(), 1, 0xfffffffe);
  t.addInput(hexToBytes(utxos[0]!.txid).reverse(), 0, 0xfffffffe);
  t.addOutput(payments.p2wpkh({ hash: new Uint8Array(20).fill(0xc1), network: net }).output as Uint8Array, 1_000_000n);
  t.addOutput(payments.p2wpkh({ hash: new Uint8Array(20).fill(0xc2), network: net }).output as Uint8Array, 100_300n);
  return t;
}

describe('maker signing and taker matching (coinjoin §4.8, §7)', () => {
  const check = verifyUnsignedTx(tx(), { utxos, cjAddress: addr(0xc1), changeAddress: addr(0xc2), amount: 1_000_000, offer: offerR.value }, net);
  if (!check.ok) throw new Error(check.reason);
  const keyFor = (u: MakerUtxo): Uint8Array => (u.txid === utxos[0]!.txid ? keyA : keyB);
  const signed = signMakerInputs(check.tx, check.toSign, keyFor);

  it('produces one !sig per verified input, in input order', () => {
    expect(signed.map((s) => s.index)).toEqual([1, 2]);
  });
  it('the taker matches each signature to its input, in any order', () => {
    const pending = [
      { index: 1, scriptPubKey: utxos[1]!.scriptPubKey, valueSats: 400_000 },
      { index: 2, scriptPubKey: utxos[0]!.scriptPubKey, valueSats: 700_000 },
    ];
    for (const s of [...signed].reverse()) {
      const p = parseSigPlaintext(s.plaintext);
      if (!p.ok) throw new Error(p.reason);
      expect(matchSignature(tx(), p.value, pending)).toBe(s.index);
    }
  });
  it('a signature does not match when the taker sees another amount or another tx', () => {
    const p = parseSigPlaintext(signed[0]!.plaintext);
    if (!p.ok) throw new Error(p.reason);
    expect(matchSignature(tx(), p.value, [{ index: 1, scriptPubKey: utxos[1]!.scriptPubKey, valueSats: 400_001 }])).toBeNull();
    const other = tx();
    other.locktime = 1;
    expect(matchSignature(other, p.value, [{ index: 1, scriptPubKey: utxos[1]!.scriptPubKey, valueSats: 400_000 }])).toBeNull();
  });
  it('refuses to sign with a key that does not own the input', () => {
    expect(() => signMakerInputs(check.tx, check.toSign, () => keyA)).toThrow(/does not own/);
  });
});

describe('standard witnesses only (a high-S or loose DER signature is refused at !sig)', () => {
  const check = verifyUnsignedTx(tx(), { utxos, cjAddress: addr(0xc1), changeAddress: addr(0xc2), amount: 1_000_000, offer: offerR.value }, net);
  if (!check.ok) throw new Error(check.reason);
  const s = signMakerInputs(check.tx, check.toSign, (u) => (u.txid === utxos[0]!.txid ? keyA : keyB))[0]!;
  const p = parseSigPlaintext(s.plaintext);
  if (!p.ok) throw new Error(p.reason);
  const der = p.value.signature.subarray(0, -1);
  const pending = [{ index: 1, scriptPubKey: utxos[1]!.scriptPubKey, valueSats: 400_000 }];

  it('our own low-S signature is standard', () => {
    expect(nonStandardSig(p.value)).toBeNull();
    expect(derSignatureProblem(der)).toBeNull();
  });
  it('the high-S twin still verifies (lenient check) but is refused as non-standard', () => {
    const high = { ...p.value, signature: concatBytes(toHighS(der), Uint8Array.of(1)) };
    expect(matchSignature(tx(), high, pending)).toBe(1);
    expect(nonStandardSig(high)).toMatch(/high-S/);
  });
  it('refuses padded, negative and badly framed DER', () => {
    const lenR = der[3]!;
    const padded = Uint8Array.from([0x30, der[1]! + 1, 0x02, lenR + 1, 0x00, ...der.subarray(4)]);
    expect(derSignatureProblem(padded)).toMatch(/strict DER/);
    const neg = Uint8Array.from(der);
    neg[4 + lenR + 2] = 0x80; // S with the sign bit set (and no 0x00 pad)
    expect(derSignatureProblem(neg)).toMatch(/strict DER|high-S/);
    expect(derSignatureProblem(der.subarray(0, der.length - 1))).toMatch(/strict DER/);
    expect(derSignatureProblem(Uint8Array.from([0x31, ...der.subarray(1)]))).toMatch(/strict DER/);
    expect(derSignatureProblem(new Uint8Array(0))).toMatch(/strict DER/);
  });
});
