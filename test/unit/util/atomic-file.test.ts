// The one atomic writer (wallet, commitment lists, onion key): 0600 whatever the umask, create
// refuses an existing file even when two writers race, replace is all-or-nothing, no temp files left.
import { chmodSync, mkdtempSync, promises as fs, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertPrivateFile, FileExistsError, FileWriteError, InsecureFileError, writeFileAtomic } from '../../../src/util/atomic-file.js';

const dir = mkdtempSync(join(tmpdir(), 'jm-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const temps = async () => (await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'));

describe('writeFileAtomic', () => {
  it('errors name the target file, never the temporary one', async () => {
    const missing = join(dir, 'no-such-dir', 'w.jmw');
    const err = await writeFileAtomic(missing, 'x').catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(FileWriteError);
    expect((err as Error).message).toBe(`cannot write ${missing}: directory ${join(dir, 'no-such-dir')} does not exist`);
    const intoDir = await writeFileAtomic(dir, 'x', { overwrite: true }).catch((e: unknown) => e as Error);
    expect((intoDir as Error).message).toMatch(new RegExp(`^cannot write ${dir}: E[A-Z]+$`));
    expect(await temps()).toEqual([]);
  });

  it('creates 0600 (even with umask 0), refuses to overwrite unless asked, leaves no temp files', async () => {
    const p = join(dir, 'a.json');
    const old = process.umask(0);
    try {
      await writeFileAtomic(p, 'one');
    } finally {
      process.umask(old);
    }
    expect(statSync(p).mode & 0o777).toBe(0o600);
    await expect(writeFileAtomic(p, 'two')).rejects.toThrow(FileExistsError);
    await expect(writeFileAtomic(p, 'two')).rejects.toThrow(/already exists; refusing to overwrite/);
    expect(await fs.readFile(p, 'utf8')).toBe('one');
    await writeFileAtomic(p, 'three', { overwrite: true });
    expect(await fs.readFile(p, 'utf8')).toBe('three');
    expect(await temps()).toEqual([]);
  });

  it('of two writers racing to create one file, exactly one wins and its content is whole', async () => {
    for (let round = 0; round < 10; round++) {
      const p = join(dir, `race-${round}`);
      const bodies = ['A'.repeat(100_000), 'B'.repeat(100_000)];
      const r = await Promise.allSettled(bodies.map((b) => writeFileAtomic(p, b)));
      expect(r.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
      expect((r.find((x) => x.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(FileExistsError);
      expect(bodies).toContain(await fs.readFile(p, 'utf8'));
    }
    expect(await temps()).toEqual([]);
  });

  it('a failed write leaves the old file intact', async () => {
    const p = join(dir, 'b.json');
    await writeFileAtomic(p, 'old');
    const bad = { [Symbol.iterator]: () => { throw new Error('boom'); } } as unknown as Uint8Array;
    await expect(writeFileAtomic(p, bad, { overwrite: true })).rejects.toThrow();
    expect(await fs.readFile(p, 'utf8')).toBe('old');
    expect(await temps()).toEqual([]);
  });

  it('honours another mode and fails cleanly in a missing directory', async () => {
    const p = join(dir, 'public.txt');
    await writeFileAtomic(p, 'x', { mode: 0o644 });
    expect(statSync(p).mode & 0o777).toBe(0o644);
    await expect(writeFileAtomic(join(dir, 'nope', 'f'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('assertPrivateFile', () => {
  it('accepts 0600 and 0400, refuses any group or other bit with the fix in the message', async () => {
    const p = join(dir, 'secret');
    await writeFileAtomic(p, 's');
    await assertPrivateFile(p, 'test file');
    chmodSync(p, 0o400);
    await assertPrivateFile(p, 'test file');
    for (const mode of [0o604, 0o640, 0o620, 0o602]) {
      chmodSync(p, mode);
      await expect(assertPrivateFile(p, 'test file')).rejects.toThrow(InsecureFileError);
    }
    await expect(assertPrivateFile(p, 'test file')).rejects.toThrow(`run: chmod 600 ${p}`);
    await expect(assertPrivateFile(join(dir, 'missing'), 'test file')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
