/**
 * A scripted maker for end-to-end tests, written on raw sockets (independent of src/client).
 * It behaves like a reference maker: announces its offers publicly after the handshake, and
 * answers `!orderbook` with ONE signed privmsg carrying every offer plus `!tbond <proof>`
 * (proof built for the requester's nick). `forgeWith` signs with a key that does not own the
 * nick (a forgery the watcher must drop).
 */
import net from 'node:net';
import { once } from 'node:events';
import { encodeEnvelope, LineSplitter, parseEnvelope } from '../../src/protocol/framing.js';
import { buildClientHandshake } from '../../src/protocol/handshake.js';
import { buildSignedPrivmsg, splitRouted } from '../../src/protocol/jm-message.js';
import { nickFromPrivateKey } from '../../src/protocol/nick.js';
import { randomPrivateKey } from '../../src/protocol/crypto.js';
import { buildBondProof } from '../../src/protocol/bond-proof.js';

export interface ScriptedBond {
  utxoPrivateKey: Uint8Array;
  certPrivateKey: Uint8Array;
  certExpiry: number;
  txid: string;
  vout: number;
  locktime: number;
}

export interface ScriptedMakerOptions {
  directories: Array<{ host: string; port: number }>;
  network: string;
  /** e.g. ['sw0reloffer 0 27300 5000000 0 0.00002', 'sw0absoffer 1 27300 5000000 0 250']. */
  offers: string[];
  key?: Uint8Array;
  bond?: ScriptedBond;
  announce?: boolean;
  /** Sign replies with this key instead of the nick's own key. */
  forgeWith?: Uint8Array;
  /** Serving location (loopback mode). */
  location?: string;
  /** Answer every `!orderbook` through this directory index instead of the one it came on. */
  replyVia?: number;
  /** Answer only `!orderbook` requests that came through this directory index (all are recorded). */
  answerFrom?: number;
}

interface Conn {
  socket: net.Socket;
  dnIndex: number;
}

export class ScriptedMaker {
  readonly key: Uint8Array;
  readonly nick: string;
  readonly requests: Array<{ from: string; dn: number }> = [];
  private conns: Conn[] = [];

  constructor(private readonly o: ScriptedMakerOptions) {
    this.key = o.key ?? randomPrivateKey();
    this.nick = nickFromPrivateKey(this.key);
  }

  /** Connects to every directory and resolves once each accepted the handshake. */
  async start(): Promise<this> {
    await Promise.all(this.o.directories.map((d, i) => this.connect(d, i)));
    return this;
  }

  private async connect(d: { host: string; port: number }, dnIndex: number): Promise<void> {
    const socket = net.connect({ host: d.host, port: d.port });
    await once(socket, 'connect');
    socket.on('error', () => {});
    const conn: Conn = { socket, dnIndex };
    this.conns.push(conn);
    const splitter = new LineSplitter();
    const accepted = new Promise<void>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        for (const ev of splitter.push(chunk)) {
          if (ev.kind !== 'line') continue;
          const p = parseEnvelope(ev.text);
          if (!p.ok) continue;
          if (p.env.type === 795) {
            const hs = JSON.parse(p.env.line) as { accepted: boolean; motd?: string };
            if (hs.accepted) resolve();
            else reject(new Error(`maker rejected: ${hs.motd ?? ''}`));
          } else if (p.env.type === 687) this.onPubmsg(p.env.line, dnIndex);
          else if (p.env.type === 798) socket.write(encodeEnvelope(799, ''));
        }
      });
    });
    const location = this.o.location ?? `127.0.0.1:${20000 + Math.floor(Math.random() * 20000)}`;
    socket.write(encodeEnvelope(793, buildClientHandshake({ nick: this.nick, location, network: this.o.network, features: {} })));
    await accepted;
    if (this.o.announce ?? true) for (const offer of this.o.offers) socket.write(encodeEnvelope(687, `${this.nick}!PUBLIC!${offer}`));
  }

  private onPubmsg(line: string, dnIndex: number): void {
    const r = splitRouted(line);
    if (!r || r.to !== 'PUBLIC' || r.body.split('!')[0] !== 'orderbook') return;
    this.requests.push({ from: r.from, dn: dnIndex });
    if (this.o.answerFrom !== undefined && this.o.answerFrom !== dnIndex) return;
    this.sendPrivmsg(this.o.replyVia ?? dnIndex, this.orderbookReply(r.from));
  }

  /** The reference's combined reply: first offer as command, the rest and !tbond as args. */
  orderbookReply(taker: string): string {
    const [first, ...rest] = this.o.offers;
    if (!first) throw new Error('scripted maker has no offers');
    const sp = first.indexOf(' ');
    const cmd = first.slice(0, sp);
    let args = first.slice(sp + 1) + rest.map((o) => `!${o}`).join('');
    if (this.o.bond) {
      const b = this.o.bond;
      args += `!tbond ${buildBondProof({ takerNick: taker, makerNick: this.nick, ...b }).base64}`;
    }
    return buildSignedPrivmsg(this.nick, taker, cmd, args, this.o.forgeWith ?? this.key);
  }

  private sendPrivmsg(dnIndex: number, line: string): void {
    const c = this.conns.find((x) => x.dnIndex === dnIndex);
    c?.socket.write(encodeEnvelope(685, line));
  }

  /** `!cancel oid` on every directory. */
  cancel(oid: number): void {
    for (const c of this.conns) c.socket.write(encodeEnvelope(687, `${this.nick}!PUBLIC!cancel ${oid}`));
  }

  /** Leaves one directory (the DN then announces `;D`). */
  async leave(dnIndex: number): Promise<void> {
    const c = this.conns.find((x) => x.dnIndex === dnIndex);
    if (!c) return;
    this.conns = this.conns.filter((x) => x !== c);
    const closed = once(c.socket, 'close');
    c.socket.destroy();
    await closed;
  }

  async stop(): Promise<void> {
    for (const c of [...this.conns]) await this.leave(c.dnIndex);
  }
}
