/** Runs the jm-directory CLI as a child process and reads its JSON log lines. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { REPO_ROOT } from '../../helpers/wire-fixtures.js';

const CLI = path.join(REPO_ROOT, 'src', 'cli', 'jm-directory.ts');

export const ReadyLine = z.object({
  msg: z.literal('ready'),
  listen: z.string(),
  port: z.number().int().positive(),
  nick: z.string(),
  transport: z.literal('tor'),
  location: z.string(),
  onion: z.string(),
  http: z.string().optional(),
});
export type Ready = z.infer<typeof ReadyLine>;

type LogLine = Record<string, unknown>;
type Waiter = { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class DnProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<Waiter>();

  private constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let l: LogLine;
      try {
        l = JSON.parse(text) as LogLine;
      } catch {
        return;
      }
      this.lines.push(l);
      for (const w of [...this.waiters]) if (w.pred(l)) this.settle(w, l);
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => {
      child.on('exit', (code) => {
        for (const w of [...this.waiters]) this.settle(w, new Error(`jm-directory exited (${code}) while waiting; stderr: ${this.stderr}`));
        resolve(code);
      });
    });
  }

  static start(args: string[]): DnProcess {
    // node --import tsx (not the tsx wrapper): one process, so a kill reaches the DN itself.
    return new DnProcess(spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  private settle(w: Waiter, v: LogLine | Error): void {
    this.waiters.delete(w);
    clearTimeout(w.timer);
    if (v instanceof Error) w.reject(v);
    else w.resolve(v);
  }

  /** The first log line (already seen or future) matching pred. */
  waitLine(pred: (l: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        pred,
        resolve,
        reject,
        timer: setTimeout(() => this.settle(w, new Error(`timed out waiting for ${what}`)), timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  async ready(timeoutMs: number): Promise<Ready> {
    return ReadyLine.parse(await this.waitLine((l) => l.msg === 'ready', timeoutMs, 'the ready line'));
  }

  /** SIGTERM; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  /** SIGTERM (the DN stops its managed tor), SIGKILL if still alive after graceMs. */
  async kill(graceMs = 15_000): Promise<void> {
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.stop();
    clearTimeout(t);
  }
}
