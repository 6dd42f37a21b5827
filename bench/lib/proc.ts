/** Linux /proc readings of another process: resident memory and consumed CPU time. */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  clkTck = 100;
}

/** VmRSS of `pid` in KiB (from /proc/<pid>/status); NaN if unreadable. */
export function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * utime + stime of `pid` in seconds (from /proc/<pid>/stat, fields 14 and 15); with `tid`, of
 * that one thread (the main thread's tid is the pid).
 */
export function cpuSeconds(pid: number, tid?: number): number {
  try {
    const s = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields resume after the last ')'.
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state), so field 14 is rest[11] and field 15 is rest[12].
    return (Number(rest[11]) + Number(rest[12])) / clkTck;
  } catch {
    return Number.NaN;
  }
}

/** 1-minute load average and core count, for the report. */
export function machineLoad(): { load1: number; load5: number; cores: number } {
  try {
    const [a, b] = readFileSync('/proc/loadavg', 'utf8').split(' ');
    return { load1: Number(a), load5: Number(b), cores: countCores() };
  } catch {
    return { load1: Number.NaN, load5: Number.NaN, cores: countCores() };
  }
}

function countCores(): number {
  try {
    return (readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm) ?? []).length;
  } catch {
    return 0;
  }
}

/** Waits until `pid` has used at most `maxCpuSec` CPU over `windowMs` (at most `maxMs`). */
export async function waitCpuQuiet(pid: number, maxMs = 8000, windowMs = 300, maxCpuSec = 0.01): Promise<void> {
  const t0 = Date.now();
  let c0 = cpuSeconds(pid);
  while (Date.now() - t0 < maxMs) {
    await new Promise((r) => setTimeout(r, windowMs));
    const c1 = cpuSeconds(pid);
    if (!(c1 - c0 > maxCpuSec)) return;
    c0 = c1;
  }
}

/**
 * The machine's TCP listen-queue overflows and SYN retransmissions so far (/proc/net/netstat,
 * all sockets): a burst that overflows the accept queue waits for 1 s retransmission timers.
 */
export function tcpCounters(): { listenOverflows: number; synRetrans: number } {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const i = lines.findIndex((l) => l.startsWith('TcpExt:'));
    const names = lines[i]!.split(' ');
    const values = lines[i + 1]!.split(' ');
    const get = (n: string): number => Number(values[names.indexOf(n)]);
    return { listenOverflows: get('ListenOverflows'), synRetrans: get('TCPSynRetrans') };
  } catch {
    return { listenOverflows: Number.NaN, synRetrans: Number.NaN };
  }
}

/** CPU-seconds of each thread of `pid` by `<name>/<tid>` (/proc/<pid>/task/<tid>/stat; the main thread's tid is the pid). */
export function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
      const sec = (Number(rest[11]) + Number(rest[12])) / clkTck;
      out.set(`${name}/${tid === String(pid) ? 'main' : tid}`, sec);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}
