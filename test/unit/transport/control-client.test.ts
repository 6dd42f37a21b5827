import { createHmac } from 'node:crypto';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { TorControlClient, type TorEvent } from '../../../src/transport/tor/control-client.js';
import { authenticate } from '../../../src/transport/tor/auth.js';
import { addOnion, getInfo, parseHsDescEvent } from '../../../src/transport/tor/commands.js';
import {
  TorAuthError,
  TorControlClosedError,
  TorControlProtocolError,
  TorControlReplyError,
  TorControlTimeoutError,
} from '../../../src/transport/tor/errors.js';
import { FakeControlPort, type FakeConnection } from './fake-control-port.js';

const fake = new FakeControlPort();
let client: TorControlClient | undefined;
let tmp = '';

beforeAll(async () => {
  await fake.listen();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'jm-ctl-'));
});
afterAll(async () => {
  await fake.close();
  await rm(tmp, { recursive: true, force: true });
});
afterEach(() => {
  client?.destroy();
  client = undefined;
});

async function open(clock = new ManualClock()): Promise<{ c: TorControlClient; s: FakeConnection; clock: ManualClock }> {
  const [c, s] = await Promise.all([
    TorControlClient.connect({ kind: 'tcp', host: '127.0.0.1', port: fake.port }, { clock, logger: silentLogger() }),
    fake.nextConnection(),
  ]);
  client = c;
  return { c, s, clock };
}

describe('TorControlClient', () => {
  it('matches a reply delivered one byte per TCP write', async () => {
    const { c, s } = await open();
    const p = getInfo(c, ['version', 'config-text']);
    expect(await s.line(0)).toBe('GETINFO version config-text');
    await s.writeBytewise('250-version=0.4.9.11\r\n250+config-text=\r\nA 1\r\n.\r\n250 OK\r\n');
    const info = await p;
    expect(info.get('version')).toBe('0.4.9.11');
    expect(info.get('config-text')).toBe('A 1');
  });

  it('routes 650 events to the emitter, never to a pending command', async () => {
    const { c, s } = await open();
    const events: TorEvent[] = [];
    c.on('event', (e) => events.push(e));
    const p = c.command('GETINFO version');
    await s.line(0);
    s.write('650 HS_DESC UPLOADED aaaa UNKNOWN $ABC\r\n650-CONF_CHANGED\r\n650-X=1\r\n650 OK\r\n250-version=1\r\n250 OK\r\n');
    const r = await p;
    expect(r.lines[0]?.text).toBe('version=1');
    expect(events.map((e) => e.type)).toEqual(['HS_DESC', 'CONF_CHANGED']);
    expect(parseHsDescEvent(events[0] as TorEvent)).toEqual({ action: 'UPLOADED', address: 'aaaa', authType: 'UNKNOWN', hsDir: '$ABC', reason: undefined });
  });

  it('matches pipelined commands strictly in FIFO order', async () => {
    const { c, s } = await open();
    const ps = [c.command('GETINFO a'), c.command('GETINFO b'), c.command('GETINFO c')];
    await s.line(2);
    s.write('250-a=1\r\n250 OK\r\n250-b=2\r\n250 OK\r\n250-c=3\r\n250 OK\r\n');
    const rs = await Promise.all(ps);
    expect(rs.map((r) => r.lines[0]?.text)).toEqual(['a=1', 'b=2', 'c=3']);
  });

  it('rejects 4xx/5xx with a typed error and keeps the connection usable', async () => {
    const { c, s } = await open();
    const bad = c.command('GETINFO nope');
    const good = c.command('GETINFO version');
    await s.line(1);
    s.write('552 Unrecognized key "nope"\r\n250-version=1\r\n250 OK\r\n');
    const err = await bad.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TorControlReplyError);
    expect((err as TorControlReplyError).code).toBe(552);
    expect((await good).code).toBe(250);
  });

  it('rejects every pending command when the connection closes, and later commands at once', async () => {
    const { c, s } = await open();
    const ps = [c.command('GETINFO a'), c.command('GETINFO b')].map((p) => p.catch((e: unknown) => e));
    await s.line(1);
    s.socket.destroy();
    const errs = await Promise.all(ps);
    for (const e of errs) expect(e).toBeInstanceOf(TorControlClosedError);
    expect(c.closed).toBe(true);
    await expect(c.command('GETINFO x')).rejects.toBeInstanceOf(TorControlClosedError);
  });

  it('times out a command but still consumes its late reply (FIFO preserved)', async () => {
    const { c, s, clock } = await open();
    const slow = c.command('GETINFO slow', { timeoutMs: 1000 }).catch((e: unknown) => e);
    await s.line(0);
    clock.advance(1001);
    expect(await slow).toBeInstanceOf(TorControlTimeoutError);
    const next = c.command('GETINFO next');
    await s.line(1);
    s.write('250-slow=late\r\n250 OK\r\n250-next=mine\r\n250 OK\r\n');
    expect((await next).lines[0]?.text).toBe('next=mine');
    expect(c.pendingCount).toBe(0);
  });

  it('closes on malformed input and on an unsolicited reply', async () => {
    const { c, s } = await open();
    const p = c.command('GETINFO a').catch((e: unknown) => e);
    await s.line(0);
    s.write('garbage\r\n');
    const e = await p;
    expect(e).toBeInstanceOf(TorControlClosedError);
    expect((e as Error).cause).toBeInstanceOf(TorControlProtocolError);
    const second = await open();
    const closed = new Promise((r) => second.c.once('close', r));
    second.s.write('250 OK\r\n');
    expect(await closed).toBeInstanceOf(TorControlProtocolError);
  });

  it('refuses command lines containing CR/LF (no command injection)', async () => {
    const { c } = await open();
    await expect(c.command('GETINFO a\r\nSIGNAL HALT')).rejects.toBeInstanceOf(TorControlProtocolError);
    await expect(addOnion(c, { ports: [{ virtualPort: 5222, target: '127.0.0.1:1 Flags=Detach' }] })).rejects.toThrow(/invalid onion port/);
  });

  it('works over a Unix-socket control port', async () => {
    const net = await import('node:net');
    const sockPath = path.join(tmp, 'control.sock');
    const srv = net.createServer((s) => s.on('data', () => s.write('250-version=unix\r\n250 OK\r\n')));
    await new Promise<void>((r) => srv.listen(sockPath, r));
    const c = await TorControlClient.connect({ kind: 'unix', path: sockPath }, { clock: systemClock, logger: silentLogger() });
    client = c;
    expect((await getInfo(c, ['version'])).get('version')).toBe('unix');
    c.destroy();
    srv.close();
  });

  it('fails to connect with a clear error', async () => {
    const dead = await import('node:net').then((n) => {
      const srv = n.createServer();
      return new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as import('node:net').AddressInfo).port;
        srv.close(() => r(port));
      }));
    });
    await expect(
      TorControlClient.connect({ kind: 'tcp', host: '127.0.0.1', port: dead }, { clock: systemClock, logger: silentLogger() }),
    ).rejects.toThrow(/cannot connect to tor control port 127\.0\.0\.1:\d+.*ECONNREFUSED/);
  });
});

describe('authenticate', () => {
  const cookie = Buffer.alloc(32, 7);
  const protocolInfo = (methods: string, cookieFile?: string): string =>
    `250-PROTOCOLINFO 1\r\n250-AUTH METHODS=${methods}${cookieFile ? ` COOKIEFILE="${cookieFile}"` : ''}\r\n250-VERSION Tor="0.4.9.11"\r\n250 OK\r\n`;

  it('uses SAFECOOKIE with the HMACs of the control spec', async () => {
    const cookieFile = path.join(tmp, 'cookie');
    await writeFile(cookieFile, cookie);
    const { c, s } = await open();
    const p = authenticate(c, {});
    await s.line(0);
    s.write(protocolInfo('COOKIE,SAFECOOKIE,HASHEDPASSWORD', cookieFile));
    const challenge = await s.line(1);
    const m = /^AUTHCHALLENGE SAFECOOKIE ([0-9a-f]{64})$/.exec(challenge);
    expect(m).not.toBeNull();
    const clientNonce = Buffer.from(m?.[1] ?? '', 'hex');
    const serverNonce = Buffer.alloc(32, 9);
    const mac = (key: string): string =>
      createHmac('sha256', key).update(Buffer.concat([cookie, clientNonce, serverNonce])).digest('hex');
    s.write(`250 AUTHCHALLENGE SERVERHASH=${mac('Tor safe cookie authentication server-to-controller hash').toUpperCase()} SERVERNONCE=${serverNonce.toString('hex').toUpperCase()}\r\n`);
    expect(await s.line(2)).toBe(`AUTHENTICATE ${mac('Tor safe cookie authentication controller-to-server hash')}`);
    s.write('250 OK\r\n');
    expect(await p).toBe('SAFECOOKIE');
  });

  it('refuses a SAFECOOKIE server hash that does not match the cookie', async () => {
    const cookieFile = path.join(tmp, 'cookie2');
    await writeFile(cookieFile, cookie);
    const { c, s } = await open();
    const p = authenticate(c, {}).catch((e: unknown) => e);
    await s.line(0);
    s.write(protocolInfo('SAFECOOKIE', cookieFile));
    await s.line(1);
    s.write(`250 AUTHCHALLENGE SERVERHASH=${'00'.repeat(32)} SERVERNONCE=${'11'.repeat(32)}\r\n`);
    const e = await p;
    expect(e).toBeInstanceOf(TorAuthError);
    expect((e as Error).message).toMatch(/server hash mismatch/);
  });

  it('uses COOKIE, HASHEDPASSWORD and NULL as offered', async () => {
    const cookieFile = path.join(tmp, 'cookie3');
    await writeFile(cookieFile, cookie);
    const cases: Array<[string, { password?: string; cookieFile?: string }, string]> = [
      ['COOKIE', { cookieFile }, `AUTHENTICATE ${cookie.toString('hex')}`],
      ['HASHEDPASSWORD,COOKIE', { password: 'se"cret' }, 'AUTHENTICATE "se\\"cret"'],
      ['NULL', {}, 'AUTHENTICATE'],
    ];
    for (const [methods, auth, expected] of cases) {
      const { c, s } = await open();
      const p = authenticate(c, auth);
      await s.line(0);
      s.write(protocolInfo(methods));
      expect(await s.line(1)).toBe(expected);
      s.write('250 OK\r\n');
      await p;
      c.destroy();
    }
  });

  it('reports a refused password and an unreadable cookie clearly', async () => {
    const { c, s } = await open();
    const p = authenticate(c, { password: 'wrong' }).catch((e: unknown) => e);
    await s.line(0);
    s.write(protocolInfo('HASHEDPASSWORD'));
    await s.line(1);
    s.write('515 Authentication failed: Password did not match HashedControlPassword value\r\n');
    const e = await p;
    expect(e).toBeInstanceOf(TorAuthError);
    expect((e as Error).message).toMatch(/refused HASHEDPASSWORD authentication: 515/);

    const two = await open();
    const q = authenticate(two.c, {}).catch((err: unknown) => err);
    await two.s.line(0);
    two.s.write(protocolInfo('COOKIE', path.join(tmp, 'missing-cookie')));
    const e2 = await q;
    expect(e2).toBeInstanceOf(TorAuthError);
    expect((e2 as Error).message).toMatch(/cannot read tor control cookie .*missing-cookie: ENOENT/);
  });

  it('explains when no offered method is usable', async () => {
    const { c, s } = await open();
    const p = authenticate(c, {}).catch((e: unknown) => e);
    await s.line(0);
    s.write(protocolInfo('HASHEDPASSWORD'));
    expect(((await p) as Error).message).toMatch(/no usable tor control authentication: tor offers HASHEDPASSWORD \(give --tor-password\)/);
  });
});
