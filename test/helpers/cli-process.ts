/**
 * The jm-* commands as child processes, the way users and scripts run them. Started with
 * `node --import tsx` (one process: a signal reaches the command itself, not a wrapper).
 * Every process is tracked until it exits: call stopCliProcesses() in afterEach/afterAll so a
 * failing test never leaves one running, and the worker kills any left when it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './wire-fixtures.js';

export type Command = 'jm-directory' | 'jm-wallet' | 'jm-orderbook' | 'jm-maker' | 'jm-taker';
export type JsonLine = Record<string, unknown>;

const running = new Set<CliProcess>();
process.once('exit', () => {
  for (const p of running) p.child.kill('SIGKILL');
});

interface Waiter {
  match: (line: string) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** stdin for the child; default none (the commands must never wait on a terminal). */
  stdin?: 'ignore' | 'pipe';
}

export class CliProcess {
  readonly stdoutLines: string[] = [];
  readonly stderrLines: string[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<Waiter>();

  private constructor(readonly command: Command, readonly child: ChildProcess) {
    running.add(this);
    child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: child.stdout! }).on('line', (l) => this.onLine(this.stdoutLines, l));
    createInterface({ input: child.stderr! }).on('line', (l) => this.onLine(this.stderrLines, l));
    // 'close': after the exit and the end of both pipes, so every line has been read.
    this.exited = new Promise((resolve) => {
      child.once('close', (code) => {
        running.delete(this);
        for (const w of [...this.waiters]) this.settle(w, new Error(`${command} exited (${code}) first; stderr: ${this.stderr.slice(-3000)}`));
        resolve(code);
      });
    });
  }

  static start(command: Command, args: readonly string[], o: StartOptions = {}): CliProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('src', 'cli', `${command}.ts`), ...args], {
      cwd: REPO_ROOT, env: { ...process.env, ...o.env }, stdio: [o.stdin ?? 'ignore', 'pipe', 'pipe'],
    });
    return new CliProcess(command, child);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private onLine(into: string[], line: string): void {
    into.push(line);
    for (const w of [...this.waiters]) {
      const v = w.match(line);
      if (v) this.settle(w, v);
    }
  }

  private settle(w: Waiter, v: unknown): void {
    this.waiters.delete(w);
    clearTimeout(w.timer);
    if (v instanceof Error) w.reject(v);
    else w.resolve(v);
  }

  private wait<T>(lines: readonly string[], match: (line: string) => T | null | undefined, ms: number, what: string): Promise<T> {
    for (const l of lines) {
      const v = match(l);
      if (v) return Promise.resolve(v);
    }
    if (!this.running) return Promise.reject(new Error(`${this.command} has exited; no ${what}; stderr: ${this.stderr.slice(-3000)}`));
    return new Promise<T>((resolve, reject) => {
      const w: Waiter = {
        match, resolve: resolve as (v: unknown) => void, reject,
        timer: setTimeout(() => this.settle(w, new Error(`no ${what} within ${ms} ms; stdout: ${this.stdout.slice(-2000)}; stderr: ${this.stderr.slice(-3000)}`)), ms),
      };
      this.waiters.add(w);
    });
  }

  /** The first stdout line (seen or future) matching `re`. */
  line(re: RegExp, ms = 60_000): Promise<RegExpMatchArray> {
    return this.wait(this.stdoutLines, (l) => l.match(re), ms, String(re));
  }

  /** The first JSON log line on `stream` (seen or future) for which `pred` holds. */
  jsonLine(stream: 'stdout' | 'stderr', pred: (l: JsonLine) => boolean, ms: number, what: string): Promise<JsonLine> {
    const parse = (l: string): JsonLine | null => {
      try {
        const o = JSON.parse(l) as unknown;
        return typeof o === 'object' && o !== null && pred(o as JsonLine) ? (o as JsonLine) : null;
      } catch {
        return null;
      }
    };
    return this.wait(stream === 'stdout' ? this.stdoutLines : this.stderrLines, parse, ms, what);
  }

  /** SIGTERM, then SIGKILL if still running after `graceMs`; resolves with the exit code. */
  async stop(graceMs = 15_000): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(t);
    }
  }
}

/** Stops every tracked process that is still running (afterEach/afterAll). */
export async function stopCliProcesses(graceMs = 15_000): Promise<void> {
  await Promise.all([...running].map((p) => p.stop(graceMs)));
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; killed (and the run rejected) after `timeoutMs`. */
export async function runCli(command: Command, args: readonly string[], o: StartOptions & { timeoutMs?: number } = {}): Promise<CliRun> {
  const p = CliProcess.start(command, args, o);
  const ms = o.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void p.stop(2_000);
      reject(new Error(`${command} ${args.join(' ')} did not exit within ${ms} ms; stderr: ${p.stderr.slice(-3000)}`));
    }, ms);
  });
  try {
    const code = await Promise.race([p.exited, timeout]);
    return { code, stdout: p.stdout, stderr: p.stderr };
  } finally {
    clearTimeout(timer);
  }
}
