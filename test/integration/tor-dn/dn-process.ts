/** Runs the jm-directory CLI as a child process and reads its JSON log lines. */
import type { ChildProcess } from 'node:child_process';
import { z } from 'zod';
import { CliProcess, type JsonLine } from '../../helpers/cli-process.js';

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

export class DnProcess {
  private constructor(private readonly p: CliProcess) {}

  /** Tracked by test/helpers/cli-process.ts: stopCliProcesses() stops it if a test fails. */
  static start(args: string[]): DnProcess {
    return new DnProcess(CliProcess.start('jm-directory', args));
  }

  get child(): ChildProcess {
    return this.p.child;
  }

  get stderr(): string {
    return this.p.stderr;
  }

  get exited(): Promise<number | null> {
    return this.p.exited;
  }

  /** The JSON log lines so far. */
  get lines(): JsonLine[] {
    return this.p.stdoutLines.flatMap((l) => {
      try {
        return [JSON.parse(l) as JsonLine];
      } catch {
        return [];
      }
    });
  }

  /** The first log line (already seen or future) matching pred. */
  waitLine(pred: (l: JsonLine) => boolean, timeoutMs: number, what: string): Promise<JsonLine> {
    return this.p.jsonLine('stdout', pred, timeoutMs, what);
  }

  async ready(timeoutMs: number): Promise<Ready> {
    return ReadyLine.parse(await this.waitLine((l) => l.msg === 'ready', timeoutMs, 'the ready line'));
  }

  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null> {
    if (this.p.running) this.p.child.kill('SIGTERM');
    return this.p.exited;
  }

  /** SIGTERM (the DN stops its managed tor), SIGKILL if still alive after graceMs. */
  async kill(graceMs = 15_000): Promise<void> {
    await this.p.stop(graceMs);
  }
}
