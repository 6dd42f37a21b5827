/** A scripted tor control port: a real TCP server whose replies the test writes by hand. */
import net from 'node:net';
import { once } from 'node:events';

export class FakeConnection {
  private buf = '';
  private waiters: Array<() => void> = [];
  readonly lines: string[] = [];
  readonly closed: Promise<void>;

  constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.buf += d.toString('utf8');
      let i: number;
      while ((i = this.buf.indexOf('\r\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 2);
      }
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((r) => socket.once('close', () => r()));
  }

  /** Resolves with the n-th command line the client sent (0-based), waiting for it if needed. */
  async line(n: number): Promise<string> {
    while (this.lines.length <= n) await new Promise<void>((r) => this.waiters.push(r));
    return this.lines[n] as string;
  }

  write(s: string): void {
    this.socket.write(s);
  }

  /** Writes one byte per TCP write, each awaited, so the client sees many small chunks. */
  async writeBytewise(s: string): Promise<void> {
    for (const b of Buffer.from(s)) {
      await new Promise<void>((r) => this.socket.write(Buffer.of(b), () => r()));
    }
  }
}

export class FakeControlPort {
  private readonly server = net.createServer();
  private readonly pending: FakeConnection[] = [];
  private waiters: Array<(c: FakeConnection) => void> = [];
  port = 0;

  async listen(): Promise<void> {
    this.server.on('connection', (s) => {
      const c = new FakeConnection(s);
      const w = this.waiters.shift();
      if (w) w(c);
      else this.pending.push(c);
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  nextConnection(): Promise<FakeConnection> {
    const c = this.pending.shift();
    if (c) return Promise.resolve(c);
    return new Promise((r) => this.waiters.push(r));
  }

  async close(): Promise<void> {
    this.server.close();
    for (const c of this.pending) c.socket.destroy();
  }
}
