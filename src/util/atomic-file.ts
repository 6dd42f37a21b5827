/**
 * Files that must never be half-written or readable by others (wallet, commitment lists, onion
 * keys). A write goes to a temp file in the same directory, created exclusively with the final
 * mode, written and fsynced; then it is put in place and the directory is fsynced:
 * - replace: rename(temp, path), atomic over an existing file;
 * - create: link(temp, path), which fails with EEXIST if the path appeared meanwhile, so there
 *   is no check-then-write race (two writers cannot both "create" the file).
 * Readers therefore see the old or the new content, never a mix, and a crash leaves one of them.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export class FileExistsError extends Error {
  constructor(readonly path: string) {
    super(`${path} already exists; refusing to overwrite it`);
    this.name = 'FileExistsError';
  }
}

export interface AtomicWriteOptions {
  /** Replace an existing file (default: refuse with FileExistsError). */
  overwrite?: boolean;
  /** Mode of the new file (default 0600). */
  mode?: number;
}

/** Errors of file systems without hard links; creation then falls back to an exclusive copy. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/** A failed write, named by the file asked for (never by the temp file beside it). */
export class FileWriteError extends Error {
  override readonly name = 'FileWriteError';
  constructor(readonly path: string, readonly code: string) {
    super(`cannot write ${path}: ${code === 'ENOENT' ? `directory ${dirname(path)} does not exist` : code}`);
  }
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, o: AtomicWriteOptions = {}): Promise<void> {
  try {
    await writeVia(path, data, o);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof FileExistsError || typeof code !== 'string') throw e;
    throw new FileWriteError(path, code);
  }
}

async function writeVia(path: string, data: string | Uint8Array, o: AtomicWriteOptions): Promise<void> {
  const mode = o.mode ?? 0o600;
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fs.open(tmp, 'wx', mode);
  try {
    try {
      await fh.chmod(mode); // the umask may have narrowed it; never wider than asked
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (o.overwrite) await fs.rename(tmp, path);
    else await createFrom(tmp, path);
  } finally {
    await fs.rm(tmp, { force: true });
  }
  await syncDirectory(dirname(path));
}

async function createFrom(tmp: string, path: string): Promise<void> {
  try {
    await fs.link(tmp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') throw new FileExistsError(path);
    if (!NO_LINKS.has(code)) throw e;
    try {
      await fs.copyFile(tmp, path, constants.COPYFILE_EXCL);
    } catch (c) {
      if ((c as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExistsError(path);
      throw c;
    }
    const copy = await fs.open(path, 'r+');
    try {
      await copy.sync();
    } finally {
      await copy.close();
    }
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const d = await fs.open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/**
 * Refuses a secret file that the group or others may read or write (as ssh does for keys).
 * `what` names it in the message, e.g. "wallet file".
 */
export async function assertPrivateFile(path: string, what: string): Promise<void> {
  const st = await fs.stat(path);
  if ((st.mode & 0o077) !== 0) {
    throw new InsecureFileError(`${what} ${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${path}`);
  }
}

export class InsecureFileError extends Error {
  override readonly name = 'InsecureFileError';
}
