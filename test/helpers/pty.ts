/**
 * A jm-* command on a real pseudo-terminal, for the prompts that only run on a terminal
 * (hidden password entry, [y/N] confirmations). util-linux `script` allocates the terminal:
 * what we write to its stdin is typed at the terminal, everything the command writes to it
 * (stdout and stderr, and the terminal's own echo) comes back as one transcript. `--echo always`
 * keeps the terminal echoing as a user's terminal does, so only the command itself can hide what
 * is typed. Every process is tracked: call stopPtyProcesses() in afterEach.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Command } from './cli-process.js';
import { REPO_ROOT } from './wire-fixtures.js';

const running = new Set<PtyProcess>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/** util-linux `script` with the options used here (false on a system without it). */
export function ptyAvailable(): boolean {
  const r = spawnSync('script', ['--version'], { encoding: 'utf8' });
  return r.status === 0 && /util-linux/.test(r.stdout);
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

export class PtyProcess {
  /** Everything the terminal showed, CRLF turned into LF. */
  transcript = '';
  readonly exited: Promise<number | null>;
  private seen = 0;
  private waiter: (() => void) | null = null;

  private constructor(private readonly child: ChildProcess) {
    running.add(this);
    child.stdout!.on('data', (d: Buffer) => {
      this.transcript += d.toString('utf8').replace(/\r\n/g, '\n');
      this.waiter?.();
    });
    this.exited = new Promise((resolve) => {
      child.once('close', (code) => {
        running.delete(this);
        this.waiter?.();
        resolve(code);
      });
    });
  }

  /** Starts `command args` on a new terminal; `env` replaces the given variables (undefined removes one). */
  static start(command: Command, args: readonly string[], env: Record<string, string | undefined> = {}): PtyProcess {
    const cmd = [process.execPath, '--import', 'tsx', path.join('src', 'cli', `${command}.ts`), ...args].map(shellQuote).join(' ');
    const e: Record<string, string | undefined> = { ...process.env, TERM: 'dumb', ...env };
    for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
    // -e: script exits with the command's exit code; -f: flush at once; -q: no start/end banner.
    const child = spawn('script', ['-q', '-f', '-e', '--echo', 'always', '-c', cmd, '/dev/null'], {
      cwd: REPO_ROOT, env: e as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'inherit'], detached: true,
    });
    return new PtyProcess(child);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until the terminal shows `text` after what earlier waits consumed; returns what came before it. */
  async waitFor(text: string, ms = 60_000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const at = this.transcript.indexOf(text, this.seen);
      if (at >= 0) {
        const before = this.transcript.slice(this.seen, at);
        this.seen = at + text.length;
        return before;
      }
      if (!this.running) throw new Error(`exited before showing ${JSON.stringify(text)}; terminal: ${this.transcript.slice(-2000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${JSON.stringify(text)} within ${ms} ms; terminal: ${this.transcript.slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          this.waiter = null;
          resolve();
        };
      });
    }
  }

  /** Types `text` at the terminal (a line needs its "\r", as the Enter key sends). */
  type(text: string): void {
    this.child.stdin!.write(text);
  }

  /** The exit code, after the command ended by itself. */
  async exitCode(ms = 60_000): Promise<number | null> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`still running after ${ms} ms; terminal: ${this.transcript.slice(-2000)}`)), ms)));
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  /** Signals script and the command under it (their own process group). */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child.pid === undefined || !this.running) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch { /* already gone */ }
  }
}

/** Stops every tracked terminal session still running (afterEach). */
export async function stopPtyProcesses(): Promise<void> {
  await Promise.all([...running].map(async (p) => {
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 5_000);
    await p.exited;
    clearTimeout(t);
  }));
}
