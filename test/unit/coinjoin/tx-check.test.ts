import { describe, expect, it } from 'vitest';
import { Transaction, networks, payments } from 'bitcoinjs-lib';
import { verifyUnsignedTx, type MakerSession, type MakerUtxo } from '../../../src/protocol/coinjoin/tx-check.js';
import { bytesToHex, hexToBytes } from '../../../src/protocol/crypto.js';
import { parsedOffer } from './helpers.js';

const net = networks.regtest;
const wpkh = (fill: number): Uint8Array => payments.p2wpkh({ hash: new Uint8Array(20).fill(fill), network: net }).output as Uint8Array;
const addr = (fill: number): string => payments.p2wpkh({ hash: new Uint8Array(20).fill(fill), network: net }).address as string;
const txid = (fill: number): string => bytesToHex(new Uint8Array(32).fill(fill));


const AMOUNT = 1_000_000;
const myUtxos: MakerUtxo[] = [
  { txid: txid(0xa1), vout: 3, valueSats: 600_000, scriptPubKey: wpkh(1) },
  { txid: txid(0xa2), vout: 0, valueSats: 500_000, scriptPubKey: wpkh(2) },
];
// cjfee 0.0002 × 1e6 = 200, txfee 100 → expected change 1,100,000 − 1,000,000 − 100 + 200 = 100,100
const session: MakerSession = {
  utxos: myUtxos,
  cjAddress: addr(0xc1),
  changeAddress: addr(0xc2),
  amount: AMOUNT,
  offer: parsedOffer('sw0reloffer', '0 27300 5000000 100 0.0002'),
};
const EXPECTED_CHANGE = 100_100n;

interface Spec {
  version?: number;
  inputs?: Array<[string, number]>;
  outputs?: Array<[Uint8Array, bigint]>;
}
function buildTx(spec: Spec = {}): Transaction {
  const tx = new Transaction();
  tx.version = spec.version ?? 2;
  tx.locktime = 800_000;
  const inputs = spec.inputs ?? [
    [txid(0x70), 1], // taker
    [myUtxos[1]!.txid, myUtxos[1]!.vout],
    [txid(0x71), 0], // another maker
    [myUtxos[0]!.txid, myUtxos[0]!.vout],
  ];
  for (const [id, vout] of inputs) tx.addInput(hexToBytes(id).reverse(), vout, 0xfffffffe);
  const outputs = spec.outputs ?? [
    [wpkh(0xe0), 1_000_000n], // taker cj
    [wpkh(0xc2), EXPECTED_CHANGE],
    [wpkh(0xe1), 55_555n], // taker change
    [wpkh(0xc1), 1_000_000n],
  ];
  for (const [script, value] of outputs) tx.addOutput(script, value);
  return tx;
}

const refusal = (tx: Transaction | Uint8Array, s: MakerSession = session): string => {
  const r = verifyUnsignedTx(tx, s, net);
  if (r.ok) throw new Error('expected a refusal');
  return r.reason;
};

describe('verifyUnsignedTx (coinjoin §7)', () => {
  it('passes a correct coinjoin and signs only our inputs, with our recorded values', () => {
    const r = verifyUnsignedTx(buildTx(), session, net);
    if (!r.ok) throw new Error(r.reason);
    expect(r.inputsToSign).toEqual([1, 3]);
    expect(r.toSign.map((t) => t.utxo.valueSats)).toEqual([500_000, 600_000]);
    expect(r.realCjFee).toBe(200n);
    expect(r.expectedChange).toBe(EXPECTED_CHANGE);
  });

  it('rule 1: parses the raw legacy bytes of the !tx payload', () => {
    const r = verifyUnsignedTx(buildTx().toBuffer(), session, net);
    expect(r.ok && r.inputsToSign).toEqual([1, 3]);
  });
  it('rule 1: undecodable bytes refused', () => {
    expect(refusal(Uint8Array.of(2, 0, 0, 0, 9))).toMatch(/undecodable/);
  });
  it('rule 1: version outside {1,2,3} refused', () => {
    expect(refusal(buildTx({ version: 4 }))).toMatch(/version 4/);
    expect(verifyUnsignedTx(buildTx({ version: 1 }), session, net).ok).toBe(true);
  });
  it('rule 1: no outputs refused', () => {
    expect(refusal(buildTx({ outputs: [] }))).toMatch(/no inputs or no outputs/);
  });
  it('(ours) an input spent twice refused', () => {
    const inputs: Array<[string, number]> = [
      [myUtxos[0]!.txid, 3], [myUtxos[1]!.txid, 0], [myUtxos[0]!.txid, 3],
    ];
    expect(refusal(buildTx({ inputs }))).toMatch(/appears twice/);
  });

  it('rule 2: our utxo missing from the inputs refused', () => {
    expect(refusal(buildTx({ inputs: [[txid(0x70), 1], [myUtxos[0]!.txid, 3]] }))).toMatch(/is not an input/);
  });
  it('rule 2: same txid but another vout does not count', () => {
    expect(refusal(buildTx({ inputs: [[myUtxos[0]!.txid, 3], [myUtxos[1]!.txid, 1]] }))).toMatch(/is not an input/);
  });

  it('rule 4: negative earning refused, zero earning accepted', () => {
    expect(refusal(buildTx(), { ...session, offer: parsedOffer('sw0reloffer', '0 27300 5000000 201 0.0002') })).toMatch(/negative earning/);
    const zero = { ...session, offer: parsedOffer('sw0reloffer', '0 27300 5000000 200 0.0002') };
    // expected change is then 1,100,000 − 1,000,000 − 200 + 200 = 100,000 ≤ the output's 100,100
    expect(verifyUnsignedTx(buildTx(), zero, net).ok).toBe(true);
  });

  it('rule 5: cj output missing refused', () => {
    expect(refusal(buildTx({ outputs: [[wpkh(0xc2), EXPECTED_CHANGE]] }))).toMatch(/cj address appears 0 times/);
  });
  it('rule 5: cj output duplicated refused', () => {
    const outputs: Array<[Uint8Array, bigint]> = [[wpkh(0xc1), 1_000_000n], [wpkh(0xc1), 1_000_000n], [wpkh(0xc2), EXPECTED_CHANGE]];
    expect(refusal(buildTx({ outputs }))).toMatch(/cj address appears 2 times/);
  });
  it('rule 5: cj amount one sat short refused', () => {
    expect(refusal(buildTx({ outputs: [[wpkh(0xc1), 999_999n], [wpkh(0xc2), EXPECTED_CHANGE]] }))).toMatch(/cj output 999999 below/);
  });
  it('rule 5: change output missing refused', () => {
    expect(refusal(buildTx({ outputs: [[wpkh(0xc1), 1_000_000n]] }))).toMatch(/change address appears 0 times/);
  });
  it('rule 5: change output duplicated refused', () => {
    const outputs: Array<[Uint8Array, bigint]> = [[wpkh(0xc1), 1_000_000n], [wpkh(0xc2), 50_050n], [wpkh(0xc2), 50_050n]];
    expect(refusal(buildTx({ outputs }))).toMatch(/change address appears 2 times/);
  });
  it('rule 5: change one sat short refused, exact change accepted, more accepted', () => {
    const outs = (change: bigint): Array<[Uint8Array, bigint]> => [[wpkh(0xc1), 1_000_000n], [wpkh(0xc2), change]];
    expect(refusal(buildTx({ outputs: outs(EXPECTED_CHANGE - 1n) }))).toMatch(/change output 100099 below expected 100100/);
    expect(verifyUnsignedTx(buildTx({ outputs: outs(EXPECTED_CHANGE) }), session, net).ok).toBe(true);
    expect(verifyUnsignedTx(buildTx({ outputs: outs(EXPECTED_CHANGE + 5n) }), session, net).ok).toBe(true);
  });
  it('rule 5: matching is by script, so an output to another address of ours does not count', () => {
    expect(refusal(buildTx({ outputs: [[wpkh(0xc1), 1_000_000n], [wpkh(0xc3), EXPECTED_CHANGE]] }))).toMatch(/change address appears 0/);
  });

  it('abs offer: fee is the offer integer', () => {
    const abs = { ...session, offer: parsedOffer('sw0absoffer', '0 27300 5000000 100 250') };
    const need = 100_150n; // 1,100,000 − 1,000,000 − 100 + 250
    const outs = (c: bigint): Array<[Uint8Array, bigint]> => [[wpkh(0xc1), 1_000_000n], [wpkh(0xc2), c]];
    expect(refusal(buildTx({ outputs: outs(need - 1n) }), abs)).toMatch(/below expected 100150/);
    expect(verifyUnsignedTx(buildTx({ outputs: outs(need) }), abs, net).ok).toBe(true);
  });

  it('never signs a P2WSH (bond) utxo, whatever the tx', () => {
    const bond = { ...myUtxos[0]!, scriptPubKey: hexToBytes('0020' + '55'.repeat(32)) };
    expect(refusal(buildTx(), { ...session, utxos: [bond, myUtxos[1]!] })).toMatch(/not P2WPKH/);
  });
  it('(ours) session sanity: duplicate utxo, equal addresses, wrong-network address, empty session', () => {
    expect(refusal(buildTx(), { ...session, utxos: [myUtxos[0]!, myUtxos[0]!] })).toMatch(/twice/);
    expect(refusal(buildTx(), { ...session, changeAddress: session.cjAddress })).toMatch(/equal/);
    const mainnet = payments.p2wpkh({ hash: new Uint8Array(20).fill(0xc2), network: networks.bitcoin }).address as string;
    expect(refusal(buildTx(), { ...session, changeAddress: mainnet })).toMatch(/invalid for this network/);
    expect(refusal(buildTx(), { ...session, utxos: [] })).toMatch(/no utxos/);
  });
});
