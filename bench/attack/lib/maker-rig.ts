/**
 * The maker section's rig: a regtest chain, our DN as a child process, a funded wallet file and
 * `jm-maker start` as a child process (the built dist/), /proc readings of that child, and the
 * peers that attack it or check on it: raw DN peers with a nick key (pubmsgs and signed
 * privmsgs at any rate), a hostile directory the maker also connects to, raw direct-port
 * sockets.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { NickIdentity } from '../../../src/client/identity.js';
import { naclKeyPairFromSecret } from '../../../src/protocol/coinjoin/box.js';
import { encodeEnvelope, LineSplitter, parseEnvelope } from '../../../src/protocol/framing.js';
import { buildClientHandshake, buildDirectoryHandshake } from '../../../src/protocol/handshake.js';
import { MsgType } from '../../../src/protocol/message-types.js';
import { NOT_SERVING_ONION } from '../../../src/protocol/onion.js';
import { Wallet } from '../../../src/wallet/wallet.js';
import { spawnReady, stopChild } from '../../lib/child.js';
import { cpuSeconds, rssKiB } from '../../lib/proc.js';
import type { RegtestNode } from '../../lib/regtest-node.js';
import { BUDGET_OFF_ARGS, startDn, type DnTarget } from './targets.js';
import { sleep } from './wire.js';

export const NETWORK = 'regtest';
const PASSWORD = 'attack bench wallet';

// ------------------------------------------------------------------ processes

/** Our DN, relaying every flood as a reference DN would (its pubmsg byte allowance would stop most of them). */
export function startRegtestDn(root: string): Promise<DnTarget> {
  return startDn({ root, network: NETWORK, logLevel: 'warn', args: ['--pubmsg-bytes', '0', ...BUDGET_OFF_ARGS] });
}

/** A wallet file with one matured coinbase in mixdepth 0 (and one in mixdepth 1). */
export async function fundedWallet(node: RegtestNode, path: string, burn: string): Promise<void> {
  const w = Wallet.create({ network: node.network, words: 12 });
  await w.setPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
  await w.save(path);
  await node.mine(1, w.getAddress(0, 0, 0).address);
  await node.mine(1, w.getAddress(1, 0, 0).address);
  await node.mine(100, burn);
}

export interface MakerChild {
  pid: number;
  nick: string;
  /** Direct-connection listener. */
  servePort: number;
  offer: { oid: number; minsize: number; maxsize: number };
  /** Bytes the maker wrote to stdout + stderr so far (its log volume). */
  outputBytes(): number;
  stop(): Promise<void>;
}

/** `jm-maker start` on the regtest chain; resolves once every directory has taken its offers. */
export async function startMaker(root: string, node: RegtestNode, o: { wallet: string; directories: string[]; commitments: string }): Promise<MakerChild> {
  const args = [
    // JM_ATTACK_MAKER: another build's entry point (to measure a before/after)
    process.env.JM_ATTACK_MAKER ?? join(root, 'dist', 'src', 'cli', 'jm-maker.js'),
    'start', '--wallet', o.wallet, '--network', NETWORK, '--hrp', node.network.hrp, '--transport', 'tcp',
    '--directory', o.directories.join(','), '--rpc-url', node.url, '--rpc-user', node.user, '--rpc-password', node.password,
    '--gap', '6', '--lookahead', '40', '--algorithm', 'basic', '--minsize', '100000', '--txfee', '1000', '--cjfee-r', '0.0002',
    '--commitment-list', o.commitments, '--log-level', 'info',
  ];
  const announced = new Set<string>();
  let allAnnounced: () => void = () => {};
  const ready = new Promise<void>((r) => (allAnnounced = r));
  const onLine = (line: string): void => {
    const m = /^maker J5\w+ announced on (\S+)$/.exec(line);
    if (m) announced.add(m[1]!);
    if (o.directories.every((d) => announced.has(d))) allAnnounced();
  };
  const p = await spawnReady({
    label: 'jm-maker', cwd: root, args, stream: 'stdout', onLine, timeoutMs: 180_000, env: { JM_WALLET_PASSWORD: PASSWORD },
    ready: (line) => {
      const m = /^maker (J5\w+) started; serving 127\.0\.0\.1:(\d+); offers: !sw0reloffer (\d+) (\d+) (\d+) /.exec(line);
      return m ? { nick: m[1]!, servePort: Number(m[2]), offer: { oid: Number(m[3]), minsize: Number(m[4]), maxsize: Number(m[5]) } } : null;
    },
  });
  const stop = async (): Promise<void> => void (await stopChild(p.child, 15_000));
  const timeout = sleep(60_000).then(() => { throw new Error(`jm-maker: not announced on every directory within 60 s:\n${p.tail.join('\n')}`); });
  await Promise.race([ready, timeout]).catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  return { ...p.info, pid: p.pid, outputBytes: p.outputBytes, stop };
}

// ------------------------------------------------------------------ /proc readings

export function writeBytes(pid: number): number {
  try {
    return Number(/^write_bytes: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/** Samples RSS (peak) and CPU time of a process every `everyMs`. */
export class ProcSampler {
  peakMiB = 0;
  private readonly cpu: Array<[number, number]> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly pid: number, private readonly everyMs = 200) {}

  rssMiB(): number {
    return rssKiB(this.pid) / 1024;
  }

  cpuSeconds(): number {
    return cpuSeconds(this.pid);
  }

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }

  /** CPU share (0..1 of one core) over the last `ms`. */
  recentCpu(ms: number): number {
    const last = this.cpu.at(-1);
    if (!last) return Number.NaN;
    const from = this.cpu.findLast(([t]) => last[0] - t >= ms);
    if (!from) return Number.NaN;
    return (last[1] - from[1]) / ((last[0] - from[0]) / 1000);
  }

  /** Resolves with the time (ms since `since`) at which CPU use over 1 s fell below `share`, or null after `maxMs`. */
  async settled(since: number, share = 0.05, maxMs = 90_000): Promise<number | null> {
    while (performance.now() - since < maxMs) {
      await sleep(this.everyMs);
      if (this.recentCpu(1_000) < share) return Math.max(0, performance.now() - 1_000 - since);
    }
    return null;
  }

  private sample(): void {
    const rss = this.rssMiB();
    if (Number.isFinite(rss)) this.peakMiB = Math.max(this.peakMiB, rss);
    const cpu = this.cpuSeconds();
    if (Number.isFinite(cpu)) this.cpu.push([performance.now(), cpu]);
    if (this.cpu.length > 10_000) this.cpu.splice(0, 5_000);
  }
}


// ------------------------------------------------------------------ peers

interface Waiter {
  pred: (type: number, line: string) => boolean;
  resolve: (line: string | null) => void;
  timer: NodeJS.Timeout;
}

/** One TCP connection speaking envelopes; keeps nothing it receives except for its waiters. */
class Wire {
  readonly closed: Promise<void>;
  /** Drop what arrives unread (flooding peers that would otherwise parse everyone's flood). */
  muted = false;
  private waiters: Waiter[] = [];
  private readonly splitter = new LineSplitter(40_000, { skipOversize: true });

  constructor(readonly socket: net.Socket, private readonly onEnvelope: (type: number, line: string) => void = () => {}) {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('data', (c: Buffer) => {
      if (this.muted) return;
      for (const ev of this.splitter.push(c)) {
        if (ev.kind !== 'line') continue;
        const env = parseEnvelope(ev.text);
        if (!env.ok) continue;
        this.onEnvelope(env.env.type, env.env.line);
        this.waiters = this.waiters.filter((w) => {
          if (!w.pred(env.env.type, env.env.line)) return true;
          clearTimeout(w.timer);
          w.resolve(env.env.line);
          return false;
        });
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', () => {
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.resolve(null);
      }
      resolve();
    }));
  }

  send(type: number, line: string): void {
    if (!this.socket.destroyed) this.socket.write(encodeEnvelope(type, line));
  }

  /** The next envelope satisfying `pred`, or null on timeout or close. */
  wait(pred: (type: number, line: string) => boolean, ms: number): Promise<string | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        resolve(null);
      }, ms);
      this.waiters.push({ pred, resolve, timer });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** A nick with a key on a directory (or on the maker's direct port, where no 795 comes back). */
export class Peer {
  readonly id = NickIdentity.random();
  private constructor(private readonly wire: Wire) {}

  static async join(port: number): Promise<Peer> {
    const p = new Peer(new Wire(await connect(port)));
    const hs = p.wire.wait((t) => t === MsgType.DN_HANDSHAKE, 15_000);
    p.handshake();
    if ((await hs) === null) throw new Error('no directory handshake');
    return p;
  }

  /** Direct connection to a maker: handshake only (a maker answers nothing). */
  static async direct(port: number): Promise<Peer> {
    const p = new Peer(new Wire(await connect(port)));
    p.handshake();
    return p;
  }

  get nick(): string {
    return this.id.nick;
  }

  /** From now on, ignore everything that arrives. */
  mute(): this {
    this.wire.muted = true;
    return this;
  }

  get closed(): Promise<void> {
    return this.wire.closed;
  }

  pub(body: string): void {
    this.wire.send(MsgType.PUBMSG, `${this.nick}!PUBLIC!${body}`);
  }

  priv(to: string, cmd: string, args: string): void {
    this.wire.send(MsgType.PRIVMSG, this.id.signPrivmsg(to, cmd, args));
  }

  /**
   * The next offer from `maker` after now: its private reply to us, or its public announcement
   * (every taker reads both into its book). Resolves with which, or null after `ms`.
   */
  async offer(maker: string, ms: number): Promise<'private' | 'public' | null> {
    const priv = `${maker}!${this.nick}!`;
    const pub = `${maker}!PUBLIC!`;
    const isOffer = (l: string, prefix: string): boolean => l.startsWith(prefix) && /^sw0(rel|abs)offer /.test(l.slice(prefix.length));
    const line = await this.wire.wait((t, l) => (t === MsgType.PRIVMSG && isOffer(l, priv)) || (t === MsgType.PUBMSG && isOffer(l, pub)), ms);
    return line === null ? null : line.startsWith(pub) ? 'public' : 'private';
  }

  /** A privmsg signed by our key over other args: it passes every check but the signature. */
  forgedPriv(to: string, cmd: string, args: string): void {
    this.wire.send(MsgType.PRIVMSG, this.id.signPrivmsg(to, cmd, `${args}x`).replace(` ${args}x `, ` ${args}y `));
  }

  /** The args of the next privmsg from `from` with one of `cmds` (null after `ms`). */
  async reply(from: string, cmds: string[], ms: number): Promise<{ cmd: string; args: string } | null> {
    const prefix = `${from}!${this.nick}!`;
    const line = await this.wire.wait((t, l) => t === MsgType.PRIVMSG && l.startsWith(prefix) && cmds.some((c) => l.startsWith(`${prefix}${c} `)), ms);
    if (line === null) return null;
    const body = line.slice(prefix.length);
    const sp = body.indexOf(' ');
    return { cmd: body.slice(0, sp), args: body.slice(sp + 1) };
  }

  close(): void {
    this.wire.close();
  }

  private handshake(): void {
    this.wire.send(MsgType.HANDSHAKE, buildClientHandshake({ nick: this.nick, location: NOT_SERVING_ONION, network: NETWORK, features: {} }));
  }
}

export function fillArgs(offer: { oid: number; minsize: number }, amount = offer.minsize): string {
  return `${offer.oid} ${amount} ${naclKeyPairFromSecret(randomBytes(32)).publicKeyHex} P${randomBytes(32).toString('hex')}`;
}

/** A directory of our own making that the maker also uses: it can send the maker anything. */
export class HostileDirectory {
  readonly nick = NickIdentity.random().nick;
  private readonly server = net.createServer((s) => this.onConnection(s));
  private wire: Wire | null = null;
  private connected: Array<() => void> = [];
  port = 0;

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** Resolves once a maker has handshaked with us. */
  whenConnected(): Promise<void> {
    return this.wire ? Promise.resolve() : new Promise((r) => this.connected.push(r));
  }

  /** Reconnections by the maker so far (1 = never dropped us). */
  connections = 0;

  raw(data: string): void {
    this.wire?.socket.write(data);
  }

  send(type: number, line: string): void {
    this.wire?.send(type, line);
  }

  /** The next privmsg from `from` to `to`, or null. */
  privmsgTo(from: string, to: string, ms: number): Promise<string | null> {
    return this.wire ? this.wire.wait((t, l) => t === MsgType.PRIVMSG && l.startsWith(`${from}!${to}!`), ms) : Promise.resolve(null);
  }

  async stop(): Promise<void> {
    this.wire?.close();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private onConnection(s: net.Socket): void {
    this.connections++;
    const wire = new Wire(s, (type) => {
      if (type !== MsgType.HANDSHAKE) return;
      wire.send(MsgType.DN_HANDSHAKE, buildDirectoryHandshake({ nick: this.nick, network: NETWORK, accepted: true, motd: 'hostile', features: {} }));
      this.wire = wire;
      for (const r of this.connected.splice(0)) r();
    });
  }
}

/** A socket on the maker's direct port that never handshakes; sends a byte now and then. */
export async function slowSocket(port: number): Promise<net.Socket | null> {
  try {
    const s = await connect(port);
    s.on('error', () => {});
    return s;
  } catch {
    return null;
  }
}
