/**
 * A private Tor network on loopback for integration tests: 3 directory authorities, 2 relays and
 * 1 client (SOCKS + control port with password and cookie auth). Nothing ever leaves 127.0.0.1:
 * the private authorities are the only directory servers any node knows.
 *
 * startTorNetwork() is a per-process singleton with a reference count, so several suites in one
 * test file share one network (~20 s, ~400 MB). Every tor also gets __OwningControllerProcess, so
 * it exits by itself if the test process dies without stopping it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TorNetwork {
  dir: string;
  socksPort: number;
  controlPort: number;
  controlAuth: 'password,cookie';
  controlPassword: string;
  cookieFile: string;
  /** torrc fragment to %include in a tor of our own that should join this network. */
  joinTorrc: string;
  torVersion: string;
  bootstrapSeconds: number;
  /** Kills the client tor and starts it again with the same data dir and ports; resolves when bootstrapped. */
  restartClient(): Promise<void>;
  /** Releases this reference; the network stops when the last one is released. */
  stop(): Promise<void>;
}

/** True if `tor` and `tor-gencert` are on PATH. */
export function torAvailable(): boolean {
  const onPath = (bin: string): boolean =>
    (process.env.PATH ?? '').split(path.delimiter).some((d) => {
      try {
        accessSync(path.join(d, bin), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return onPath('tor') && onPath('tor-gencert');
}

/** For describe.skipIf: fails loudly in CI (where tor is installed), skips with a message locally. */
export function skipWithoutTor(): boolean {
  if (torAvailable()) return false;
  if (process.env.CI === 'true') throw new Error('tor/tor-gencert not found but CI=true: install with apt-get install -y tor');
  console.warn('SKIPPED: Tor integration tests need `tor` and `tor-gencert` (apt-get install -y tor)');
  return true;
}

interface Node {
  nick: string;
  torrc: string;
  log: string;
  proc?: ChildProcess;
}

const VOTING_INTERVAL = 20;
const VOTE_DELAY = 4;
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Reserves n distinct free loopback ports (bind to 0, read, close). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, async () => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1');
      await once(s, 'listening');
      return s;
    }),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, stepMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`tor network: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs)); // polling an external process
  }
}

/** Relays listed in the consensus an authority serves (0 if none yet). */
function consensusRelays(dirPort: number): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect(dirPort, '127.0.0.1');
    let body = '';
    s.setTimeout(5000, () => s.destroy());
    s.on('connect', () => s.write('GET /tor/status-vote/current/consensus-microdesc HTTP/1.0\r\n\r\n'));
    s.on('data', (d: Buffer) => (body += d.toString('latin1')));
    s.on('close', () => resolve(body.split('\n').filter((l) => l.startsWith('r ')).length));
    s.on('error', () => undefined);
  });
}

async function authorityKeys(dir: string, nick: string, dirPort: number): Promise<string> {
  const nd = path.join(dir, nick);
  await mkdir(path.join(nd, 'keys'), { recursive: true, mode: 0o700 });
  const gencert = spawn(
    'tor-gencert',
    ['--create-identity-key', '-m', '12', '-a', `127.0.0.1:${dirPort}`,
      '-i', path.join(nd, 'keys/authority_identity_key'), '-s', path.join(nd, 'keys/authority_signing_key'),
      '-c', path.join(nd, 'keys/authority_certificate'), '--passphrase-fd', '0'],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  gencert.stdin?.end('\n');
  let err = '';
  gencert.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = (await once(gencert, 'close')) as [number];
  if (code !== 0) throw new Error(`tor-gencert failed for ${nick}: ${err}`);
  const { stdout } = await run('tor', ['--quiet', '--ignore-missing-torrc', '-f', '/dev/null', '--DataDirectory', nd,
    '--Nickname', nick, '--ORPort', '1', '--DirAuthority', 'x orport=1 127.0.0.1:1 0000000000000000000000000000000000000000',
    '--list-fingerprint']);
  const fp = stdout.split('\n').find((l) => l.startsWith(`${nick} `))?.slice(nick.length).replace(/\s/g, '') ?? '';
  const cert = await readFile(path.join(nd, 'keys/authority_certificate'), 'utf8');
  const v3 = /^fingerprint ([0-9A-F]{40})$/m.exec(cert)?.[1];
  if (!/^[0-9A-F]{40}$/.test(fp) || !v3) throw new Error(`bad fingerprints for ${nick}`);
  return `${v3} 127.0.0.1:${dirPort} ${fp}`;
}

function launch(node: Node): void {
  const proc = spawn('tor', ['-f', node.torrc], { stdio: 'ignore' });
  node.proc = proc;
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
}

async function kill(node: Node): Promise<void> {
  const p = node.proc;
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const gone = once(p, 'exit');
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
  await gone;
  clearTimeout(t);
}

async function bootstrapped(node: Node, fromOffset: number): Promise<boolean> {
  const text = await readFile(node.log, 'utf8').catch(() => '');
  return text.slice(fromOffset).includes('Bootstrapped 100%');
}

async function waitBootstrapped(node: Node, fromOffset: number): Promise<void> {
  let hupAt = Date.now() + 3000;
  await waitFor(`${node.nick} bootstrap`, 180_000, async () => {
    if (node.proc?.exitCode !== null) throw new Error(`${node.nick} exited; see ${node.log}`);
    if (await bootstrapped(node, fromOffset)) return true;
    // A client that asked a relay for microdescriptors too early retries only after 10 s; HUP makes it retry now.
    if (Date.now() > hupAt) {
      node.proc.kill('SIGHUP');
      hupAt = Date.now() + 3000;
    }
    return undefined;
  });
}

async function create(dirArg?: string): Promise<Omit<TorNetwork, 'stop'> & { shutdown(): Promise<void> }> {
  if (!torAvailable()) throw new Error('tor/tor-gencert not found: apt-get install -y tor');
  const t0 = Date.now();
  const dir = dirArg ?? (await mkdtemp(path.join(os.tmpdir(), 'jm-tornet-')));
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o700);
  const nAuth = 3;
  const nRelay = 2;
  const ports = await freePorts(2 * nAuth + nRelay + 2);
  const take = (): number => ports.shift() as number;
  await writeFile(path.join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\n');

  const auths = Array.from({ length: nAuth }, (_, i) => ({ nick: `auth${i}`, or: take(), dir: take() }));
  const lines = await Promise.all(auths.map((a) => authorityKeys(dir, a.nick, a.dir)));
  const joinTorrc = path.join(dir, 'join.torrc');
  await writeFile(joinTorrc, [
    '# private loopback test network (test/helpers/tor-network.ts)',
    'TestingTorNetwork 1',
    'UseDefaultFallbackDirs 0',
    ...auths.map((a, i) => {
      const [v3, addr, fp] = (lines[i] as string).split(' ');
      return `DirAuthority ${a.nick} orport=${a.or} v3ident=${v3} ${addr} ${fp}`;
    }),
    'Address 127.0.0.1', 'AddressDisableIPv6 1', 'ClientUseIPv6 0', 'OutboundBindAddress 127.0.0.1',
    `ServerDNSResolvConfFile ${path.join(dir, 'resolv.conf')}`, 'ServerDNSDetectHijacking 0',
    'GeoIPFile /dev/null', 'GeoIPv6File /dev/null',
    'SafeLogging 0', 'LogTimeGranularity 1', 'ShutdownWaitLength 0', 'AvoidDiskWrites 1', '',
  ].join('\n'));

  const common = async (nick: string, extra: string[]): Promise<Node> => {
    const nd = path.join(dir, nick);
    await mkdir(nd, { recursive: true, mode: 0o700 });
    await chmod(nd, 0o700);
    const node: Node = { nick, torrc: path.join(nd, 'torrc'), log: path.join(nd, 'notice.log') };
    await writeFile(node.torrc, [`%include ${joinTorrc}`, `Nickname ${nick}`, `DataDirectory ${nd}`,
      `Log notice file ${node.log}`, `__OwningControllerProcess ${process.pid}`, ...extra, ''].join('\n'));
    return node;
  };

  // Shift the voting schedule so the first vote comes after every relay has registered (~6 s).
  const nServers = nAuth + nRelay;
  const offset = (Math.floor(Date.now() / 1000) + 4 + Math.floor(nServers / 2) + 2 * VOTE_DELAY) % VOTING_INTERVAL;
  const servers: Node[] = [];
  for (const a of auths) {
    servers.push(await common(a.nick, ['SocksPort 0', `ORPort 127.0.0.1:${a.or}`, `DirPort 127.0.0.1:${a.dir}`,
      'AuthoritativeDirectory 1', 'V3AuthoritativeDirectory 1', `ContactInfo ${a.nick}@testnet.invalid`,
      'ExitRelay 0', 'ExitPolicy reject *:*', 'AssumeReachable 1', 'VanguardsLiteEnabled 0',
      `TestingV3AuthInitialVotingInterval ${VOTING_INTERVAL}`, `TestingV3AuthInitialVoteDelay ${VOTE_DELAY}`,
      `TestingV3AuthInitialDistDelay ${VOTE_DELAY}`, `V3AuthVotingInterval ${VOTING_INTERVAL}`,
      `V3AuthVoteDelay ${VOTE_DELAY}`, `V3AuthDistDelay ${VOTE_DELAY}`, 'V3AuthNIntervalsValid 2',
      'TestingDirAuthVoteGuard *', 'TestingDirAuthVoteHSDir *', 'TestingDirAuthVoteExit *',
      'TestingMinExitFlagThreshold 0', `TestingV3AuthVotingStartOffset ${offset}`]));
  }
  const relays: Node[] = [];
  for (let i = 0; i < nRelay; i++) {
    relays.push(await common(`relay${i}`, ['SocksPort 0', `ORPort 127.0.0.1:${take()}`, `ContactInfo relay${i}@testnet.invalid`,
      'AssumeReachable 1', 'VanguardsLiteEnabled 0', 'ExitRelay 0', 'ExitPolicy reject *:*']));
  }
  servers.push(...relays);

  const controlPassword = (await import('node:crypto')).randomBytes(16).toString('hex');
  const { stdout: hashOut } = await run('tor', ['--quiet', '--hash-password', controlPassword]);
  const hash = hashOut.trim().split('\n').pop() ?? '';
  const socksPort = take();
  const controlPort = take();
  const cookieFile = path.join(dir, 'client0', 'control_auth_cookie');
  const client = await common('client0', [`SocksPort 127.0.0.1:${socksPort}`, `ControlPort 127.0.0.1:${controlPort}`,
    `HashedControlPassword ${hash}`, 'CookieAuthentication 1', `CookieAuthFile ${cookieFile}`]);
  const all = [...servers, client];
  const shutdown = async (): Promise<void> => {
    await Promise.all([...all].reverse().map((n) => kill(n)));
  };
  try {
    for (const n of servers) launch(n);
    await waitFor('a consensus listing every relay', 180_000, async () => {
      for (const n of servers) if (n.proc?.exitCode !== null) throw new Error(`${n.nick} exited; see ${n.log}`);
      const counts = await Promise.all(auths.map((a) => consensusRelays(a.dir)));
      return Math.min(...counts) >= nServers ? true : undefined;
    }, 500);
    // Relays back off fetching the (then missing) consensus; HUP resets their download schedules.
    for (const r of relays) r.proc?.kill('SIGHUP');
    launch(client);
    await waitBootstrapped(client, 0);
  } catch (err) {
    await shutdown();
    throw err;
  }
  const { stdout: ver } = await run('tor', ['--version']);
  return {
    dir, socksPort, controlPort, controlAuth: 'password,cookie', controlPassword, cookieFile, joinTorrc,
    torVersion: /Tor version ([0-9.]+[0-9])/.exec(ver)?.[1] ?? 'unknown',
    bootstrapSeconds: (Date.now() - t0) / 1000,
    async restartClient() {
      await kill(client);
      const offset = (await stat(client.log)).size;
      launch(client);
      await waitBootstrapped(client, offset);
    },
    shutdown,
  };
}

let shared: { net: Promise<Awaited<ReturnType<typeof create>>>; refs: number; ownDir: boolean } | undefined;

/** Starts (or joins) the private network of this test process. Call stop() on the result in afterAll. */
export async function startTorNetwork(dir?: string): Promise<TorNetwork> {
  if (!shared) shared = { net: create(dir), refs: 0, ownDir: dir === undefined };
  const s = shared;
  s.refs++;
  let n: Awaited<ReturnType<typeof create>>;
  try {
    n = await s.net;
  } catch (err) {
    if (shared === s) shared = undefined;
    throw err;
  }
  let released = false;
  return {
    ...n,
    async stop() {
      if (released) return;
      released = true;
      if (--s.refs > 0) return;
      if (shared === s) shared = undefined;
      await n.shutdown();
      if (s.ownDir) await rm(n.dir, { recursive: true, force: true });
    },
  };
}

export interface StandaloneTor {
  controlPort: number;
  controlPassword: string;
  cookieFile: string;
  pid: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** A single tor with DisableNetwork 1 (no circuits, starts in ~1 s): enough for control-port tests. */
export async function startStandaloneTor(): Promise<StandaloneTor> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'jm-tor1-'));
  await chmod(dir, 0o700);
  const controlPassword = (await import('node:crypto')).randomBytes(16).toString('hex');
  const { stdout: hashOut } = await run('tor', ['--quiet', '--hash-password', controlPassword]);
  const [controlPort] = await freePorts(1);
  const cookieFile = path.join(dir, 'control_auth_cookie');
  const node: Node = { nick: 'standalone', torrc: path.join(dir, 'torrc'), log: path.join(dir, 'notice.log') };
  await writeFile(node.torrc, [`DataDirectory ${dir}`, 'DisableNetwork 1', 'SocksPort 0', `ControlPort 127.0.0.1:${controlPort}`,
    `HashedControlPassword ${hashOut.trim().split('\n').pop() ?? ''}`, 'CookieAuthentication 1', `CookieAuthFile ${cookieFile}`,
    `Log notice file ${node.log}`, `__OwningControllerProcess ${process.pid}`, 'GeoIPFile /dev/null', 'GeoIPv6File /dev/null', ''].join('\n'));
  launch(node);
  const proc = node.proc as ChildProcess;
  await waitFor('standalone tor control port', 30_000, async () => {
    if (proc.exitCode !== null) throw new Error(`standalone tor exited; see ${node.log}`);
    const up = await new Promise<boolean>((r) => {
      const s = net.connect(controlPort as number, '127.0.0.1', () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    return up ? true : undefined;
  }, 100);
  return {
    controlPort: controlPort as number, controlPassword, cookieFile, pid: proc.pid ?? -1, proc,
    async stop() {
      await kill(node);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
