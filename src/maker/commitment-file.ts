/**
 * Where the maker's commitment list lives: one text file, read as a stream of lines (never
 * whole: a list grown huge elsewhere costs no more memory than the lines we keep), grown by
 * appending batches, and replaced atomically when it is compacted.
 */
import { createReadStream, promises as fs } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-file.js';
import { LineSplitter } from '../protocol/framing.js';

export interface CommitmentStore {
  /** Calls `onLine` with each line's bytes in order (valid only during the call); resolves with how many over-long lines were skipped. */
  read(onLine: (line: Buffer) => void): Promise<{ skipped: number }>;
  append(text: string): Promise<void>;
  replace(text: string): Promise<void>;
}

/** No line of a valid list is longer than this (a 64-hex entry or a short `#` marker). */
const MAX_LIST_LINE = 256;

export class CommitmentFile implements CommitmentStore {
  private modeChecked = false;

  constructor(readonly path: string) {}

  async read(onLine: (line: Buffer) => void): Promise<{ skipped: number }> {
    const splitter = new LineSplitter(MAX_LIST_LINE, { skipOversize: true });
    let skipped = 0;
    const take = (chunk: Buffer): void => {
      for (const ev of splitter.pushBytes(chunk)) {
        if (ev.kind === 'line') onLine(ev.data);
        else skipped++;
      }
    };
    try {
      for await (const chunk of createReadStream(this.path, { highWaterMark: 64 * 1024 })) take(chunk as Buffer);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { skipped: 0 };
      throw new Error(`cannot read commitment list ${this.path}: ${(e as Error).message}`);
    }
    take(Buffer.from('\n')); // a last line without a newline
    return { skipped };
  }

  async append(text: string): Promise<void> {
    const fh = await fs.open(this.path, 'a', 0o600);
    try {
      if (!this.modeChecked) await fh.chmod(0o600); // a list made elsewhere may be wider
      this.modeChecked = true;
      await fh.appendFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  replace(text: string): Promise<void> {
    return writeFileAtomic(this.path, text, { overwrite: true });
  }
}

/** Keeps everything in memory and counts what would have been written (tests, benchmarks). */
export class MemoryCommitmentStore implements CommitmentStore {
  text = '';
  appends = 0;
  replaces = 0;
  bytesWritten = 0;

  async read(onLine: (line: Buffer) => void): Promise<{ skipped: number }> {
    for (const l of this.text.split('\n')) onLine(Buffer.from(l));
    return { skipped: 0 };
  }

  async append(text: string): Promise<void> {
    this.text += text;
    this.appends++;
    this.bytesWritten += text.length;
  }

  async replace(text: string): Promise<void> {
    this.text = text;
    this.replaces++;
    this.bytesWritten += text.length;
  }
}
