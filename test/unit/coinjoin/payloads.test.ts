import { describe, expect, it } from 'vitest';
import { BIP32Factory } from 'bip32';
import * as bip39 from 'bip39';
import * as ecc from 'tiny-secp256k1';
import { Transaction, networks } from 'bitcoinjs-lib';
import {
  formatIoauth,
  formatSigPlaintext,
  formatTxPlaintext,
  parseIoauth,
  parseSigPlaintext,
  parseTxPlaintext,
  signNaclKeyOwnership,
  verifyNaclKeyOwnership,
} from '../../../src/protocol/coinjoin/payloads.js';
import { bytesToHex, concatBytes, fromBase64, hexToBytes, toBase64 } from '../../../src/protocol/crypto.js';

const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const node = BIP32Factory(ecc).fromSeed(bip39.mnemonicToSeedSync(MNEMONIC)).derivePath("m/84'/0'/0'/0/0");
const authPriv = new Uint8Array(node.privateKey as Uint8Array);
const MAKER_PK = 'ce8d3ad1ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d59';
const BTC_SIG = 'MEQCIEhtxYilNIJjdq93QsRo6/V++RI67HdNu953OaUDPu4NAiBbouVXjKKTB1gkusxkIYWOkNg8VgfqW2YOV3kJ3Z+euQ==';
const PLAINTEXT = `${'00'.repeat(31)}01:0 0330d54fd0dd420a6e5f8d3624f5f3482cae350f79d5f0753bf5beef9c2d91af3c bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el ${BTC_SIG}`;

describe('!ioauth plaintext (coinjoin §4.6, §12)', () => {
  it('signs the maker NaCl pubkey hex to the spec btc_sig', () => {
    expect(bytesToHex(node.publicKey)).toBe('0330d54fd0dd420a6e5f8d3624f5f3482cae350f79d5f0753bf5beef9c2d91af3c');
    expect(toBase64(signNaclKeyOwnership(authPriv, MAKER_PK))).toBe(BTC_SIG);
  });
  it('parses the §12 plaintext, verifies btc_sig and formats it back byte for byte', () => {
    const r = parseIoauth(PLAINTEXT, networks.bitcoin);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.utxos).toEqual([{ txid: '00'.repeat(31) + '01', vout: 0 }]);
    expect(bytesToHex(r.value.cjScript)).toBe('0014c0cebcd6c3d3ca8c75dc5ec62ebe55330ef910e2');
    expect(verifyNaclKeyOwnership(r.value, MAKER_PK)).toBe(true);
    expect(verifyNaclKeyOwnership(r.value, MAKER_PK.replace('ce', 'cf'))).toBe(false);
    expect(formatIoauth(r.value)).toBe(PLAINTEXT);
  });
  const swap = (i: number, v: string): string => PLAINTEXT.split(' ').map((t, j) => (j === i ? v : t)).join(' ');
  it.each([
    ['4 fields', PLAINTEXT.split(' ').slice(0, 4).join(' '), /5 fields/],
    ['bad utxo', swap(0, 'abc:0'), /utxo/],
    ['duplicate utxo', swap(0, `${'00'.repeat(32)}:1,${'00'.repeat(32)}:1`), /duplicate/],
    ['bad auth_pub', swap(1, '04' + '11'.repeat(32)), /auth_pub/],
    ['testnet cj address on mainnet', swap(2, 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx'), /cj address/],
    ['bad change address', swap(3, 'bc1qnotanaddress'), /change address/],
    ['equal addresses', swap(3, 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu'), /equal/],
    ['non-base64 sig', swap(4, '!!'), /btc_sig/],
  ])('refuses %s', (_n, text, reason) => {
    const r = parseIoauth(text, networks.bitcoin);
    expect(!r.ok && r.reason).toMatch(reason);
  });
});

function unsignedTx(): Transaction {
  const tx = new Transaction();
  tx.version = 2;
  tx.addInput(new Uint8Array(32).fill(1), 0, 0xfffffffe);
  tx.addOutput(hexToBytes('0014' + '22'.repeat(20)), 100_000n);
  return tx;
}

describe('!tx plaintext (coinjoin §4.7)', () => {
  it('round-trips the legacy serialisation', () => {
    const text = formatTxPlaintext(unsignedTx());
    const raw = fromBase64(text) ?? new Uint8Array();
    expect(raw[4]).toBe(1); // legacy: input count right after the version, no 00 01 marker
    const r = parseTxPlaintext(text);
    expect(r.ok && r.value.getId()).toBe(unsignedTx().getId());
  });
  it('parses the segwit serialisation as well', () => {
    const tx = unsignedTx();
    tx.setWitness(0, [Uint8Array.of(1)]);
    const r = parseTxPlaintext(toBase64(tx.toBuffer()));
    expect(r.ok && r.value.ins.length).toBe(1);
  });
  it('refuses trailing bytes, garbage and non-base64', () => {
    expect(parseTxPlaintext(toBase64(concatBytes(unsignedTx().toBuffer(), Uint8Array.of(0)))).ok).toBe(false);
    expect(parseTxPlaintext(toBase64(Uint8Array.of(1, 2, 3))).ok).toBe(false);
    expect(parseTxPlaintext('@@').ok).toBe(false);
  });
  it('refuses to format a signed tx', () => {
    const tx = unsignedTx();
    tx.setWitness(0, [Uint8Array.of(1)]);
    expect(() => formatTxPlaintext(tx)).toThrow(/unsigned/);
  });
});

describe('!sig plaintext (coinjoin §4.8)', () => {
  const der = hexToBytes(
    '3044022048e9e3b4c9b9e58ee5f0d6e59ab2e7a6f0c5e3ed1d6cbb0fd6f0f6f2e1a0b9c702205b45ba6fa98b8e2c27fd3d3e9ac6db7a3bd7c2d6bcbb3e0fd3d90a1e8c5f0c1e01',
  );
  const pub = node.publicKey;
  it('formats push(sig) ‖ push(pubkey) and parses it back', () => {
    const text = formatSigPlaintext(der, pub);
    const raw = fromBase64(text) ?? new Uint8Array();
    expect(raw[0]).toBe(der.length);
    expect(raw[der.length + 1]).toBe(0x21);
    expect(parseSigPlaintext(text)).toEqual({ ok: true, value: { signature: der, pubkey: new Uint8Array(pub) } });
  });
  it('accepts a third push (legacy makers)', () => {
    const text = toBase64(concatBytes(Uint8Array.of(der.length), der, Uint8Array.of(33), pub, Uint8Array.of(2, 0xaa, 0xbb)));
    const r = parseSigPlaintext(text);
    expect(r.ok && r.value.extra).toEqual(Uint8Array.of(0xaa, 0xbb));
  });
  it.each([
    ['one push', toBase64(concatBytes(Uint8Array.of(der.length), der))],
    ['truncated push', toBase64(concatBytes(Uint8Array.of(der.length), der, Uint8Array.of(33), pub.subarray(0, 10)))],
    ['sighash NONE', toBase64(concatBytes(Uint8Array.of(der.length), der.slice(0, -1), Uint8Array.of(2), Uint8Array.of(33), pub))],
    ['bad pubkey', toBase64(concatBytes(Uint8Array.of(der.length), der, Uint8Array.of(33), new Uint8Array(33)))],
    ['not base64', '***'],
  ])('refuses %s', (_n, text) => {
    expect(parseSigPlaintext(text).ok).toBe(false);
  });
  it('formatSigPlaintext refuses a non-ALL sighash', () => {
    expect(() => formatSigPlaintext(der.slice(0, -1), pub)).toThrow(/ALL/);
  });
});
