/**
 * The directory check over real TCP sockets: our DN (GETPEERLIST), a directory that answers in
 * chunks and offers nick_auth, one that accepts TCP but never handshakes, a closed port, a
 * network mismatch; and `jm-orderbook directories check` printing its table.
 */
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDirectory, type CheckOptions } from '../../../src/client/directory-check.js';
import { tcpDialer } from '../../../src/client/dialer.js';
import { DirectoryClient, NickIdentity } from '../../../src/client/index.js';
import { DirectoryServer } from '../../../src/directory/index.js';
import { MsgType } from '../../../src/protocol/message-types.js';
import { runCli, stopCliProcesses } from '../../helpers/cli-process.js';
import { defaultReply, FakeDn } from '../../unit/client/fake-dn.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await stopCliProcesses();
  while (cleanups.length) await cleanups.pop()!();
});

const opts = (o: Partial<CheckOptions> = {}): CheckOptions => ({ network: 'regtest', dialerFor: () => tcpDialer, timeoutMs: 5000, peerlistQuietMs: 300, ...o });

async function ourDn(): Promise<{ port: number }> {
  const dn = new DirectoryServer({ network: 'regtest', mode: 'loopback', listen: { host: '127.0.0.1', port: 0 }, motd: 'hello\u001b[31m from the test' });
  const addr = await dn.start();
  cleanups.push(() => dn.stop());
  return addr;
}

async function peer(port: number, location?: string): Promise<DirectoryClient> {
  const c = new DirectoryClient({ host: '127.0.0.1', port, identity: NickIdentity.random(), network: 'regtest', reconnect: false, ...(location ? { location } : {}) });
  cleanups.push(() => c.stop());
  c.start();
  await c.whenConnected(5000);
  return c;
}

describe('checkDirectory over TCP', () => {
  it('our DN: handshake time, MOTD, features, peers from GETPEERLIST (the checker itself not counted)', async () => {
    const { port } = await ourDn();
    await peer(port, '127.0.0.1:40001');
    await peer(port);
    const r = await checkDirectory({ host: '127.0.0.1', port }, opts());
    expect(r).toMatchObject({ id: `127.0.0.1:${port}`, reachable: true, ok: true, error: null, network: 'regtest', peerlistError: null });
    // Our DN offers nick authentication by default; the check takes part in it like any client.
    expect(r.nickAuth).toEqual({ offered: true, verified: true, error: null });
    expect(r.features).toEqual(expect.arrayContaining(['nick_auth', 'peerlist_features', 'ping']));
    expect(r.motd).toContain('from the test');
    expect(r.handshakeMs).toBeGreaterThanOrEqual(0);
    expect(r.connectMs).toBeGreaterThanOrEqual(0);
    expect(r.dnNick).toMatch(/^J5/);
    // Our DN lists serving claimants and offer announcers, never plain takers; a claimed location
    // counts as serving only once the DN has proven it (nothing answers at 127.0.0.1:40001).
    expect(r.peers).toEqual({ total: 1, serving: 0 });
  });

  it('counts every chunk of a chunked peerlist', async () => {
    const fake = await new FakeDn({ reply: (hs) => defaultReply('J5FakeDirectoryO', String(hs.network), true, 'ng-like', { peerlist_features: true, ping: true }) }).start();
    cleanups.push(() => fake.stop());
    fake.on('message', (conn: { send(t: number, l: string): void }, env: { type: number }) => {
      if (env.type !== MsgType.GETPEERLIST) return;
      conn.send(MsgType.PEERLIST, 'J5aaaaaaaaaaaaaa;NOT-SERVING-ONION,J5bbbbbbbbbbbbbb;127.0.0.1:1');
      setTimeout(() => conn.send(MsgType.PEERLIST, 'J5cccccccccccccc;127.0.0.1:2'), 100);
    });
    const r = await checkDirectory({ host: '127.0.0.1', port: fake.port }, opts());
    expect(r).toMatchObject({ ok: true, nickAuth: { offered: false }, motd: 'ng-like', peers: { total: 3, serving: 2 } });
  });

  it('a directory advertising GETPEERLIST that never answers: ok, peers unknown, reason kept', async () => {
    const fake = await new FakeDn().start();
    cleanups.push(() => fake.stop());
    const r = await checkDirectory({ host: '127.0.0.1', port: fake.port }, opts({ peerlistTimeoutMs: 300 }));
    expect(r).toMatchObject({ ok: true, peers: null, peerlistError: expect.stringMatching(/timed out|timeout/i) });
  });

  it('a directory that offers nick_auth but never challenges does not complete the handshake', async () => {
    const fake = await new FakeDn({ reply: (hs) => defaultReply('J5FakeDirectoryO', String(hs.network), true, 'x', { nick_auth: true }) }).start();
    cleanups.push(() => fake.stop());
    const r = await checkDirectory({ host: '127.0.0.1', port: fake.port }, opts({ timeoutMs: 400 }));
    expect(r).toMatchObject({ ok: false, nickAuth: { offered: true, verified: false }, error: expect.stringMatching(/no handshake reply/) });
  });

  it('a reference-like directory without features: ok, peers n/a', async () => {
    const fake = await new FakeDn({ reply: (hs) => defaultReply('J5FakeDirectoryO', String(hs.network), true, 'ref', {}) }).start();
    cleanups.push(() => fake.stop());
    const r = await checkDirectory({ host: '127.0.0.1', port: fake.port }, opts());
    expect(r).toMatchObject({ ok: true, features: [], peers: null, peerlistError: null });
  });

  it('TCP open but no handshake is down, not healthy', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => silent.close(r));
    });
    const port = (silent.address() as net.AddressInfo).port;
    const r = await checkDirectory({ host: '127.0.0.1', port }, opts({ timeoutMs: 400 }));
    expect(r).toMatchObject({ reachable: true, ok: false, handshakeMs: null, error: expect.stringMatching(/no handshake reply within 400 ms/) });
  });

  it('a closed port is unreachable; a network mismatch is a rejection', async () => {
    const closed = await checkDirectory({ host: '127.0.0.1', port: 1 }, opts());
    expect(closed).toMatchObject({ reachable: false, ok: false, connectMs: null, error: expect.stringMatching(/connect failed/) });
    const { port } = await ourDn();
    const r = await checkDirectory({ host: '127.0.0.1', port }, opts({ network: 'testnet' }));
    expect(r).toMatchObject({ reachable: true, ok: false, error: expect.stringMatching(/^rejected: /) });
  });
});

const cli = (args: string[], env: Record<string, string> = {}) => runCli('jm-orderbook', args, { env });

describe('jm-orderbook directories check', () => {
  it('prints the table (terminal-safe MOTD); exit 0 when one answers, 1 when none does, 2 on bad usage', async () => {
    const { port } = await ourDn();
    const r = await cli(['directories', 'check', '--network', 'regtest', '--directory', `127.0.0.1:${port},127.0.0.1:1`]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^directory\s+status\s+connect\s+handshake\s+peers\s+nick-auth\s+features\s+motd$/);
    const ok = lines.find((l) => l.startsWith(`127.0.0.1:${port} `))!;
    expect(ok).toMatch(/ ok .* ms .*0 \(0 serving\)\s+verified\s+nick_auth,peerlist_features,ping\s+DIRECTORY NODE: /);
    expect(r.stdout).not.toContain('\u001b');
    expect(lines.find((l) => l.startsWith('127.0.0.1:1 '))).toMatch(/unreachable: connect failed/);
    expect(r.stdout).toContain('1 of 2 answered the handshake');
    expect(r.stderr).toContain('checking 2 regtest directories from --directory over TCP');

    const json = await cli(['directories', 'check', '--network', 'regtest', '--json'], { JM_DIRECTORIES: `127.0.0.1:${port}` });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ network: 'regtest', source: 'JM_DIRECTORIES', directories: [{ ok: true, peers: { total: 0, serving: 0 }, motd: expect.stringContaining('from the test') }] });

    expect((await cli(['directories', 'check', '--network', 'regtest', '--directory', '127.0.0.1:1'])).code).toBe(1);
    const bad = await cli(['directories', 'check', '--network', 'mainnet', '--transport', 'tcp']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/is an onion address: use --transport tor/);
  }, 120_000); // four CLI runs, each starting node + tsx
});
