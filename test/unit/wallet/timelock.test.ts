// Vectors W3, W4, W5, W6 of wallet-and-bonds.md §10; rules §4–§5.
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../../src/protocol/crypto.js';
import { bondAddress, freezeScript, parseFreezeScript, scriptNumEncode } from '../../../src/wallet/bond-script.js';
import { HdKeys } from '../../../src/wallet/hd.js';
import { entropyHexToMnemonic, mnemonicToSeed } from '../../../src/wallet/mnemonic.js';
import { getNetwork, toBitcoinjs } from '../../../src/wallet/network.js';
import {
  formatYearMonth, locktimeToTimenumber, parseYearMonth, TIMENUMBER_COUNT, timenumberToLocktime,
} from '../../../src/wallet/timenumber.js';

const W3: [number, number][] = [
  [0, 1577836800], [1, 1580515200], [11, 1606780800], [12, 1609459200], [20, 1630454400], [50, 1709251200],
  [60, 1735689600], [73, 1769904000], [100, 1840752000], [216, 2145916800], [300, 2366841600], [959, 4099766400],
];

describe('W3 timenumber <-> locktime', () => {
  it.each(W3)('n=%i <-> %i', (n, lt) => {
    expect(timenumberToLocktime(n)).toBe(lt);
    expect(locktimeToTimenumber(lt)).toBe(n);
  });
  it('rejects the invalid values', () => {
    for (const n of [-1, 1000, 960, 1.5]) expect(() => timenumberToLocktime(n)).toThrow(RangeError);
    for (const t of [1577836801, 1575158400, 4133980800, 4102444800]) expect(locktimeToTimenumber(t)).toBeNull();
  });
  it('all 960 values round-trip, are strictly increasing and land on midnight of the 1st', () => {
    let prev = 0;
    for (let n = 0; n < TIMENUMBER_COUNT; n++) {
      const lt = timenumberToLocktime(n);
      expect(lt).toBeGreaterThan(prev);
      prev = lt;
      const d = new Date(lt * 1000);
      expect([d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()]).toEqual([1, 0, 0]);
      expect(locktimeToTimenumber(lt)).toBe(n);
    }
  });
  it('YYYY-MM parsing', () => {
    expect(parseYearMonth('2026-02')).toBe(73);
    expect(formatYearMonth(73)).toBe('2026-02');
    expect(() => parseYearMonth('2019-12')).toThrow(/outside/);
    expect(() => parseYearMonth('2100-01')).toThrow(/outside/);
    expect(() => parseYearMonth('2026-13')).toThrow(/month/);
    expect(() => parseYearMonth('26-1')).toThrow(/YYYY-MM/);
  });
});

describe('W6 CScriptNum', () => {
  it.each([
    [1577836800, '00e10b5e'], [1769904000, '80977e69'], [2147483647, 'ffffff7f'],
    [2147483648, '0000008000'], [4099766400, '80785df400'], [0, ''], [127, '7f'], [128, '8000'],
  ])('%i -> %s', (n, hex) => expect(bytesToHex(scriptNumEncode(n))).toBe(hex));
  // The spec text says 43/44 bytes; counting its own W5 hex gives 42/43.
  it('4-byte push up to n=216 (42-byte script), 5-byte from n=217 (43)', () => {
    const pub = hexToBytes('03a30ac2cbcd6cafae59a6077893fe1aad0605efa7b98cd9c68cff754a13fe4d48');
    expect(freezeScript(pub, timenumberToLocktime(216))).toHaveLength(42);
    expect(freezeScript(pub, timenumberToLocktime(217))[0]).toBe(5);
    expect(freezeScript(pub, timenumberToLocktime(217))).toHaveLength(43);
  });
});

describe('W5 NG bond key, mainnet', () => {
  const hd = new HdKeys(mnemonicToSeed('abandon '.repeat(11) + 'about'), getNetwork('mainnet'));
  it('pubkey, branch, script, scriptPubKey, address', () => {
    const b = hd.bond(73);
    expect(b.path).toBe("m/84'/0'/0'/2/73");
    expect(b.locktime).toBe(1769904000);
    expect(bytesToHex(b.pubkey)).toBe('03a30ac2cbcd6cafae59a6077893fe1aad0605efa7b98cd9c68cff754a13fe4d48');
    expect(bytesToHex(hd.branch(0, 2).publicKey)).toBe('02499f5d0718c971ac125f944ee0990964910f369f7e080c8478a0aa09d155fe97');
    expect(bytesToHex(b.witnessScript)).toBe('0480977e69b1752103a30ac2cbcd6cafae59a6077893fe1aad0605efa7b98cd9c68cff754a13fe4d48ac');
    expect(bytesToHex(b.scriptPubKey)).toBe('0020eecfa0b05265453354d59b1dfce7f50fb64013d15cdbb93c8c617cde8e29d4b5');
    expect(b.address).toBe('bc1qam86pvzjv4znx4x4nvwleel4p7myqy73tndmj0yvv97dar3f6j6s3akzy8');
    expect(parseFreezeScript(b.witnessScript)).toEqual({ locktime: 1769904000, pubkey: b.pubkey });
  });
  it('refuses uncompressed keys, bad locktimes and non-canonical scripts', () => {
    const pub = hd.bond(73).pubkey;
    expect(() => freezeScript(new Uint8Array(65).fill(4), 1769904000)).toThrow(/compressed/);
    expect(() => freezeScript(pub, 499_999_999)).toThrow(RangeError);
    expect(() => freezeScript(pub, 2 ** 32)).toThrow(RangeError);
    const s = freezeScript(pub, 1769904000);
    const nonMinimal = Uint8Array.from([5, ...s.subarray(1, 5), 0, ...s.subarray(5)]);
    expect(parseFreezeScript(nonMinimal)).toBeNull();
    expect(parseFreezeScript(s.subarray(1))).toBeNull();
  });
});

describe('W4 REF timelock addresses (regtest + testnet)', () => {
  const mnemonic = entropyHexToMnemonic('2e0339ba89b4a1272cdf78b27ee62669ee01992a59e836e2807051be128ca817');
  it('entropy maps to the stated mnemonic', () => {
    expect(mnemonic).toBe('come border huge beach energy near recall upper raven warm maze stable theme smart practice dial dad beef bright pet thrive edge park water');
  });
  const seed = mnemonicToSeed(mnemonic);
  const reg = new HdKeys(seed, getNetwork('regtest'));
  const test = new HdKeys(seed, getNetwork('testnet'));
  it.each([
    [0, '033a2534aabf0e693b91e91964f3cef5d495421b60dbb9d00c2e4d8f27714a15b0', '0400e10b5eb17521033a2534aabf0e693b91e91964f3cef5d495421b60dbb9d00c2e4d8f27714a15b0ac',
      'bcrt1qgysu2eynn6klarz200ctgev7gqhhp7hwsdaaec3c7h0ltmc3r68q87c2d3', 'tb1qgysu2eynn6klarz200ctgev7gqhhp7hwsdaaec3c7h0ltmc3r68q28jvct', 'cVASAS6bpC5yctGmnsKaDz7D8CxEwccUtpjSNBQzeV2fw8ox8RR9'],
    [1, '02869e705d78290af84169759125eaee9f5ca5311b6b819736b49e80acb5b499bf', '0480bf345eb1752102869e705d78290af84169759125eaee9f5ca5311b6b819736b49e80acb5b499bfac',
      'bcrt1q26vw0q28rz2r2ktehp8w5yfzkzskrc4fxqdhzjy0f88kzhjvlfrs7fyas6', 'tb1q26vw0q28rz2r2ktehp8w5yfzkzskrc4fxqdhzjy0f88kzhjvlfrsnswm9q', 'cU8G1YAAxGZMqNsXxApBAahb8pbxhxryDshFdX5eRT9FV4gHNVXT'],
    [50, '035fad1bc2aae65b2dedcff3dd7978b7bd1b93896378b5589f754c8f1032f05d8c', '04801ae165b17521035fad1bc2aae65b2dedcff3dd7978b7bd1b93896378b5589f754c8f1032f05d8cac',
      'bcrt1q0cnscj0hlf6xqzlqwk7swngd3kmvd6unn49j9h4zgg68kg8fd7gq0r87lf', 'tb1q0cnscj0hlf6xqzlqwk7swngd3kmvd6unn49j9h4zgg68kg8fd7gqz6dc2n', 'cMtnaLzC2EW3URnmAapRnPQECGwGruxqXJpAnuRjKup3pkWfrxRE'],
  ])('n=%i', (n, pub, script, regAddr, testAddr, wif) => {
    const b = reg.bond(n);
    expect(bytesToHex(b.pubkey)).toBe(pub);
    expect(bytesToHex(b.witnessScript)).toBe(script);
    expect(b.address).toBe(regAddr);
    expect(test.bond(n).address).toBe(testAddr);
    expect(reg.bondKey(n).toWIF()).toBe(wif);
    expect(bondAddress(b.pubkey, b.locktime, getNetwork('testnet')).address).toBe(testAddr);
    expect(toBitcoinjs(getNetwork('regtest')).wif).toBe(0xef);
  });
});
