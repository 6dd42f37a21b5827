// Vectors W1, W2, W4 (keys/WIF) of wallet-and-bonds.md §10; seed handling §2; layout §3.
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../../src/protocol/crypto.js';
import { bip32 } from '../../../src/wallet/ecc.js';
import { HdKeys, parsePath, EXTERNAL, INTERNAL } from '../../../src/wallet/hd.js';
import {
  checkMnemonic, entropyHexToMnemonic, generateMnemonic, mnemonicToEntropyHex, mnemonicToSeed, normalizeMnemonic,
} from '../../../src/wallet/mnemonic.js';
import { customNetwork, getNetwork, toBitcoinjs } from '../../../src/wallet/network.js';

const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const W2 = 'actress inmate filter october eagle floor conduct issue rail nominee mixture kid tunnel thought list tower lobster route ghost cigar bundle oak fiscal pulse';
const mainnet = getNetwork('mainnet');

describe('W1 BIP39/BIP84 abandon…about', () => {
  it('seed without and with extension', () => {
    expect(bytesToHex(mnemonicToSeed(ABANDON))).toBe('5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc19a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4');
    expect(mnemonicToSeed(ABANDON, '')).toEqual(mnemonicToSeed(ABANDON));
    const s = mnemonicToSeed(ABANDON, 'TREZOR');
    expect(bytesToHex(s)).toBe('c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04');
    expect(new HdKeys(s, mainnet).root.toBase58()).toBe('xprv9s21ZrQH143K3h3fDYiay8mocZ3afhfULfb5GX8kCBdno77K4HiA15Tg23wpbeF1pLfs1c5SPmYHrEpTuuRhxMwvKDwqdKiGJS9XFKzUsAF');
  });

  it('mainnet addresses and account xpub', () => {
    const hd = new HdKeys(mnemonicToSeed(ABANDON), mainnet);
    expect(hd.accountXpub(0)).toBe('xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V');
    const a = hd.address(0, EXTERNAL, 0);
    expect(bytesToHex(a.pubkey)).toBe('0330d54fd0dd420a6e5f8d3624f5f3482cae350f79d5f0753bf5beef9c2d91af3c');
    expect(a.address).toBe('bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu');
    expect(a.path).toBe("m/84'/0'/0'/0/0");
    expect(hd.address(0, EXTERNAL, 1).address).toBe('bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g');
    expect(hd.address(0, INTERNAL, 0).address).toBe('bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el');
    expect(hd.address(1, EXTERNAL, 0).address).toBe('bc1qku0qh0mc00y8tk0n65x2tqw4trlspak0fnjmfz');
    expect(hd.address(4, INTERNAL, 0).address).toBe('bc1q4weukw88mch53uvvh8k0vghjue4acar406gg6t');
    expect(bytesToHex(hd.derivePath("m/84'/0'/4'/1/0").publicKey)).toBe(bytesToHex(hd.address(4, INTERNAL, 0).pubkey));
  });

  it('testnet, regtest and an injected hrp use coin type 1', () => {
    const seed = mnemonicToSeed(ABANDON);
    expect(new HdKeys(seed, getNetwork('testnet')).address(0, EXTERNAL, 0).address).toBe('tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl');
    expect(new HdKeys(seed, getNetwork('regtest')).address(0, EXTERNAL, 0).address).toBe('bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk');
    const rltc = new HdKeys(seed, customNetwork('regtest', { hrp: 'rltc' })).address(0, EXTERNAL, 0);
    expect(rltc.address.startsWith('rltc1q')).toBe(true);
    expect(rltc.path).toBe("m/84'/1'/0'/0/0");
    expect(() => customNetwork('regtest', { hrp: 'Bad HRP' })).toThrow(/hrp/);
  });
});

describe('W2 24 words + passphrase', () => {
  it('zpub and first address with passphrase "test"', () => {
    const hd = new HdKeys(mnemonicToSeed(W2, 'test'), mainnet);
    expect(hd.address(0, EXTERNAL, 0).address).toBe('bc1qw90s2z6etu728elvs0hxh6tda35p465phy9qz4');
    const zpubNet = { ...toBitcoinjs(mainnet), bip32: { public: 0x04b24746, private: 0x04b2430c } };
    const acct = bip32.fromSeed(mnemonicToSeed(W2, 'test'), zpubNet).derivePath("m/84'/0'/0'");
    expect(acct.neutered().toBase58()).toBe('zpub6s3NLrmr3UN8Z5oWuFMozCWGHNKYPvHNB15pmjaVvHhniwa8fxoBwZmtEGro74sk8affDhhrehteRWW48DXBTZbUDsutkmTXsGru1TTuNy1');
  });
  it('without passphrase', () => {
    expect(new HdKeys(mnemonicToSeed(W2), mainnet).address(0, EXTERNAL, 0).address).toBe('bc1q95d7qd9l5tycwfnx3zp6mrdjwg7nv8ewrgt8tt');
  });
});

describe('mnemonic generation and checking', () => {
  it('generates 12 and 24 words that round-trip through entropy', () => {
    for (const n of [12, 24] as const) {
      const m = generateMnemonic(n);
      expect(m.split(' ')).toHaveLength(n);
      expect(checkMnemonic(m).ok).toBe(true);
      expect(entropyHexToMnemonic(mnemonicToEntropyHex(m))).toBe(m);
    }
    expect(generateMnemonic(12, (n) => new Uint8Array(n))).toBe(ABANDON);
  });
  it('normalises case and whitespace, rejects bad checksum, words and counts', () => {
    expect(normalizeMnemonic(`  ${ABANDON.toUpperCase().replaceAll(' ', ' \t\n ')} `)).toBe(ABANDON);
    expect(checkMnemonic(ABANDON.toUpperCase()).ok).toBe(true);
    const badSum = ABANDON.replace(/about$/, 'abandon');
    expect(checkMnemonic(badSum)).toEqual({ ok: false, reason: expect.stringMatching(/checksum/) });
    expect(checkMnemonic(ABANDON.replace('about', 'bitcoinz'))).toEqual({ ok: false, reason: expect.stringMatching(/bitcoinz/) });
    expect(checkMnemonic('abandon '.repeat(10) + 'about')).toEqual({ ok: false, reason: expect.stringMatching(/got 11/) });
    expect(checkMnemonic('')).toMatchObject({ ok: false });
    expect(() => mnemonicToSeed(badSum)).toThrow(/invalid mnemonic/);
  });
});

describe('paths', () => {
  it('parses hardened markers and rejects junk', () => {
    expect(parsePath("m/84'/0h/2H/1/7")).toEqual([0x80000054, 0x80000000, 0x80000002, 1, 7]);
    expect(() => parsePath('84/0')).toThrow(/start/);
    expect(() => parsePath("m/84'/x")).toThrow(/bad path element/);
    expect(() => parsePath('m/2147483648')).toThrow(/out of range/);
  });
});
