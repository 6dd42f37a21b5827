/**
 * Encrypted wallet file (docs/wallet.md "File format"): JSON envelope, scrypt
 * (N=2^17, r=8, p=1, 128 MiB) -> 32-byte key, XChaCha20-Poly1305 with the header as AAD.
 * A loaded wallet keeps its derived key, so saving never re-runs scrypt and never changes the
 * file's KDF parameters; written with src/util/atomic-file.ts (0600, atomic).
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { randomBytes } from 'node:crypto';
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

/** The wallet belongs to another network than the one asked for (the file itself is fine). */
export class WalletNetworkError extends WalletFileError {
  constructor(readonly walletNetwork: string, readonly requested: string) {
    super(`wallet is for ${walletNetwork}, not ${requested}`);
    this.name = 'WalletNetworkError';
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

/** The file key: scrypt output plus the header fields it came from (salt included). */
export interface WalletKey {
  readonly kdf: Header['kdf'];
  readonly key: Uint8Array;
}

async function scrypt(password: string, kdf: Header['kdf']): Promise<Uint8Array> {
  return scryptAsync(password.normalize('NFKC'), Buffer.from(kdf.salt, 'base64'), { N: kdf.N, r: kdf.r, p: kdf.p, dkLen: 32, asyncTick: 20 });
}

/** Runs scrypt once with a fresh salt; refuses parameters outside the limits a file may carry. */
export async function deriveWalletKey(password: string, params: KdfParams = DEFAULT_KDF): Promise<WalletKey> {
  const kdf: Header['kdf'] = { name: 'scrypt', N: params.N, r: params.r, p: params.p, dkLen: 32, salt: randomBytes(16).toString('base64') };
  headerSchema.shape.kdf.parse(kdf);
  return { kdf, key: await scrypt(password, kdf) };
}

/**
 * Encrypts with an already derived key: same KDF parameters and salt, fresh nonce. Saving a
 * loaded wallet this way keeps the file's KDF settings and costs no scrypt run (REF's storage
 * also keeps the derived key and salt and re-encrypts with a fresh IV).
 */
export function sealWallet(plaintext: Uint8Array, k: WalletKey): string {
  const header: Header = {
    format: WALLET_FORMAT, version: WALLET_FILE_VERSION, kdf: k.kdf,
    cipher: { name: 'xchacha20poly1305', nonce: randomBytes(24).toString('base64') },
  };
  const ct = xchacha20poly1305(k.key, Buffer.from(header.cipher.nonce, 'base64'), aad(header)).encrypt(plaintext);
  return `${JSON.stringify({ ...header, ciphertext: Buffer.from(ct).toString('base64') }, null, 2)}\n`;
}

export async function encryptWallet(plaintext: Uint8Array, password: string, kdf: KdfParams = DEFAULT_KDF): Promise<string> {
  const k = await deriveWalletKey(password, kdf);
  try {
    return sealWallet(plaintext, k);
  } finally {
    k.key.fill(0);
  }
}

/** Decrypts a wallet file's text; also returns the key so the wallet can be saved again. */
export async function openWalletText(text: string, password: string): Promise<{ plaintext: Uint8Array; key: WalletKey }> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WalletFileError('not a wallet file (not JSON)');
  }
  const r = fileSchema.safeParse(json);
  if (!r.success) throw new WalletFileError(`not a valid wallet file: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const { ciphertext, ...header } = r.data;
  const key = await scrypt(password, header.kdf);
  try {
    const plaintext = xchacha20poly1305(key, Buffer.from(header.cipher.nonce, 'base64'), aad(header)).decrypt(Buffer.from(ciphertext, 'base64'));
    return { plaintext, key: { kdf: header.kdf, key } };
  } catch {
    key.fill(0);
    throw new WrongPasswordError();
  }
}

export async function decryptWallet(text: string, password: string): Promise<Uint8Array> {
  const { plaintext, key } = await openWalletText(text, password);
  key.key.fill(0);
  return plaintext;
}
