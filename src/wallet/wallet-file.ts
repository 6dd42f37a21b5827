/**
 * Encrypted wallet file (docs/wallet.md "File format"): JSON envelope, scrypt
 * (N=2^17, r=8, p=1, 128 MiB) -> 32-byte key, XChaCha20-Poly1305 with the header as AAD.
 * Written atomically (temp file 0600 + fsync + rename + directory fsync).
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';

export const WALLET_FORMAT = 'joinmarket-ts-wallet';
export const WALLET_FILE_VERSION = 1;
export const DEFAULT_KDF = { N: 2 ** 17, r: 8, p: 1 } as const;
/** Bounds on what a file may ask for, so a crafted file cannot exhaust memory. */
const MIN_LOG_N = 10;
const MAX_LOG_N = 20;

export interface KdfParams { N: number; r: number; p: number }

const b64 = (len?: number) => z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64 expected')
  .refine((s) => len === undefined || Buffer.from(s, 'base64').length === len, `expected ${len} bytes`);

const headerSchema = z.object({
  format: z.literal(WALLET_FORMAT),
  version: z.literal(WALLET_FILE_VERSION),
  kdf: z.object({
    name: z.literal('scrypt'),
    N: z.number().int().refine((n) => n >= 2 ** MIN_LOG_N && n <= 2 ** MAX_LOG_N && (n & (n - 1)) === 0, `N must be a power of two in [2^${MIN_LOG_N}, 2^${MAX_LOG_N}]`),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    dkLen: z.literal(32),
    salt: b64(16),
  }).strict(),
  cipher: z.object({ name: z.literal('xchacha20poly1305'), nonce: b64(24) }).strict(),
});
const fileSchema = headerSchema.extend({ ciphertext: b64() }).strict();
type Header = z.infer<typeof headerSchema>;

export class WalletFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WalletFileError';
  }
}
export class WrongPasswordError extends WalletFileError {
  constructor() {
    super('wrong password (or the wallet file was modified or corrupted)');
    this.name = 'WrongPasswordError';
  }
}

function aad(h: Header): Uint8Array {
  // canonical text of the header fields, in a fixed order
  return new TextEncoder().encode(JSON.stringify([h.format, h.version, h.kdf, h.cipher]));
}

async function deriveKey(password: string, kdf: Header['kdf']): Promise<Uint8Array> {
  return scryptAsync(password.normalize('NFKC'), Buffer.from(kdf.salt, 'base64'), { N: kdf.N, r: kdf.r, p: kdf.p, dkLen: 32, asyncTick: 20 });
}

export async function encryptWallet(plaintext: Uint8Array, password: string, kdf: KdfParams = DEFAULT_KDF): Promise<string> {
  const header: Header = {
    format: WALLET_FORMAT, version: WALLET_FILE_VERSION,
    kdf: { name: 'scrypt', N: kdf.N, r: kdf.r, p: kdf.p, dkLen: 32, salt: randomBytes(16).toString('base64') },
    cipher: { name: 'xchacha20poly1305', nonce: randomBytes(24).toString('base64') },
  };
  headerSchema.parse(header); // refuses out-of-range KDF parameters
  const key = await deriveKey(password, header.kdf);
  const ct = xchacha20poly1305(key, Buffer.from(header.cipher.nonce, 'base64'), aad(header)).encrypt(plaintext);
  key.fill(0);
  return `${JSON.stringify({ ...header, ciphertext: Buffer.from(ct).toString('base64') }, null, 2)}\n`;
}

export async function decryptWallet(text: string, password: string): Promise<Uint8Array> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WalletFileError('not a wallet file (not JSON)');
  }
  const r = fileSchema.safeParse(json);
  if (!r.success) throw new WalletFileError(`not a valid wallet file: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const { ciphertext, ...header } = r.data;
  const key = await deriveKey(password, header.kdf);
  try {
    return xchacha20poly1305(key, Buffer.from(header.cipher.nonce, 'base64'), aad(header)).decrypt(Buffer.from(ciphertext, 'base64'));
  } catch {
    throw new WrongPasswordError();
  } finally {
    key.fill(0);
  }
}

/** Replace-or-create `path` so that readers see either the old or the new file, never a mix. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: { overwrite?: boolean } = {}): Promise<void> {
  if (!opts.overwrite) {
    const exists = await fs.access(path, constants.F_OK).then(() => true, () => false);
    if (exists) throw new WalletFileError(`${path} already exists; refusing to overwrite it`);
  }
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await fs.open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fs.chmod(path, 0o600);
  const dir = await fs.open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
