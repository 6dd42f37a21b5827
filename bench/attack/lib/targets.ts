/**
 * The processes under attack: our directory node (`jm-directory --transport tcp`) and the
 * orderbook watcher (`jm-orderbook serve`), each a child process running the built dist/,
 * plus a sampler of their resident memory.
 */
import net from 'node:net';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { spawnReady, stopChild } from '../../lib/child.js';
import { rssKiB } from '../../lib/proc.js';

export const NETWORK = 'mainnet';

export interface Target {
  label: string;
  pid: number;
  child: ChildProcess;
  /** Lines that mean the process failed: anything on stderr, error/fatal log lines. */
  errors: string[];
  /** Bytes of log output so far. */
  logBytes(): number;
  alive(): boolean;
  rssMiB(): number;
  stop(graceMs?: number): Promise<{ code: number | null; signal: string | null; ms: number; killed: boolean }>;
}

export interface DnTarget extends Target {
  port: number;
  nick: string;
  /** host:port of /health and /metrics when started with http. */
  http: string | null;
  /**
   * Disconnects the DN logged for these nicks (epoch ms and reason), from its log: a peer that
   * does not read never sees the FIN queued behind its unread data, but the DN's log does.
   */
  watchDisconnects(nicks: Iterable<string>): Map<string, { time: number; reason: string }>;
}

function target(label: string, p: { child: ChildProcess; pid: number; outputBytes(): number }, errors: string[]): Target {
  return {
    label, pid: p.pid, child: p.child, errors,
    logBytes: () => p.outputBytes(),
    alive: () => p.child.exitCode === null && p.child.signalCode === null,
    rssMiB: () => rssKiB(p.pid) / 1024,
    stop: (graceMs) => stopChild(p.child, graceMs),
  };
}

/** Collects what counts as a failure of the process. */
function errorCollector(errors: string[]): (line: string, stream: 'stdout' | 'stderr') => void {
  return (line, stream) => {
    if (!line.trim()) return;
    const bad = stream === 'stderr' ? !line.startsWith('{') || /"level":(50|60)/.test(line) : /"level":(50|60)/.test(line);
    if (bad && errors.length < 200) errors.push(`${stream}: ${line.slice(0, 300)}`);
  };
}

/**
 * jm-directory flags that turn the DN-wide broadcast budget and the privmsg byte budgets off:
 * for rows that test a defence behind the DN (maker, watcher) or a per-connection limit, so the
 * flood reaches it as a DN without those budgets (the reference's) would relay it.
 */
export const BUDGET_OFF_ARGS = ['--broadcast-rate', '0', '--broadcast-bytes', '0', '--broadcast-orderbook', '0', '--privmsg-bytes', '0', '--privmsg-recv-bytes', '0'];

export interface DnOptions {
  root: string;
  /** Default NETWORK. */
  network?: string;
  /** Extra jm-directory flags (limits for a scenario). */
  args?: string[];
  /** Node options, e.g. --cpu-prof. */
  nodeArgs?: string[];
  http?: boolean;
  logLevel?: string;
}

export async function startDn(o: DnOptions): Promise<DnTarget> {
  const errors: string[] = [];
  const watched = new Map<string, Map<string, { time: number; reason: string }>>();
  const collect = errorCollector(errors);
  const onLine = (line: string, stream: 'stdout' | 'stderr'): void => {
    collect(line, stream);
    if (watched.size === 0 || !line.includes('"msg":"disconnect"')) return;
    const j = JSON.parse(line) as { nick?: string; reason?: string; time?: number };
    const into = j.nick !== undefined ? watched.get(j.nick) : undefined;
    if (into) into.set(j.nick!, { time: j.time ?? Date.now(), reason: j.reason ?? '' });
  };
  // JM_ATTACK_DN / JM_ATTACK_WATCHER: another build's entry point (to measure a before/after).
  const script = process.env.JM_ATTACK_DN ?? join(o.root, 'dist', 'src', 'cli', 'jm-directory.js');
  const args = [...(o.nodeArgs ?? []), script, '--transport', 'tcp', '--listen', '127.0.0.1:0', '--network', o.network ?? NETWORK,
    '--log-level', o.logLevel ?? 'info', ...(o.http ? ['--http', '127.0.0.1:0'] : []), ...(o.args ?? [])];
  const p = await spawnReady({
    label: 'jm-directory', cwd: o.root, args, stream: 'stdout', onLine,
    ready: (line) => {
      if (!line.includes('"msg":"ready"')) return null;
      const j = JSON.parse(line) as { port?: number; nick?: string; http?: string };
      return j.port && j.nick ? { port: j.port, nick: j.nick, http: j.http ?? null } : null;
    },
  });
  const watchDisconnects = (nicks: Iterable<string>): Map<string, { time: number; reason: string }> => {
    const m = new Map<string, { time: number; reason: string }>();
    for (const n of nicks) watched.set(n, m);
    return m;
  };
  return { ...target('DN', p, errors), ...p.info, watchDisconnects };
}

export interface WatcherTarget extends Target {
  url: string;
}

export async function startWatcher(o: { root: string; dnPort: number; args?: string[] }): Promise<WatcherTarget> {
  const errors: string[] = [];
  const httpPort = await freePort();
  const script = process.env.JM_ATTACK_WATCHER ?? join(o.root, 'dist', 'src', 'cli', 'jm-orderbook.js');
  const args = [script, 'serve', '--transport', 'tcp', '--directory', `127.0.0.1:${o.dnPort}`, '--network', NETWORK, '--http', `127.0.0.1:${httpPort}`, '--log-level', 'info', ...(o.args ?? [])];
  const p = await spawnReady({
    label: 'jm-orderbook', cwd: o.root, args, stream: 'stderr', onLine: errorCollector(errors),
    ready: (line) => {
      if (!line.includes('"msg":"ready"')) return null;
      const j = JSON.parse(line) as { url?: string };
      return j.url ?? null;
    },
  });
  return { ...target('watcher', p, errors), url: p.info };
}

/** A port that was free a moment ago (for programs that need a fixed one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A V8 heap cap for leak checks: the DN's live heap is ~15 MiB however many connections came
 * and went, so with this cap a leak ends in a crash (a failed row) instead of hiding in RSS,
 * which V8 and malloc otherwise let creep up to their own high-water marks.
 */
export const LEAK_CHECK_NODE_ARGS = ['--max-old-space-size=96'];

/** Samples a process's RSS every `everyMs` and keeps the peak. */
export class RssSampler {
  peakMiB = 0;
  readonly series: Array<[number, number]> = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly t0 = performance.now();

  constructor(private readonly t: Target, private readonly everyMs = 100, private readonly keepSeries = false) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  sample(): number {
    const v = this.t.rssMiB();
    if (Number.isFinite(v)) {
      if (v > this.peakMiB) this.peakMiB = v;
      if (this.keepSeries) this.series.push([(performance.now() - this.t0) / 1000, v]);
    }
    return v;
  }

  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    return this.peakMiB;
  }
}
