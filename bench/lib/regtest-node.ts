/**
 * Throwaway loopback-only regtest node for integration tests and benchmarks (our TypeScript take on the
 * shared regtest-node.sh recipe). Prefers Bitcoin Core (bitcoind) when present; otherwise
 * Debian's litecoind 0.21 (a Core 0.21 fork) with its quirks: hrp "rltc", P2SH version 0x3a,
 * MWEB kept inactive, CLTV buried at height 1351, legacy wallets only (no sqlite).
 * Nothing listens except RPC on 127.0.0.1; no P2P, no DNS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { z } from 'zod';
import { CoreRpc } from '../../src/wallet/backend/rpc.js';
import { customNetwork, getNetwork, type NetworkParams } from '../../src/wallet/network.js';

export interface RegtestNode {
  rpc: CoreRpc;
  url: string;
  user: string;
  password: string;
  impl: 'bitcoind' | 'litecoind';
  version: string;
  network: NetworkParams;
  /** First height at which CLTV (BIP65) is enforced. */
  cltvHeight: number;
  datadir: string;
  mine(blocks: number, toAddress: string): Promise<string[]>;
  stop(): Promise<void>;
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | null {
  for (const d of (process.env['PATH'] ?? '').split(delimiter)) if (d && executable(join(d, name))) return join(d, name);
  return null;
}

/** The node binary to use, or null. Debian's /usr/bin/litecoind is a wrapper; prefer the real one. */
export function findRegtestBinary(): { impl: 'bitcoind' | 'litecoind'; path: string } | null {
  const envB = process.env['BITCOIND'];
  if (envB && executable(envB)) return { impl: 'bitcoind', path: envB };
  const envL = process.env['LITECOIND'];
  if (envL && executable(envL)) return { impl: 'litecoind', path: envL };
  const b = onPath('bitcoind');
  if (b) return { impl: 'bitcoind', path: b };
  if (executable('/usr/lib/litecoin/litecoind')) return { impl: 'litecoind', path: '/usr/lib/litecoin/litecoind' };
  const l = onPath('litecoind');
  return l ? { impl: 'litecoind', path: l } : null;
}

/** true when a node can run; false (skip, with a message) locally; throws under CI. */
export function regtestAvailable(): boolean {
  if (findRegtestBinary()) return true;
  const msg = 'no regtest node binary (bitcoind or litecoind); install with: apt-get install -y litecoind';
  if (process.env['CI'] === 'true') throw new Error(msg);
  console.warn(`skipping regtest integration tests: ${msg}`);
  return false;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function conf(impl: 'bitcoind' | 'litecoind', port: number, user: string, password: string): string {
  const lines = [
    'regtest=1', '[regtest]', 'server=1', 'rpcbind=127.0.0.1', 'rpcallowip=127.0.0.1', `rpcport=${port}`,
    `rpcuser=${user}`, `rpcpassword=${password}`, 'rpcservertimeout=10',
    'listen=0', 'connect=0', 'dnsseed=0', 'fixedseeds=0', 'discover=0', 'upnp=0', 'listenonion=0', 'dns=0',
    'acceptnonstdtxn=0', 'fallbackfee=0.0002', 'txindex=1', 'checkblockindex=0', 'printtoconsole=0',
  ];
  // litecoind: never activate MWEB (its first block needs a peg-in); Core's dust/RBF policy
  if (impl === 'litecoind') lines.push('vbparams=mweb:-2:-2', 'dustrelayfee=0.00003', 'mempoolreplacement=1');
  return `${lines.join('\n')}\n`;
}

export async function startRegtestNode(o: { startTimeoutMs?: number } = {}): Promise<RegtestNode> {
  const bin = findRegtestBinary();
  if (!bin) throw new Error('no regtest node binary found');
  const datadir = mkdtempSync(join(tmpdir(), 'jm-regtest-'));
  let lastErr = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const user = `rt${randomBytes(4).toString('hex')}`;
    const password = randomBytes(24).toString('hex');
    writeFileSync(join(datadir, bin.impl === 'bitcoind' ? 'bitcoin.conf' : 'litecoin.conf'), conf(bin.impl, port, user, password), { mode: 0o600 });
    const child = spawn(bin.path, [`-datadir=${datadir}`, '-daemon=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = `http://127.0.0.1:${port}`;
    const rpc = new CoreRpc({ url, auth: { user, password }, timeoutMs: 10_000 });
    const ready = await waitReady(rpc, exited, o.startTimeoutMs ?? 60_000);
    if (ready === 'ok') return finish(bin.impl, rpc, url, user, password, datadir, child, exited);
    if (ready === 'timeout') {
      await kill(child, exited);
      rmSync(datadir, { recursive: true, force: true });
      throw new Error(`regtest node did not answer RPC within ${o.startTimeoutMs ?? 60_000} ms`);
    }
    lastErr = `${stderr}\n${tail(join(datadir, 'regtest', 'debug.log'))}`;
    if (!/Unable to bind|Address already in use|Unable to start HTTP server/i.test(lastErr)) break;
  }
  rmSync(datadir, { recursive: true, force: true });
  throw new Error(`regtest node exited during startup:\n${lastErr.slice(-2000)}`);
}

async function waitReady(rpc: CoreRpc, exited: Promise<number | null>, timeoutMs: number): Promise<'ok' | 'exited' | 'timeout'> {
  let gone = false;
  void exited.then(() => { gone = true; });
  const deadline = Date.now() + timeoutMs;
  // no readiness event exists: poll RPC, but stop at once if the process exits
  while (Date.now() < deadline) {
    if (gone) return 'exited';
    try {
      await rpc.getBlockchainInfo();
      return 'ok';
    } catch {
      await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
    }
  }
  return 'timeout';
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-3000);
  } catch {
    return '';
  }
}

async function kill(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    child.kill(sig);
    const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
    if (done) return;
  }
}

async function finish(impl: 'bitcoind' | 'litecoind', rpc: CoreRpc, url: string, user: string, password: string, datadir: string, child: ChildProcess, exited: Promise<number | null>): Promise<RegtestNode> {
  const info = await rpc.call('getnetworkinfo', [], z.object({ subversion: z.string(), version: z.number() }));
  const lite = impl === 'litecoind';
  let stopped = false;
  return {
    rpc, url, user, password, impl, datadir,
    version: info.subversion,
    network: lite ? customNetwork('regtest', { hrp: 'rltc', scriptHash: 0x3a }) : getNetwork('regtest'),
    cltvHeight: lite ? 1351 : 1,
    mine: (blocks, toAddress) => rpc.call('generatetoaddress', [blocks, toAddress], z.array(z.string()), { timeoutMs: 120_000 }),
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await rpc.stop();
        const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20_000))]);
        if (!done) await kill(child, exited);
      } catch {
        await kill(child, exited);
      }
      rmSync(datadir, { recursive: true, force: true });
    },
  };
}
