// Wallet file at rest (docs/wallet.md "File format"): encryption, wrong password, tampering,
// KDF limits, 0600, atomic replace.
import { mkdtempSync, promises as fs, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decryptWallet, encryptWallet, WalletFileError, writeFileAtomic, WrongPasswordError } from '../../../src/wallet/wallet-file.js';
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

describe('atomic file writes', () => {
  it('creates 0600, refuses to overwrite unless asked, leaves no temp files', async () => {
    const p = join(dir, 'a.json');
    await writeFileAtomic(p, 'one');
    expect(statSync(p).mode & 0o777).toBe(0o600);
    await expect(writeFileAtomic(p, 'two')).rejects.toThrow(/already exists/);
    await writeFileAtomic(p, 'three', { overwrite: true });
    expect(await fs.readFile(p, 'utf8')).toBe('three');
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
  it('a failed write leaves the old file intact', async () => {
    const p = join(dir, 'b.json');
    await writeFileAtomic(p, 'old');
    const bad = { [Symbol.iterator]: () => { throw new Error('boom'); } } as unknown as Uint8Array;
    await expect(writeFileAtomic(p, bad, { overwrite: true })).rejects.toThrow();
    expect(await fs.readFile(p, 'utf8')).toBe('old');
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('Wallet save/load', () => {
  it('keeps mnemonic, extension, indices and freezes', async () => {
    const w = Wallet.create({ network: getNetwork('regtest'), words: 12, extension: 'ext pass', mixdepths: 3 });
    const first = w.nextAddress(1, 0);
    w.freezeUtxo({ txid: 'ab'.repeat(32), vout: 3 });
    const p = join(dir, 'w.jmw');
    await w.save(p, 'pw', { kdf: FAST, overwrite: false });
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
