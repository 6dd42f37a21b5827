import net from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialSocks, SocksDialError } from '../../../src/transport/socks.js';

interface Seen {
  methods: number[];
  user?: string;
  pass?: string;
  atyp: number;
  host: string;
  port: number;
}

/** Minimal SOCKS5 server: answers the n-th CONNECT with replies[n] (0 = success, then echoes). */
class FakeSocks {
  readonly server = net.createServer((s) => this.handle(s));
  readonly seen: Seen[] = [];
  replies: number[] = [];
  port = 0;

  async listen(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  private handle(s: net.Socket): void {
    let buf = Buffer.alloc(0);
    let stage = 0;
    const seen: Partial<Seen> = {};
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (stage === 0 && buf.length >= 2 && buf.length >= 2 + (buf[1] ?? 0)) {
          seen.methods = [...buf.subarray(2, 2 + (buf[1] ?? 0))];
          const useAuth = seen.methods.includes(2);
          buf = buf.subarray(2 + (buf[1] ?? 0));
          s.write(Buffer.of(5, useAuth ? 2 : 0));
          stage = useAuth ? 1 : 2;
        } else if (stage === 1 && buf.length >= 2) {
          const ul = buf[1] ?? 0;
          const pl = buf[2 + ul] ?? 0;
          if (buf.length < 3 + ul + pl) return;
          seen.user = buf.subarray(2, 2 + ul).toString();
          seen.pass = buf.subarray(3 + ul, 3 + ul + pl).toString();
          buf = buf.subarray(3 + ul + pl);
          s.write(Buffer.of(1, 0));
          stage = 2;
        } else if (stage === 2 && buf.length >= 5) {
          const atyp = buf[3] ?? 0;
          const len = atyp === 3 ? 1 + (buf[4] ?? 0) : atyp === 1 ? 4 : 16;
          if (buf.length < 4 + len + 2) return;
          seen.atyp = atyp;
          seen.host = atyp === 3 ? buf.subarray(5, 4 + len).toString() : '';
          seen.port = buf.readUInt16BE(4 + len);
          buf = buf.subarray(4 + len + 2);
          this.seen.push(seen as Seen);
          const code = this.replies[this.seen.length - 1] ?? 0;
          s.write(Buffer.of(5, code, 0, 1, 0, 0, 0, 0, 0, 0));
          if (code !== 0) s.end();
          stage = 3;
        } else if (stage === 3 && buf.length > 0) {
          s.write(buf);
          buf = Buffer.alloc(0);
        } else return;
      }
    });
    s.on('error', () => undefined);
  }
}

const ONION = 'a'.repeat(56) + '.onion';
const fake = new FakeSocks();
beforeAll(() => fake.listen());
afterAll(() => {
  fake.server.close();
});

describe('dialSocks', () => {
  it('passes the .onion as a name (ATYP 3), retries HostUnreachable/TTLExpired, then connects', async () => {
    fake.seen.length = 0;
    fake.replies = [4, 6, 0];
    const sock = await dialSocks({ socksHost: '127.0.0.1', socksPort: fake.port, host: ONION, port: 5222, retries: 3, backoffMs: 5 });
    sock.write('ping');
    const [echo] = (await once(sock, 'data')) as [Buffer];
    expect(echo.toString()).toBe('ping');
    sock.destroy();
    expect(fake.seen.map((s) => [s.atyp, s.host, s.port])).toEqual([
      [3, ONION, 5222],
      [3, ONION, 5222],
      [3, ONION, 5222],
    ]);
  });

  it('gives up after the configured retries and does not retry other failures', async () => {
    fake.seen.length = 0;
    fake.replies = [4, 4, 4];
    const e = await dialSocks({ socksHost: '127.0.0.1', socksPort: fake.port, host: ONION, port: 5222, retries: 1, backoffMs: 5 }).catch(
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(SocksDialError);
    expect((e as SocksDialError).reply).toBe('HostUnreachable');
    expect((e as SocksDialError).attempts).toBe(2);
    fake.seen.length = 0;
    fake.replies = [2];
    const e2 = await dialSocks({ socksHost: '127.0.0.1', socksPort: fake.port, host: ONION, port: 5222, retries: 5, backoffMs: 5 }).catch(
      (err: unknown) => err,
    );
    expect((e2 as SocksDialError).reply).toBe('NotAllowed');
    expect(fake.seen).toHaveLength(1);
  });

  it('a deadline bounds the retries and cuts the last attempt short', async () => {
    fake.seen.length = 0;
    fake.replies = Array(100).fill(4);
    const t0 = Date.now();
    const e = await dialSocks({ socksHost: '127.0.0.1', socksPort: fake.port, host: ONION, port: 5222, retries: 100, backoffMs: 20, maxBackoffMs: 40, deadline: t0 + 300 })
      .catch((err: unknown) => err);
    expect(e).toBeInstanceOf(SocksDialError);
    expect(String(e)).toMatch(/before the deadline|HostUnreachable/);
    expect(fake.seen.length).toBeGreaterThan(1);
    expect(fake.seen.length).toBeLessThan(50);

    // A proxy that never answers: the attempt ends at the deadline, not at its own 60 s timeout.
    const mute = net.createServer(() => undefined);
    mute.listen(0, '127.0.0.1');
    await once(mute, 'listening');
    const port = (mute.address() as net.AddressInfo).port;
    const t1 = Date.now();
    await expect(dialSocks({ socksHost: '127.0.0.1', socksPort: port, host: ONION, port: 5222, timeoutMs: 60_000, deadline: t1 + 300 })).rejects.toThrow(/timed out|Timed out/i);
    expect(Date.now() - t1).toBeLessThan(5_000);
    mute.close();
  });

  it('isolates identities with distinct SOCKS credentials', async () => {
    fake.seen.length = 0;
    fake.replies = [];
    for (const id of ['maker-1', 'maker-2']) {
      (await dialSocks({ socksHost: '127.0.0.1', socksPort: fake.port, host: ONION, port: 5222, isolationId: id })).destroy();
    }
    (await dialSocks({ socksHost: '127.0.0.1', socksPort: fake.port, host: ONION, port: 5222 })).destroy();
    expect(fake.seen.map((s) => s.user)).toEqual(['jm-maker-1', 'jm-maker-2', undefined]);
    expect(fake.seen[2]?.methods).toEqual([0]);
  });

  it('rejects bad options and a dead SOCKS port with clear errors', async () => {
    await expect(dialSocks({ socksHost: '127.0.0.1', socksPort: fake.port, host: 'a b', port: 5222 })).rejects.toThrow(/invalid SOCKS dial options/);
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const dead = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    await expect(dialSocks({ socksHost: '127.0.0.1', socksPort: dead, host: ONION, port: 5222, retries: 3 })).rejects.toThrow(
      /after 1 attempt\(s\).*ECONNREFUSED.*is tor running/,
    );
  });

  it('times out a SOCKS server that never answers', async () => {
    const mute = net.createServer(() => undefined);
    mute.listen(0, '127.0.0.1');
    await once(mute, 'listening');
    const port = (mute.address() as net.AddressInfo).port;
    await expect(dialSocks({ socksHost: '127.0.0.1', socksPort: port, host: ONION, port: 5222, timeoutMs: 200 })).rejects.toThrow(/timed out|Timed out/i);
    mute.close();
  });
});
