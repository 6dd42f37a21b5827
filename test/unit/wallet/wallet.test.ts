// Wallet behaviour (wallet-and-bonds.md §3–§6): indices, lookup, coin selection, signing,
// bond spend construction, fee fallback, amounts, descriptor checksums.
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../../src/protocol/crypto.js';
import { btcPerKvbToSatPerVb, btcToSats, satsToBtc } from '../../../src/wallet/amount.js';
import { buildBondSpend, isBondSpendable } from '../../../src/wallet/bond-spend.js';
import { InsufficientFundsError, selectCoins } from '../../../src/wallet/coin-select.js';
import { descriptorChecksum, withChecksum } from '../../../src/wallet/descriptor.js';
import { ecc } from '../../../src/wallet/ecc.js';
import { estimateFeeRate } from '../../../src/wallet/fees.js';
import { getNetwork } from '../../../src/wallet/network.js';
import type { WalletUtxo } from '../../../src/wallet/utxo.js';
import { Wallet } from '../../../src/wallet/wallet.js';

const ABANDON = 'abandon '.repeat(11) + 'about';
const net = getNetwork('regtest');

function utxo(w: Wallet, md: number, i: number, sat: bigint, conf = 6): WalletUtxo {
  const a = w.getAddress(md, 0, i);
  return { txid: (i + 16).toString(16).padStart(64, '0'), vout: 0, valueSat: sat, scriptPubKey: bytesToHex(a.scriptPubKey), address: a.address, confirmations: conf, height: 100, mixdepth: md, chain: 0, index: i, path: a.path };
}

describe('Wallet indices and lookup', () => {
  const w = Wallet.create({ network: net, mnemonic: ABANDON });
  it('hands out sequential addresses and follows used ones', () => {
    expect(w.nextAddress(0, 0).address).toBe('bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk');
    expect(w.nextIndex(0, 0)).toBe(1);
    expect(w.markUsed(2, 1, 7)).toBe(true);
    expect(w.nextIndex(2, 1)).toBe(8);
    expect(w.markUsed(2, 1, 3)).toBe(false);
    expect(() => w.nextAddress(5, 0)).toThrow(/mixdepth must be an integer in \[0, 4\]/);
    expect(w.watchWindow(2)).toHaveLength(5 * 2 * 2 + 1 + 8);
    expect(w.coreWalletName).toMatch(/^jm_[0-9a-f]{8}_regtest$/);
  });
  it('finds scripts of derived addresses and of any of the 960 bonds', () => {
    const a = w.getAddress(3, 1, 4);
    expect(w.lookupScript(bytesToHex(a.scriptPubKey))).toMatchObject({ kind: 'p2wpkh', addr: { mixdepth: 3, chain: 1, index: 4 } });
    const b = Wallet.create({ network: net, mnemonic: ABANDON }).bond(959);
    expect(w.lookupScript(bytesToHex(b.scriptPubKey))).toMatchObject({ kind: 'bond', bond: { timenumber: 959 } });
    expect(w.lookupScript('0014' + '00'.repeat(20))).toBeNull();
  });
});

describe('coin selection', () => {
  const w = Wallet.create({ network: net, mnemonic: ABANDON });
  const pool = [utxo(w, 0, 0, 50_000n), utxo(w, 0, 1, 200_000n), utxo(w, 0, 2, 1_000_000n, 0)];
  it('largest confirmed first, change when above dust', () => {
    const s = selectCoins(pool, { targetSat: 100_000n, satPerVb: 2, outputsWeight: 124 });
    expect(s.inputs.map((u) => u.valueSat)).toEqual([200_000n]);
    expect(s.totalInSat - 100_000n - s.feeSat).toBe(s.changeSat);
    expect(s.feeSat).toBe(282n); // ceil(561 wu / 4) = 141 vB at 2 sat/vB
  });
  it('dust change goes to the fee; excludes locked; sweep; insufficient funds names the amounts', () => {
    const s = selectCoins(pool, { targetSat: 199_500n, satPerVb: 1, outputsWeight: 124 });
    expect([s.changeSat, s.feeSat]).toEqual([0n, 500n]);
    const locked = new Set([`${pool[1]!.txid}:0`]);
    expect(selectCoins(pool, { targetSat: 10_000n, satPerVb: 1, outputsWeight: 124, exclude: locked }).inputs).toEqual([pool[0]]);
    const sweep = selectCoins(pool, { targetSat: 0n, satPerVb: 1, outputsWeight: 124, sweep: true });
    expect(sweep.inputs).toHaveLength(2);
    expect(() => selectCoins(pool, { targetSat: 250_000n, satPerVb: 1, outputsWeight: 124 })).toThrow(InsufficientFundsError);
    expect(() => selectCoins(pool, { targetSat: 250_000n, satPerVb: 1, outputsWeight: 124 })).toThrow(/have 250000 sat/);
    expect(() => selectCoins(pool, { targetSat: 1n, satPerVb: 1, outputsWeight: 124, minConfirmations: 7 })).toThrow(/have 0 sat/);
  });
});

describe('signing', () => {
  const w = Wallet.create({ network: net, mnemonic: ABANDON });
  it('createSpend signs every P2WPKH input with a valid BIP143 signature', () => {
    const u = utxo(w, 1, 0, 300_000n);
    w.setUtxos([u]);
    const dest = w.getAddress(2, 0, 0).address;
    const { tx, selection, change } = w.createSpend({ mixdepth: 1, destination: dest, amountSat: 100_000n, satPerVb: 1 });
    expect(change?.path).toBe("m/84'/1'/1'/1/0");
    expect(tx.outs.map((o) => o.value)).toEqual([100_000n, selection.changeSat]);
    const [sig, pub] = tx.ins[0]!.witness;
    const scriptCode = Uint8Array.from([0x76, 0xa9, 0x14, ...w.getAddress(1, 0, 0).scriptPubKey.subarray(2), 0x88, 0xac]);
    const hash = tx.hashForWitnessV0(0, scriptCode, 300_000n, Transaction.SIGHASH_ALL);
    expect(sig![sig!.length - 1]).toBe(1);
    expect(ecc.verify(hash, pub!, decodeDer(sig!.subarray(0, -1)))).toBe(true);
    expect(() => w.createSpend({ mixdepth: 1, destination: 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', amountSat: 1000n, satPerVb: 1 })).toThrow(/not a valid regtest address/);
  });
  it('coin control: createSpend uses exactly the given coins; sweeping them leaves no change', () => {
    const w2 = Wallet.create({ network: net, mnemonic: ABANDON });
    const [a, b, c] = [utxo(w2, 1, 0, 300_000n), utxo(w2, 1, 1, 200_000n), utxo(w2, 1, 2, 900_000n)];
    w2.setUtxos([a, b, c]);
    const dest = w2.getAddress(2, 0, 0).address;
    const only = w2.createSpend({ mixdepth: 1, destination: dest, amountSat: 100_000n, satPerVb: 1, outpoints: [b] });
    expect(only.selection.inputs).toEqual([b]); // not the larger a or c
    const sweep = w2.createSpend({ mixdepth: 1, destination: dest, sweep: true, satPerVb: 1, outpoints: [a, b] });
    expect(sweep.tx.outs).toHaveLength(1);
    expect(sweep.tx.outs[0]!.value).toBe(500_000n - sweep.selection.feeSat);
    expect(() => w2.createSpend({ mixdepth: 2, destination: dest, amountSat: 1_000n, satPerVb: 1, outpoints: [a] })).toThrow(/is not an unspent coin of mixdepth 2/);
    w2.freezeUtxo(c);
    expect(() => w2.createSpend({ mixdepth: 1, destination: dest, amountSat: 1_000n, satPerVb: 1, outpoints: [c] })).toThrow(/frozen or locked/);
  });
  it('refuses foreign and bond inputs; signs own PSBT inputs only', () => {
    const tx = new Transaction();
    tx.addInput(new Uint8Array(32), 0);
    expect(() => w.signInputs(tx, [{ index: 0, valueSat: 1n, scriptPubKey: '0014' + '11'.repeat(20) }])).toThrow(/not a wallet address/);
    expect(() => w.signInputs(tx, [{ index: 0, valueSat: 1n, scriptPubKey: w.bond(3).scriptPubKey }])).toThrow(/fidelity-bond/);
    const psbt = new Psbt();
    psbt.addInput({ hash: new Uint8Array(32).fill(1), index: 0, witnessUtxo: { script: w.getAddress(0, 1, 2).scriptPubKey, value: 5000n } });
    psbt.addInput({ hash: new Uint8Array(32).fill(2), index: 0, witnessUtxo: { script: Uint8Array.from([0, 20, ...new Uint8Array(20)]), value: 5000n } });
    psbt.addOutput({ script: w.getAddress(0, 1, 3).scriptPubKey, value: 9000n });
    expect(w.signPsbt(psbt)).toEqual([0]);
    expect(psbt.validateSignaturesOfInput(0, (p, h, s) => ecc.verify(h, p, s))).toBe(true);
  });
  it('bond spend: version 2, nLockTime = L, nSequence 0xfffffffe, witness [sig, script]', () => {
    const b = w.bond(73);
    const { tx, feeSat, locktime } = buildBondSpend({ txid: 'cd'.repeat(32), vout: 1, valueSat: 1_000_000n, witnessScript: b.witnessScript, key: w.keys.bondKey(73), destinationScript: w.getAddress(0, 0, 0).scriptPubKey, satPerVb: 2 });
    expect([tx.version, tx.locktime, locktime, tx.ins[0]!.sequence]).toEqual([2, 1769904000, 1769904000, 0xfffffffe]);
    expect(tx.ins[0]!.witness[1]).toEqual(b.witnessScript);
    expect(tx.outs[0]!.value).toBe(1_000_000n - feeSat);
    const hash = tx.hashForWitnessV0(0, b.witnessScript, 1_000_000n, Transaction.SIGHASH_ALL);
    expect(ecc.verify(hash, b.pubkey, decodeDer(tx.ins[0]!.witness[0]!.subarray(0, -1)))).toBe(true);
    expect(() => buildBondSpend({ txid: 'cd'.repeat(32), vout: 1, valueSat: 1_000_000n, witnessScript: b.witnessScript, key: w.keys.bondKey(74), destinationScript: new Uint8Array(22), satPerVb: 2 })).toThrow(/does not match/);
    expect(() => buildBondSpend({ txid: 'cd'.repeat(32), vout: 1, valueSat: 600n, witnessScript: b.witnessScript, key: w.keys.bondKey(73), destinationScript: new Uint8Array(22), satPerVb: 2 })).toThrow(/does not cover/);
    expect([isBondSpendable(100, 100), isBondSpendable(100, 101)]).toEqual([false, true]);
  });
});

describe('fees, amounts, descriptors', () => {
  it('fee estimate, fallback, floor and cap', async () => {
    const src = (feerate: number | undefined, min = 0.00001, fail = false) => ({
      estimateSmartFee: async () => { if (fail) throw new Error('down'); return feerate === undefined ? { errors: ['Insufficient data'] } : { feerate }; },
      getMempoolInfo: async () => ({ mempoolminfee: min }),
    });
    expect(await estimateFeeRate(src(0.00012))).toEqual({ satPerVb: 12, source: 'estimate', floorSatPerVb: 1 });
    expect(await estimateFeeRate(src(undefined))).toMatchObject({ satPerVb: 20, source: 'fallback' });
    expect(await estimateFeeRate(src(undefined, 0.00001, true), { fallbackSatPerVb: 3 })).toMatchObject({ satPerVb: 3, source: 'fallback' });
    expect(await estimateFeeRate(src(0.00002, 0.00005))).toMatchObject({ satPerVb: 5 });
    await expect(estimateFeeRate(src(0.01))).rejects.toThrow(/1000 sat\/vB is above the limit of 350/);
  });
  it('BTC amounts convert exactly via shortest decimal text', () => {
    expect(btcToSats(0.29)).toBe(29_000_000n); // 0.29 * 1e8 = 28999999.999999996 as floats
    expect(() => btcToSats(0.1 + 0.2)).toThrow(/8 decimals/); // never a Core amount
  });
  it('amount edge cases', () => {
    expect(btcToSats(1e-8)).toBe(1n);
    expect(btcToSats(20999999.9769)).toBe(2099999997690000n);
    expect(btcToSats('50')).toBe(5_000_000_000n);
    expect(btcToSats(-0.5)).toBe(-50_000_000n);
    expect(() => btcToSats(0.123456789)).toThrow(/8 decimals/);
    expect(satsToBtc(123n)).toBe('0.00000123');
    expect(btcPerKvbToSatPerVb(0.00001)).toBe(1);
  });
  it('descriptor checksums (BIP 380 example)', () => {
    expect(descriptorChecksum("raw(deadbeef)")).toBe('89f8spxm');
    expect(withChecksum('addr(bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk)')).toMatch(/#[a-z0-9]{8}$/);
    expect(() => descriptorChecksum('addr(é)')).toThrow(/invalid character/);
  });
});

/** DER -> 64-byte compact (r||s) for tiny-secp256k1 verify. */
function decodeDer(der: Uint8Array): Uint8Array {
  const rLen = der[3]!;
  const r = der.subarray(4, 4 + rLen);
  const s = der.subarray(6 + rLen);
  const pad = (x: Uint8Array) => { const t = x[0] === 0 ? x.subarray(1) : x; const o = new Uint8Array(32); o.set(t, 32 - t.length); return o; };
  return Uint8Array.from([...pad(r), ...pad(s)]);
}
