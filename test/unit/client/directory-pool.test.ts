import { afterEach, describe, expect, it } from 'vitest';
import { DirectoryPool } from '../../../src/client/directory-pool.js';
import { NickIdentity } from '../../../src/client/identity.js';
import { ClosedError } from '../../../src/client/pending.js';
import { buildSignedPrivmsg } from '../../../src/protocol/jm-message.js';
import { hexToBytes } from '../../../src/protocol/crypto.js';
import { nickFromPrivateKey } from '../../../src/protocol/nick.js';
import { FakeDn } from './fake-dn.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const MAKER_KEY = hexToBytes('01'.repeat(32));
const MAKER_NICK = nickFromPrivateKey(MAKER_KEY);

async function twoDns(opts: ConstructorParameters<typeof FakeDn>[0] = {}) {
  const a = await new FakeDn(opts).start();
  const b = await new FakeDn(opts).start();
  const pool = new DirectoryPool({
    directories: [{ host: '127.0.0.1', port: a.port }, { host: '127.0.0.1', port: b.port }],
    identity: NickIdentity.random(), network: 'regtest', backoff: { initialMs: 20, maxMs: 100 },
  });
  cleanups.push(() => a.stop(), () => b.stop(), () => pool.stop());
  return { a, b, pool, idA: `127.0.0.1:${a.port}`, idB: `127.0.0.1:${b.port}` };
}

describe('DirectoryPool', () => {
  it('uses one nick on every directory', async () => {
    const { a, b, pool } = await twoDns();
    const hsA = a.nextMessage(793);
    const hsB = b.nextMessage(793);
    pool.start();
    await pool.whenConnected(5_000, 2);
    const nicks = [(await hsA).env.line, (await hsB).env.line].map((l) => (JSON.parse(l) as { nick: string }).nick);
    expect(nicks).toEqual([pool.nick, pool.nick]);
  });

  it('emits a message once when it arrives via two directories, but sightings for both', async () => {
    const { a, b, pool, idA, idB } = await twoDns();
    pool.start();
    await pool.whenConnected(5_000, 2);
    const pubs: string[] = [];
    const privs: string[] = [];
    const sightings: string[] = [];
    pool.on('pubmsg', (m) => pubs.push(`${m.dn} ${m.body}`));
    pool.on('privmsg', (m) => privs.push(m.dn));
    pool.on('sighting', (s) => sightings.push(s.dn));
    const pub = `${MAKER_NICK}!PUBLIC!sw0reloffer 0 27300 5000000 0 0.00002`;
    const priv = buildSignedPrivmsg(MAKER_NICK, pool.nick, 'sw0absoffer', '1 27300 5000000 0 250', MAKER_KEY);
    const sightedOn = (dn: string) => new Promise<void>((r) => { const off = pool.on('sighting', (s) => { if (s.dn === dn) { off(); r(); } }); });
    // Deliver each copy and wait for it, so arrival order across the two sockets is fixed.
    let s = sightedOn(idA); a.conns[0]!.send(687, pub); await s;
    s = sightedOn(idB); b.conns[0]!.send(687, pub); await s;
    s = sightedOn(idB); b.conns[0]!.send(685, priv); await s;
    s = sightedOn(idA); a.conns[0]!.send(685, priv); await s;
    // A re-announcement through the same directory is new (the maker sent it again).
    s = sightedOn(idA); a.conns[0]!.send(687, pub); await s;
    expect(privs).toEqual([idB]);
    expect(pubs).toEqual([`${idA} sw0reloffer 0 27300 5000000 0 0.00002`, `${idA} sw0reloffer 0 27300 5000000 0 0.00002`]);
    expect(sightings.sort()).toEqual([idA, idA, idA, idB, idB].sort());
    expect(pool.routesTo(MAKER_NICK)).toHaveLength(2);
  });

  it('sends a privmsg through exactly one directory: where the recipient was heard', async () => {
    const { a, b, pool, idB } = await twoDns();
    pool.start();
    await pool.whenConnected(5_000, 2);
    const heard = new Promise<void>((r) => pool.once('pubmsg', () => r()));
    b.conns[0]!.send(687, `${MAKER_NICK}!PUBLIC!sw0reloffer 0 27300 5000000 0 0.00002`);
    await heard;
    const got = b.nextMessage(685);
    const r = pool.sendPrivmsg(MAKER_NICK, 'fill', '0 100000 abc P02aa');
    expect(r).toEqual({ ok: true, dn: idB });
    expect((await got).env.line.startsWith(`${pool.nick}!${MAKER_NICK}!fill 0 100000 abc P02aa `)).toBe(true);
    expect(a.conns[0]!.received.filter((e) => e.type === 685)).toHaveLength(0);
    expect(pool.sendPrivmsg(MAKER_NICK, 'fill', 'x', 'nowhere:1')).toMatchObject({ ok: false });
  });

  it('announce() reaches every directory and status() reports per-directory state', async () => {
    const { a, b, pool } = await twoDns();
    pool.start();
    await pool.whenConnected(5_000, 2);
    const gotA = a.nextMessage(687);
    const gotB = b.nextMessage(687);
    expect(pool.announce('!sw0reloffer 0 27300 5000000 0 0.00002').sent).toHaveLength(2);
    expect((await gotA).env.line).toBe(`${pool.nick}!PUBLIC!sw0reloffer 0 27300 5000000 0 0.00002`);
    expect((await gotB).env.line).toBe((await gotA).env.line);
    const st = pool.status();
    expect(st.map((s) => [s.connected, s.motd, s.features])).toEqual([
      [true, 'fake DN motd', ['peerlist_features', 'ping']],
      [true, 'fake DN motd', ['peerlist_features', 'ping']],
    ]);
  });

  it('rate-limits !orderbook to three per minute per directory', async () => {
    const { pool, idA } = await twoDns();
    pool.start();
    await pool.whenConnected(5_000, 2);
    const results = [1, 2, 3, 4].map(() => pool.sendPubmsg(idA, '!orderbook').ok);
    expect(results).toEqual([true, true, true, false]);
    expect(pool.client(idA)!.orderbookWaitMs()).toBeGreaterThan(0);
  });

  it('rejects pending waits on stop', async () => {
    const { pool } = await twoDns({ reply: () => null });
    pool.start();
    const w = pool.whenConnected(60_000);
    await pool.stop();
    await expect(w).rejects.toBeInstanceOf(ClosedError);
  });
});
