/** Mode 2: an operator-managed HiddenServiceDir in the system torrc; we only read its hostname file. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isValidOnionV3Host } from '../../protocol/onion.js';
import { TorSetupError } from './errors.js';

/** Reads DIR/hostname and returns the checksum-validated "<56 chars>.onion". */
export async function readHiddenServiceHostname(dir: string): Promise<string> {
  const file = path.join(dir, 'hostname');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT'
        ? ' (tor writes it when it starts with `HiddenServiceDir` and `HiddenServicePort` in its torrc; reload tor first)'
        : code === 'EACCES'
          ? ' (permission denied: the directory is tor-owned 0700; give this user read access, e.g. HiddenServiceDirGroupReadable 1 and group membership)'
          : '';
    throw new TorSetupError(`cannot read ${file}: ${code ?? (err as Error).message}${hint}`, { cause: err });
  }
  const host = text.trim();
  if (!isValidOnionV3Host(host)) {
    throw new TorSetupError(`${file} does not hold a valid v3 onion address (got ${JSON.stringify(host.slice(0, 70))})`);
  }
  return host;
}
