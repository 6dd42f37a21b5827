/**
 * A scripted test peer for the directory: connects over real TCP, sends lines and awaits the
 * lines it receives (raw, terminator included, so byte-exact comparisons are possible).
 */
import net from 'node:net';
import { encodeEnvelope, parseEnvelope, type Envelope } from '../../src/protocol/framing.js';
import { buildClientHandshake, parseDirectoryHandshake, type DirectoryHandshake, type Features } from '../../src/protocol/handshake.js';
import { MsgType } from '../../src/protocol/message-types.js';
import { NOT_SERVING_ONION } from '../../src/protocol/onion.js';
import { nickFromPubkeyHex } from '../../src/protocol/nick.js';
import { DirectoryServer, type DirectoryServerOptions } from '../../src/directory/index.js';

export interface HandshakeOptions {
  nick: string;
  network?: string;
  location?: string;
  features?: Features;
}

type Waiter = { pred: (line: string) => boolean; resolve: (line: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class DnPeer {
  /** Every byte received, in order. */
  received = Buffer.alloc(0);
  /** Complete lines not yet consumed by nextLine()/waitFor(). */
  private queue: string[] = [];
  private partial = Buffer.alloc(0);
  private waiters: Waiter[] = [];
  readonly closed: Promise<void>;
  isClosed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.isClosed = true;
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(new Error('connection closed while waiting for a line'));
        }
        resolve();
      });
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<DnPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host }, () => {
        s.off('error', reject);
        resolve(new DnPeer(s));
      });
      s.once('error', reject);
    });
  }

  /** Connects and completes a handshake; resolves with the directory's reply. */
  static async joined(port: number, h: HandshakeOptions): Promise<DnPeer> {
    const p = await DnPeer.connect(port);
    const reply = await p.handshake(h);
    if (!reply.accepted) throw new Error(`handshake of ${h.nick} rejected: ${reply.motd}`);
    return p;
  }

  private onData(chunk: Buffer): void {
    this.received = Buffer.concat([this.received, chunk]);
    let buf = this.partial.length ? Buffer.concat([this.partial, chunk]) : chunk;
    let nl: number;
    while ((nl = buf.indexOf(0x0a)) !== -1) {
      this.deliver(buf.subarray(0, nl + 1).toString('utf8'));
      buf = buf.subarray(nl + 1);
    }
    this.partial = Buffer.from(buf);
  }

  private deliver(line: string): void {
    const i = this.waiters.findIndex((w) => w.pred(line));
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      clearTimeout(w!.timer);
      w!.resolve(line);
    } else this.queue.push(line);
  }

  sendRaw(data: string | Buffer): void {
    this.socket.write(data);
  }

  send(type: number, line: string): void {
    this.socket.write(encodeEnvelope(type, line));
  }

  async handshake(h: HandshakeOptions): Promise<DirectoryHandshake> {
    this.send(MsgType.HANDSHAKE, buildClientHandshake({ nick: h.nick, network: h.network ?? 'testnet', location: h.location ?? NOT_SERVING_ONION, features: h.features ?? {} }));
    const env = await this.nextEnvelope();
    if (env.type !== MsgType.DN_HANDSHAKE) throw new Error(`expected 795, got ${env.type}`);
    const r = parseDirectoryHandshake(env.line);
    if (!r.ok) throw new Error(r.reason);
    return r.value;
  }

  /** Resolves with the first (queued or future) raw line matching pred; removes it. */
  waitFor(pred: (line: string) => boolean, timeoutMs = 10_000): Promise<string> {
    const i = this.queue.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]!);
    if (this.isClosed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`no matching line within ${timeoutMs} ms; queued: ${JSON.stringify(this.queue).slice(0, 500)}`));
      }, timeoutMs);
      this.waiters.push({ pred, resolve, reject, timer });
    });
  }

  nextLine(timeoutMs?: number): Promise<string> {
    return this.waitFor(() => true, timeoutMs);
  }

  async nextEnvelope(timeoutMs?: number): Promise<Envelope> {
    const raw = await this.nextLine(timeoutMs);
    const r = parseEnvelope(raw.replace(/\r?\n$/, ''));
    if (!r.ok) throw new Error(`bad line from directory: ${r.reason}`);
    return r.env;
  }

  /** Waits for an envelope of the given type (other lines stay queued). */
  async nextOfType(type: number, timeoutMs?: number): Promise<Envelope> {
    const raw = await this.waitFor((l) => l.startsWith(`{"type": ${type},`), timeoutMs);
    const r = parseEnvelope(raw.replace(/\r?\n$/, ''));
    if (!r.ok) throw new Error(r.reason);
    return r.env;
  }

  /** Lines received and not consumed yet. */
  get unread(): readonly string[] {
    return this.queue;
  }

  /** Round trip through the directory: everything it sent us before the PONG is now queued. */
  async barrier(): Promise<void> {
    this.send(MsgType.PING, '');
    await this.waitFor((l) => l === `{"type": ${MsgType.PONG}, "line": ""}\r\n`);
  }

  async close(): Promise<void> {
    this.socket.end();
    await this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A valid-format nick derived from a label (no key behind it, like the reference watcher's). */
export function testNick(label: string): string {
  return nickFromPubkeyHex(label);
}

/**
 * Limits of a DN that relays every flood, as a reference DN would: no pubmsg or privmsg byte
 * allowance, no DN-wide broadcast budget, no per-target privmsg budget. For tests of the
 * defences behind a DN (maker, watcher).
 */
export const RELAY_EVERYTHING = {
  pubmsgBytesPerMin: 0, broadcastPerSec: 0, broadcastBytesPerSec: 0, broadcastOrderbookPerSec: 0, privmsgBytesPerMin: 0, privmsgRecvBytesPerSec: 0,
} as const;

/** Starts a directory on 127.0.0.1:0 (testnet, loopback mode) for a test. */
export async function startTestDirectory(opts: Partial<DirectoryServerOptions> = {}): Promise<{ dn: DirectoryServer; port: number }> {
  const dn = new DirectoryServer({ network: 'testnet', listen: { host: '127.0.0.1', port: 0 }, ...opts });
  const addr = await dn.start();
  return { dn, port: addr.port };
}

/** Resolves true if the peer's connection closes within the time limit. */
export async function closesWithin(peer: DnPeer, ms = 10_000): Promise<boolean> {
  let t: NodeJS.Timeout | undefined;
  const r = await Promise.race([peer.closed.then(() => true), new Promise<boolean>((res) => (t = setTimeout(() => res(false), ms)))]);
  clearTimeout(t);
  return r;
}
