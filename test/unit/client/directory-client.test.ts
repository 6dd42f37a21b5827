import { afterEach, describe, expect, it } from 'vitest';
import { DirectoryClient, MAX_PEERS, type DirectoryClientOptions } from '../../../src/client/directory-client.js';
import { NickIdentity } from '../../../src/client/identity.js';
import { backoffDelay, DEFAULT_BACKOFF } from '../../../src/client/backoff.js';
import { ClosedError, TimeoutError } from '../../../src/client/pending.js';
import { buildSignedPrivmsg } from '../../../src/protocol/jm-message.js';
import { hexToBytes } from '../../../src/protocol/crypto.js';
import { nickFromPrivateKey } from '../../../src/protocol/nick.js';
import { ManualClock } from '../../../src/util/clock.js';
import { FakeDn, defaultReply, type FakeConn } from './fake-dn.js';
import { lcg, maxInWindow } from '../../helpers/send-windows.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(dnOpts: ConstructorParameters<typeof FakeDn>[0] = {}, clientOpts: Partial<DirectoryClientOptions> = {}) {
  const dn = await new FakeDn(dnOpts).start();
  const identity = NickIdentity.random();
  const client = new DirectoryClient({ host: '127.0.0.1', port: dn.port, identity, network: 'regtest', backoff: { initialMs: 20, maxMs: 100 }, ...clientOpts });
  cleanups.push(() => dn.stop(), () => client.stop());
  return { dn, client, identity };
}

const MAKER_KEY = hexToBytes('01'.repeat(32));
const MAKER_NICK = nickFromPrivateKey(MAKER_KEY);

describe('DirectoryClient', () => {
  it('sends a CRLF-terminated NOT-SERVING-ONION handshake and reports the directory', async () => {
    const { dn, client, identity } = await setup();
    const hs = dn.nextMessage(793);
    client.start();
    const info = await client.whenConnected(5_000);
    const { conn, env } = await hs;
    const parsed = JSON.parse(env.line) as Record<string, unknown>;
    expect(parsed['location-string']).toBe('NOT-SERVING-ONION');
    expect(parsed.nick).toBe(identity.nick);
    expect(parsed.network).toBe('regtest');
    expect(Buffer.concat(conn.rawChunks).toString().endsWith('}\r\n')).toBe(true);
    expect(info.motd).toBe('fake DN motd');
    expect(info.features).toEqual(['peerlist_features', 'ping']);
    expect(info.nick).toBe(dn.nick);
    expect(info.handshakeLatencyMs).toBeGreaterThanOrEqual(0);
  });

  it('reports accepted:false with the reason and retries with backoff', async () => {
    let replies = 0;
    const { client } = await setup({
      reply: (hs) => (++replies === 1 ? defaultReply('J5FakeDirectoryO', String(hs.network), false, 'Rejected: nick taken') : defaultReply('J5FakeDirectoryO', String(hs.network), true)),
    });
    const rejected = new Promise<{ reason: string }>((r) => client.once('rejected', r));
    const disconnected = new Promise<{ retryInMs: number | null }>((r) => client.once('disconnected', r));
    client.start();
    expect((await rejected).reason).toBe('Rejected: nick taken');
    const d = await disconnected;
    expect(d.retryInMs).not.toBeNull();
    expect(d.retryInMs!).toBeLessThanOrEqual(24);
    await client.whenConnected(5_000);
    expect(replies).toBe(2);
    expect(client.lastRejection).toBeNull();
  });

  it('treats a network mismatch as a rejection', async () => {
    const { client } = await setup({ reply: () => defaultReply('J5FakeDirectoryO', 'mainnet', true) });
    const rejected = new Promise<{ reason: string }>((r) => client.once('rejected', r));
    client.start();
    expect((await rejected).reason).toMatch(/network mismatch/);
  });

  it('skips and counts a line over 40,000 bytes and keeps the connection (exactly 40,000 still passes)', async () => {
    const { dn, client } = await setup();
    const conn = dn.nextConnection();
    client.start();
    await client.whenConnected(5_000);
    const c = await conn;
    const got: string[] = [];
    const third = new Promise<void>((resolve) => client.on('pubmsg', (m) => {
      got.push(m.body.slice(0, 12));
      if (got.length === 2) resolve();
    }));
    let dropped = false;
    client.on('disconnected', () => (dropped = true));
    const prefix = 'J5xxxxxxxxxxxxxx!PUBLIC!';
    const envelope = (body: string): string => `{"type": 687, "line": "${prefix}${body}"}`;
    const fits = envelope('a'.repeat(40_000 - envelope('').length));
    expect(Buffer.byteLength(fits)).toBe(40_000);
    c.socket.write(`${envelope('b'.repeat(40_000))}\r\n`); // 40,032 bytes
    c.socket.write(`${fits}\r\n`);
    c.send(687, `${prefix}after`);
    await third;
    expect(got).toEqual(['aaaaaaaaaaaa', 'after']);
    expect(client.oversizeLines).toBe(1);
    expect(dropped).toBe(false);
    expect(client.connected).toBe(true);
  });

  it('reconnects after the directory drops the connection', async () => {
    const { dn, client } = await setup();
    client.start();
    await client.whenConnected(5_000);
    const again = new Promise<void>((r) => client.once('disconnected', () => client.once('connected', () => r())));
    dn.conns[0]!.socket.destroy();
    await again;
    expect(dn.conns.length).toBe(2);
    expect(client.connected).toBe(true);
  });

  it('answers PING with PONG', async () => {
    const { dn, client } = await setup();
    client.start();
    await client.whenConnected(5_000);
    const pong = dn.nextMessage(799);
    dn.conns[0]!.send(798, '');
    const { env } = await pong;
    expect(env.line).toBe('');
  });

  it('ping() measures the PING→PONG round trip; refused without the feature or above the rate limit', async () => {
    const { dn, client } = await setup();
    client.start();
    await client.whenConnected(5_000);
    dn.on('message', (conn: { send(t: number, l: string): void }, env: { type: number }) => {
      if (env.type === 798) conn.send(799, '');
    });
    const rtts = [];
    for (let i = 0; i < 5; i++) rtts.push(await client.ping(5_000));
    for (const rtt of rtts) expect(rtt).toBeGreaterThanOrEqual(0);
    expect(client.lastPingRttMs).toBe(rtts[4]);
    expect(dn.conns[0]!.received.filter((e) => e.type === 798)).toHaveLength(5);
    // rs disconnects above 6 PING a minute; we stop at 5.
    await expect(client.ping(5_000)).rejects.toThrow(/PING rate-limited/);

    const ref = await setup({ reply: (hs) => defaultReply('J5FakeDirectoryO', String(hs.network), true, 'ref', {}) });
    ref.client.start();
    await ref.client.whenConnected(5_000);
    await expect(ref.client.ping(5_000)).rejects.toThrow(/no PING support/);
    await expect(new DirectoryClient({ host: '127.0.0.1', port: 1, identity: NickIdentity.random(), network: 'regtest' }).ping(10)).rejects.toThrow(/not connected/);
  });

  it('a ping() without a PONG times out and leaves the connection up', async () => {
    const { client } = await setup();
    client.start();
    await client.whenConnected(5_000);
    await expect(client.ping(50)).rejects.toThrow(TimeoutError);
    expect(client.connected).toBe(true);
  });

  it('emits verified privmsgs and drops forgeries', async () => {
    const { dn, client, identity } = await setup();
    client.start();
    await client.whenConnected(5_000);
    const forged: string[] = [];
    client.on('forged', (f) => forged.push(f.reason));
    const got = new Promise<{ from: string; commands: string[] }>((r) => client.on('privmsg', (m) => r({ from: m.from, commands: m.commands.map((c) => c.name) })));
    const good = buildSignedPrivmsg(MAKER_NICK, identity.nick, 'sw0reloffer', '0 27300 5000000 0 0.00002!sw0absoffer 1 27300 5000000 0 250', MAKER_KEY);
    // Same signature, tampered args; and a valid signature under a nick that is not the key's.
    const tampered = good.replace('0.00002', '0.00001');
    const otherKey = hexToBytes('02'.repeat(32));
    const wrongNick = buildSignedPrivmsg(MAKER_NICK, identity.nick, 'sw0reloffer', '5 27300 5000000 0 0.1', otherKey);
    const conn = dn.conns[0]!;
    conn.send(685, tampered);
    conn.send(685, wrongNick);
    conn.send(685, `${MAKER_NICK}!${identity.nick}!sw0reloffer 0 27300 5000000 0 0.00002`);
    conn.send(685, good);
    const m = await got;
    expect(m.from).toBe(MAKER_NICK);
    expect(m.commands).toEqual(['sw0reloffer', 'sw0absoffer']);
    expect(forged).toEqual(['bad signature', 'nick does not match pubkey', 'pubkey is not 66 lowercase hex chars']);
  });

  it('rejects pending requests when stopped', async () => {
    const { client } = await setup({ reply: () => null });
    client.start();
    const waiting = client.whenConnected(60_000);
    expect(client.pendingCount).toBe(1);
    await client.stop();
    await expect(waiting).rejects.toBeInstanceOf(ClosedError);
    expect(client.pendingCount).toBe(0);
  });

  it('GETPEERLIST resolves with the next PEERLIST and tracks presence', async () => {
    const { dn, client } = await setup();
    client.start();
    await client.whenConnected(5_000);
    dn.on('message', (conn: { send(t: number, l: string): void }, env: { type: number }) => {
      if (env.type === 791) conn.send(789, `${MAKER_NICK};127.0.0.1:9999;F:ping,J5gone111111111O;NOT-SERVING-ONION;D`);
    });
    const entries = await client.requestPeerlist(5_000);
    expect(entries.map((e) => e.nick)).toEqual([MAKER_NICK, 'J5gone111111111O']);
    expect([...client.peers().keys()]).toEqual([MAKER_NICK]);
  });

  it('keeps at most MAX_PEERS peers from a directory that lists without end, and no oversized entries', async () => {
    const { dn, client } = await setup();
    client.start();
    await client.whenConnected(5_000);
    const conn = dn.conns[0]!;
    const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
    const nick = (i: number): string => {
      let s = '';
      for (let n = i; s === '' || n > 0; n = Math.floor(n / 58)) s = B58[n % 58] + s;
      return `J5${s.padStart(13, '1')}O`;
    };
    const total = MAX_PEERS + 5_000;
    for (let i = 0; i < total; i += 100) {
      conn.send(789, Array.from({ length: 100 }, (_, j) => `${nick(i + j)};${'a'.repeat(56)}.onion:5222;F:${Array.from({ length: 40 }, (_, k) => `f${k}`).join('+')}`).join(','));
    }
    conn.send(789, `J5notanick;x,${nick(total)};${'b'.repeat(5_000)},${nick(total + 1)};NOT-SERVING-ONION`);
    const last = new Promise<void>((r) => client.on('peerlist', (p) => p.entries.some((e) => e.nick === nick(total + 1)) && r()));
    await last;
    const peers = client.peers();
    expect(peers.size).toBe(MAX_PEERS);
    expect(peers.has(nick(0))).toBe(false); // least recently listed went first
    expect(peers.has(nick(total + 1))).toBe(true);
    expect(peers.has('J5notanick')).toBe(false);
    expect(peers.has(nick(total))).toBe(false); // a 5,000-character location
    expect(peers.get(nick(total - 1))!.features).toHaveLength(16);
  });
});

describe('DirectoryClient with a ManualClock', () => {
  it('never sends an rs directory more than 29 pubmsgs or 3 !orderbook in any 60 s window', async () => {
    const clock = new ManualClock();
    const { dn, client, identity } = await setup({}, { clock, keepaliveMs: 0 });
    client.start();
    await client.whenConnected(5_000);
    const rnd = lcg(9);
    const sent: string[] = [];
    const at = { pubmsg: [] as number[], orderbook: [] as number[] };
    for (let i = 0; i < 6_000; i++) {
      clock.advance(rnd(10) === 0 ? rnd(60_000) : rnd(400));
      const body = rnd(3) === 0 ? '!orderbook' : `!hp2 ${i}`;
      if (!client.sendPubmsg(body).ok) continue;
      sent.push(`${identity.nick}!PUBLIC${body}`);
      at.pubmsg.push(clock.now());
      if (body === '!orderbook') at.orderbook.push(clock.now());
    }
    expect(maxInWindow(at.pubmsg, 60_000)).toBe(29);
    expect(maxInWindow(at.orderbook, 60_000)).toBe(3);
    // what the directory received is exactly what was let through
    const received: string[] = [];
    await new Promise<void>((resolve) => dn.on('message', (_c: unknown, env: { type: number; line: string }) => {
      if (env.type === 687 && received.push(env.line) === sent.length) resolve();
    }));
    expect(received).toEqual(sent);
  });

  it('times out a hung dial and backs off exponentially', async () => {
    const clock = new ManualClock();
    let dials = 0;
    const client = new DirectoryClient({
      host: 'dn.invalid', port: 5222, identity: NickIdentity.random(), network: 'mainnet', clock,
      dialer: () => {
        dials++;
        return new Promise(() => {});
      },
      random: () => 0.5, connectTimeoutMs: 1_000, backoff: { initialMs: 4_000, factor: 2, maxMs: 10_000, jitter: 0.2 },
    });
    const delays: Array<number | null> = [];
    client.on('disconnected', (d) => delays.push(d.retryInMs));
    const waiting = client.whenConnected(100_000);
    client.start();
    expect(dials).toBe(1);
    clock.advance(1_000);
    expect(delays).toEqual([4_000]);
    clock.advance(4_000);
    expect(dials).toBe(2);
    clock.advance(1_000 + 8_000 + 1_000 + 10_000);
    expect(delays).toEqual([4_000, 8_000, 10_000]);
    expect(dials).toBe(4);
    clock.advance(100_000);
    await expect(waiting).rejects.toBeInstanceOf(TimeoutError);
    await client.stop();
  });

  it('backoffDelay is capped and jittered within bounds', () => {
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 0.5)).toBe(4_000);
    expect(backoffDelay(1, DEFAULT_BACKOFF, () => 0.5)).toBe(6_000);
    expect(backoffDelay(50, DEFAULT_BACKOFF, () => 0.5)).toBe(DEFAULT_BACKOFF.maxMs);
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 0)).toBe(3_200);
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 0.999999)).toBeLessThanOrEqual(4_800);
  });
});

describe('DirectoryClient: nick authentication results', () => {
  /** A directory offering nick-auth that answers successive proofs with `codes` (then ok). */
  async function authDn(codes: string[], directoryId?: string) {
    const features = { ping: true, peerlist_features: true, nick_auth: true };
    const dn = await new FakeDn({ reply: (hs) => defaultReply('J5FakeDirectoryO', String(hs.network), true, 'motd', features) }).start();
    const id = directoryId ?? `127.0.0.1:${dn.port}`;
    let proofs = 0;
    dn.on('message', (conn: FakeConn, env: { type: number }) => {
      if (env.type === 793) conn.send(803, JSON.stringify({ challenge: 'ab'.repeat(32), 'directory-id': id }));
      if (env.type === 805) {
        const code = codes[proofs++] ?? 'ok';
        conn.send(807, code === 'garbage' ? '{"code":' : JSON.stringify({ code, verified: code === 'ok' }));
      }
    });
    const client = new DirectoryClient({ host: '127.0.0.1', port: dn.port, identity: NickIdentity.random(), network: 'regtest', backoff: { initialMs: 20, maxMs: 100 } });
    const disconnects: Array<{ reason: string; retryInMs: number | null }> = [];
    client.on('disconnected', (d) => disconnects.push(d));
    cleanups.push(() => dn.stop(), () => client.stop());
    return { client, disconnects };
  }

  it('policy, expired and an unreadable result are retried with backoff, then authenticate', async () => {
    const { client, disconnects } = await authDn(['policy', 'expired', 'garbage']);
    client.start();
    const info = await client.whenConnected(10_000);
    expect(info.nickVerified).toBe(true);
    expect(disconnects.map((d) => d.reason)).toEqual([
      'nick authentication: directory refused our proof: policy',
      'nick authentication: directory refused our proof: expired',
      expect.stringMatching(/^nick authentication: malformed result/),
    ]);
    expect(disconnects.every((d) => d.retryInMs !== null)).toBe(true);
  });

  it('invalid or malformed for our own (self-checked) proof, or another directory-id, mark the directory hostile', async () => {
    for (const [codes, id, reason] of [
      [['invalid'], undefined, /^hostile directory: directory refused our proof: invalid$/],
      [['malformed'], undefined, /^hostile directory: directory refused our proof: malformed$/],
      [[], 'elsewhere:5222', /^hostile directory: challenge is for directory-id "elsewhere:5222"/],
    ] as const) {
      const { client, disconnects } = await authDn([...codes], id);
      const gone = new Promise<void>((r) => client.once('disconnected', () => r()));
      client.start();
      await gone;
      expect(disconnects[0]!.reason).toMatch(reason);
      expect(disconnects[0]!.retryInMs).toBeNull();
      expect(client.state).toBe('stopped');
    }
  });
});
