/**
 * Child processes of the benchmarks: keeping dist/ fresh (children run the built JavaScript),
 * and starting a server process that announces itself with a "ready" log line.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the nearest parent with a package.json (works from bench/ and dist/bench/). */
export function findRoot(from: string = fileURLToPath(import.meta.url)): string {
  let d = dirname(from);
  while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
  return d;
}

function newestMtime(dir: string, exts: string[]): number {
  let m = 0;
  if (!existsSync(dir)) return m;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) m = Math.max(m, newestMtime(p, exts));
    else if (exts.some((x) => e.name.endsWith(x))) m = Math.max(m, statSync(p).mtimeMs);
  }
  return m;
}

/**
 * Rebuilds dist/ (tsc -p tsconfig.build.json) when any of `outputs` is older than the newest
 * source under src/ and bench/, unless `build` is false. Throws if a `required` output is missing.
 */
export function ensureBuilt(root: string, outputs: string[], required: string[], build: boolean, log: (m: string) => void): void {
  const srcNewest = Math.max(newestMtime(join(root, 'src'), ['.ts']), newestMtime(join(root, 'bench'), ['.ts']));
  const oldest = Math.min(...outputs.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
  if (oldest >= srcNewest) return;
  if (!build) {
    log('dist/ is stale but --no-build was given; using it as it is');
    return;
  }
  log('building dist/ (tsc -p tsconfig.build.json) ...');
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  const r = spawnSync(tsc, ['-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    log(`tsc exited ${r.status}; continuing with what it emitted:\n${(r.stdout + r.stderr).split('\n').slice(0, 10).join('\n')}`);
  }
  for (const f of required) if (!existsSync(f)) throw new Error(`build did not produce ${relative(root, f)}`);
}

export interface ReadyProcess<T> {
  child: ChildProcess;
  pid: number;
  /** What `ready` extracted from the ready line. */
  info: T;
  /** The last 40 lines of stdout and stderr (for error messages). */
  tail: string[];
  /** Bytes the process wrote to stdout and stderr so far. */
  outputBytes(): number;
}

export interface SpawnReadyOptions<T> {
  label: string;
  cwd: string;
  /** Node arguments (script first, or node options then the script). */
  args: string[];
  /** Which stream carries the ready line. */
  stream: 'stdout' | 'stderr';
  /** Returns the ready info from a line, or null if the line is not it. */
  ready: (line: string) => T | null;
  timeoutMs?: number;
  /** Called with every complete output line of both streams after start (e.g. to spot errors). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Added to the environment the child inherits. */
  env?: NodeJS.ProcessEnv;
}

/** Spawns `node <args>` and resolves once a line on `stream` satisfies `ready`. */
export function spawnReady<T>(o: SpawnReadyOptions<T>): Promise<ReadyProcess<T>> {
  const child = spawn(process.execPath, o.args, { cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(o.env ? { env: { ...process.env, ...o.env } } : {}) });
  const tail: string[] = [];
  let bytes = 0;
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => finish(new Error(`${o.label} did not become ready within ${(o.timeoutMs ?? 20_000) / 1000} s:\n${tail.join('\n')}`)), o.timeoutMs ?? 20_000);
    const finish = (err: Error | null, info?: T): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else resolve({ child, pid: child.pid!, info: info as T, tail, outputBytes: () => bytes });
    };
    for (const name of ['stdout', 'stderr'] as const) {
      let buf = '';
      const s = child[name]!;
      s.setEncoding('utf8');
      s.on('data', (chunk: string) => {
        bytes += Buffer.byteLength(chunk);
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) !== -1) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) {
            tail.push(line.slice(0, 500));
            if (tail.length > 40) tail.shift();
          }
          o.onLine?.(line, name);
          if (!done && name === o.stream) {
            const info = o.ready(line);
            if (info !== null) finish(null, info);
          }
        }
        // A process that never ends its lines must not grow this buffer without bound.
        if (buf.length > 1_000_000) buf = buf.slice(-100_000);
      });
    }
    child.on('exit', (code, signal) => finish(new Error(`${o.label} exited (${code ?? signal}) before ready:\n${tail.join('\n')}`)));
  });
}

/** SIGTERM, then SIGKILL after `graceMs`. Resolves with the exit code (null if killed) and how long it took. */
export async function stopChild(child: ChildProcess, graceMs = 8_000): Promise<{ code: number | null; signal: string | null; ms: number; killed: boolean }> {
  const t0 = performance.now();
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode, ms: 0, killed: false };
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([exited, new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), graceMs)))]);
  clearTimeout(timer);
  if (r !== 'timeout') return { ...r, ms: performance.now() - t0, killed: false };
  child.kill('SIGKILL');
  const k = await exited;
  return { ...k, ms: performance.now() - t0, killed: true };
}

/** The listening port in a jm-directory (or baseline server) `"msg":"ready"` log line. */
export function readyPort(line: string): number | null {
  if (!line.includes('"msg":"ready"')) return null;
  const m = /127\.0\.0\.1:(\d+)/.exec(line);
  return m && Number(m[1]) > 0 ? Number(m[1]) : null;
}
