/**
 * Persisted onion service key: a 0600 JSON file holding tor's "ED25519-V3:<base64>" blob and the
 * address it yields, so the service keeps its address across restarts.
 */
import { readFile } from 'node:fs/promises';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { z } from 'zod';
import { onionHostFromPubkey } from '../../protocol/onion.js';
import { assertPrivateFile, InsecureFileError, writeFileAtomic } from '../../util/atomic-file.js';
import { TorSetupError } from './errors.js';

export interface OnionKey {
  /** "ED25519-V3:<base64 of the 64-byte expanded secret key>" as ADD_ONION takes it. */
  privateKey: string;
  /** "<56 chars>.onion" */
  onion: string;
}

const keyFileSchema = z.object({
  version: z.literal(1),
  type: z.literal('ED25519-V3'),
  privateKey: z.string().regex(/^ED25519-V3:[A-Za-z0-9+/]{86}==$/),
  onion: z.string().regex(/^[a-z2-7]{56}\.onion$/),
});

/** Derives the onion host from tor's expanded ed25519 secret (first 32 bytes: clamped scalar, little-endian). */
export function onionFromPrivateKey(privateKey: string): string {
  const raw = Buffer.from(privateKey.replace(/^ED25519-V3:/, ''), 'base64');
  if (raw.length !== 64) throw new TorSetupError('ED25519-V3 key must decode to 64 bytes');
  const scalar = bytesToNumberLE(raw.subarray(0, 32)) % ed25519.Point.Fn.ORDER;
  if (scalar === 0n) throw new TorSetupError('ED25519-V3 key has a zero scalar');
  return onionHostFromPubkey(ed25519.Point.BASE.multiply(scalar).toBytes());
}

/** Reads and checks a key file; undefined if it does not exist. */
export async function loadOnionKey(file: string): Promise<OnionKey | undefined> {
  let text: string;
  try {
    await assertPrivateFile(file, 'onion key file');
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof InsecureFileError) throw new TorSetupError(err.message);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TorSetupError(`cannot read onion key file ${file}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TorSetupError(`onion key file ${file} is not valid JSON`);
  }
  const parsed = keyFileSchema.safeParse(json);
  if (!parsed.success) throw new TorSetupError(`onion key file ${file} is invalid: ${z.prettifyError(parsed.error)}`);
  const derived = onionFromPrivateKey(parsed.data.privateKey);
  if (derived !== parsed.data.onion) {
    throw new TorSetupError(`onion key file ${file}: key yields ${derived}, not the recorded ${parsed.data.onion}`);
  }
  return { privateKey: parsed.data.privateKey, onion: parsed.data.onion };
}

/** Writes the key atomically with mode 0600 (src/util/atomic-file.ts). */
export async function saveOnionKey(file: string, key: OnionKey): Promise<void> {
  const body = JSON.stringify({ version: 1, type: 'ED25519-V3', privateKey: key.privateKey, onion: key.onion }) + '\n';
  try {
    await writeFileAtomic(file, body, { overwrite: true });
  } catch (err) {
    throw new TorSetupError(`cannot write onion key file ${file}: ${(err as Error).message}`, { cause: err });
  }
}
