/** A scriptable stand-in directory for client tests: records what clients send, replies on demand. */
import net from 'node:net';
import { once, EventEmitter } from 'node:events';
import { encodeEnvelope, LineSplitter, parseEnvelope, type Envelope } from '../../../src/protocol/framing.js';
import { buildDirectoryHandshake } from '../../../src/protocol/handshake.js';

export interface FakeConn {
  socket: net.Socket;
  received: Envelope[];
  rawChunks: Buffer[];
  send(type: number, line: string): void;
}

export interface FakeDnOptions {
  /** Reply to the client handshake; null = stay silent. */
  reply?: ((hs: Record<string, unknown>) => string | null) | undefined;
}

export class FakeDn extends EventEmitter {
  readonly conns: FakeConn[] = [];
  private server = net.createServer((s) => this.onConn(s));
  port = 0;
  readonly nick = 'J5FakeDirectoryO';

  constructor(private readonly opts: FakeDnOptions = {}) {
    super();
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Resolves with the next envelope of `type` received on any connection (or already received after `from`). */
  nextMessage(type: number): Promise<{ conn: FakeConn; env: Envelope }> {
    return new Promise((resolve) => {
      const on = (conn: FakeConn, env: Envelope): void => {
        if (env.type !== type) return;
        this.off('message', on);
        resolve({ conn, env });
      };
      this.on('message', on);
    });
  }

  nextConnection(): Promise<FakeConn> {
    return new Promise((resolve) => this.once('connection', resolve));
  }

  private onConn(socket: net.Socket): void {
    const splitter = new LineSplitter();
    const conn: FakeConn = {
      socket,
      received: [],
      rawChunks: [],
      send: (type, line) => {
        socket.write(encodeEnvelope(type, line));
      },
    };
    this.conns.push(conn);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      conn.rawChunks.push(chunk);
      for (const ev of splitter.push(chunk)) {
        if (ev.kind !== 'line') continue;
        const p = parseEnvelope(ev.text);
        if (!p.ok) continue;
        conn.received.push(p.env);
        if (p.env.type === 793) {
          const hs = JSON.parse(p.env.line) as Record<string, unknown>;
          const reply = this.opts.reply ? this.opts.reply(hs) : defaultReply(this.nick, String(hs.network), true);
          if (reply !== null) conn.send(795, reply);
        }
        this.emit('message', conn, p.env);
      }
    });
    this.emit('connection', conn);
  }
}

export function defaultReply(nick: string, network: string, accepted: boolean, motd = 'fake DN motd', features: Record<string, boolean> = { ping: true, peerlist_features: true }): string {
  return buildDirectoryHandshake({ nick, network, accepted, motd, features });
}
