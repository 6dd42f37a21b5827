// Wallet file at rest (docs/wallet.md "File format"): encryption, wrong password, tampering,
// KDF limits, KDF kept across saves, 0600, refusing a file others can read.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decryptWallet, encryptWallet, WalletFileError, WrongPasswordError } from '../../../src/wallet/wallet-file.js';
import { Wallet } from '../../../src/wallet/wallet.js';
import { getNetwork } from '../../../src/wallet/network.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const dir = mkdtempSync(join(tmpdir(), 'jmw-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('encryption', () => {
  it('round-trips and hides the plaintext', async () => {
    const text = await encryptWallet(new TextEncoder().encode('secret words here'), 'pw', FAST);
    expect(text).not.toContain('secret');
    expect(JSON.parse(text)).toMatchObject({ format: 'joinmarket-ts-wallet', version: 1, kdf: { name: 'scrypt', N: 1024, r: 8, p: 1, dkLen: 32 }, cipher: { name: 'xchacha20poly1305' } });
    expect(new TextDecoder().decode(await decryptWallet(text, 'pw'))).toBe('secret words here');
  });
  it('refuses a wrong password and a tampered header with a clear message', async () => {
    const text = await encryptWallet(new Uint8Array([1, 2, 3]), 'right', FAST);
    await expect(decryptWallet(text, 'wrong')).rejects.toThrow(WrongPasswordError);
    await expect(decryptWallet(text, 'wrong')).rejects.toThrow(/wrong password/);
    const j = JSON.parse(text);
    j.kdf.p = 2; // header is authenticated data
    await expect(decryptWallet(JSON.stringify(j), 'right')).rejects.toThrow(WrongPasswordError);
  });
  it('rejects junk and KDF parameters beyond the limits', async () => {
    await expect(decryptWallet('nope', 'x')).rejects.toThrow(/not JSON/);
    await expect(decryptWallet('{"format":"other"}', 'x')).rejects.toThrow(WalletFileError);
    const j = JSON.parse(await encryptWallet(new Uint8Array([1]), 'x', FAST));
    j.kdf.N = 2 ** 21;
    await expect(decryptWallet(JSON.stringify(j), 'x')).rejects.toThrow(/N must be a power of two in \[2\^10, 2\^20\]/);
    j.kdf.N = 2 ** 20 + 1;
    await expect(decryptWallet(JSON.stringify(j), 'x')).rejects.toThrow(/power of two/);
    await expect(encryptWallet(new Uint8Array([1]), 'x', { N: 2 ** 9, r: 8, p: 1 })).rejects.toThrow();
  });
});

describe('Wallet save/load', () => {
  it('keeps mnemonic, extension, indices and freezes', async () => {
    const w = Wallet.create({ network: getNetwork('regtest'), words: 12, extension: 'ext pass', mixdepths: 3 });
    const first = w.nextAddress(1, 0);
    w.freezeUtxo({ txid: 'ab'.repeat(32), vout: 3 });
    const p = join(dir, 'w.jmw');
    await w.setPassword('pw', FAST);
    await w.save(p, { overwrite: false });
    await expect(w.save(p, { overwrite: false })).rejects.toThrow(/already exists/);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    const l = await Wallet.load(p, 'pw');
    expect([l.mnemonic, l.extension, l.mixdepthCount]).toEqual([w.mnemonic, 'ext pass', 3]);
    expect(l.nextIndex(1, 0)).toBe(1);
    expect(l.getAddress(1, 0, 0).address).toBe(first.address);
    expect(l.isUnavailable({ txid: 'ab'.repeat(32), vout: 3 })).toBe(true);
    await expect(Wallet.load(p, 'nope')).rejects.toThrow(/wrong password/);
    await expect(Wallet.load(p, 'pw', getNetwork('mainnet'))).rejects.toThrow(/regtest, not mainnet/);
    await expect(Wallet.load(join(dir, 'missing'), 'pw')).rejects.toThrow(/no wallet file/);
  });
});

describe('KDF settings and file permissions', () => {
  const CUSTOM = { N: 2 ** 11, r: 4, p: 2 };
  const header = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as { kdf: { N: number; r: number; p: number; salt: string }; cipher: { nonce: string } };

  it('a wallet made with custom scrypt settings keeps them (and its salt) through load, new addresses and saves', async () => {
    const w = Wallet.create({ network: getNetwork('regtest'), words: 12 });
    await w.setPassword('pw', CUSTOM);
    const p = join(dir, 'custom.jmw');
    await w.save(p, { overwrite: false });
    const first = header(p);
    expect(first.kdf).toMatchObject(CUSTOM);
    const l = await Wallet.load(p, 'pw');
    expect(l.kdf).toEqual(CUSTOM);
    l.nextAddress(0, 0);
    await l.save(p);
    l.nextAddress(0, 1);
    await l.save(p);
    const after = header(p);
    // same salt: the key derived at load was reused, scrypt did not run again
    expect(after.kdf).toEqual(first.kdf);
    expect(after.cipher.nonce).not.toBe(first.cipher.nonce);
    const again = await Wallet.load(p, 'pw');
    expect([again.nextIndex(0, 0), again.nextIndex(0, 1)]).toEqual([1, 1]);
  });

  it('refuses to save before a password is set', async () => {
    const w = Wallet.create({ network: getNetwork('regtest'), words: 12 });
    await expect(w.save(join(dir, 'nopw.jmw'))).rejects.toThrow(/no wallet password set/);
  });

  it('refuses to load a wallet file the group or others can read', async () => {
    const w = Wallet.create({ network: getNetwork('regtest'), words: 12 });
    await w.setPassword('pw', FAST);
    const p = join(dir, 'open.jmw');
    await w.save(p);
    chmodSync(p, 0o644);
    await expect(Wallet.load(p, 'pw')).rejects.toThrow(/wallet file .* is readable by others \(mode 644\); run: chmod 600/);
    chmodSync(p, 0o640);
    await expect(Wallet.load(p, 'pw')).rejects.toThrow(WalletFileError);
    chmodSync(p, 0o600);
    expect((await Wallet.load(p, 'pw')).mnemonic).toBe(w.mnemonic);
  });
});
