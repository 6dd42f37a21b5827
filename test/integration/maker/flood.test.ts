/**
 * A funded maker on regtest behind our DN (loopback TCP) under the floods a hostile network
 * throws at it: `!hp2` gossip, an oversize line from a directory, `!fill` and `!orderbook`
 * floods from many nicks, and slow connections on its direct port. Each time an honest
 * taker must still be served.
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import net from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostPort } from '../../../src/client/dialer.js';
import { NickIdentity } from '../../../src/client/identity.js';
import type { DirectoryServer } from '../../../src/directory/index.js';
import { DirectChannel } from '../../../src/maker/direct-channel.js';
import { naclKeyPairFromSecret } from '../../../src/protocol/coinjoin/box.js';
import { encodeEnvelope } from '../../../src/protocol/framing.js';
import { MsgType } from '../../../src/protocol/message-types.js';
import type { Offer } from '../../../src/protocol/offers.js';
import { newWallet, startDn, startMaker, type TestMaker } from '../../helpers/coinjoin-net.js';
import { DnPeer, RELAY_EVERYTHING } from '../../helpers/dn-peer.js';
import { regtestAvailable, startRegtestNode, type RegtestNode } from '../../helpers/regtest-node.js';
import { FakeDn } from '../../unit/client/fake-dn.js';
import { DirectPeer } from '../../unit/maker/direct-peer.js';

const available = regtestAvailable();
const hex32 = (): string => randomBytes(32).toString('hex');

/** A nick with a key, joined to the DN over raw TCP: sends whatever it likes, as fast as it likes. */
class RawPeer {
  private constructor(readonly peer: DnPeer, readonly id: NickIdentity) {}

  static async join(addr: HostPort, id = NickIdentity.random()): Promise<RawPeer> {
    return new RawPeer(await DnPeer.joined(addr.port, { nick: id.nick, network: 'regtest' }), id);
  }

  get nick(): string {
    return this.id.nick;
  }

  pub(body: string): void {
    this.peer.send(MsgType.PUBMSG, `${this.nick}!PUBLIC!${body}`);
  }

  priv(to: string, cmd: string, args: string): void {
    this.peer.send(MsgType.PRIVMSG, this.id.signPrivmsg(to, cmd, args));
  }

  /** Next privmsg from `from` whose command is one of `cmds`; resolves with `cmd args`. */
  async reply(from: string, cmds: string[], ms: number): Promise<string> {
    const prefix = `{"type": ${MsgType.PRIVMSG}, "line": "${from}!${this.nick}!`;
    const line = await this.peer.waitFor((l) => l.startsWith(prefix) && cmds.some((c) => l.startsWith(`${prefix}${c} `)), ms);
    return line.slice(prefix.length).split('"')[0]!;
  }

  /** The next offer from `maker`: its private reply to us, or its public announcement (every taker reads both into its book). */
  async offer(maker: string, ms: number): Promise<string> {
    return this.peer.waitFor((l) => l.includes(`"line": "${maker}!${this.nick}!sw0`) || l.includes(`"line": "${maker}!PUBLIC!sw0`), ms);
  }

  close(): void {
    this.peer.destroy();
  }
}

function fillArgs(offer: Offer, amount = offer.minsize): string {
  return `${offer.oid} ${amount} ${naclKeyPairFromSecret(randomBytes(32)).publicKeyHex} P${hex32()}`;
}

describe.skipIf(!available)('maker under flood', () => {
  let node: RegtestNode;
  let dn: DirectoryServer;
  let addr: HostPort;
  let tm: TestMaker;
  let offer: Offer;
  const peers: RawPeer[] = [];
  const join = async (id?: NickIdentity): Promise<RawPeer> => {
    const p = await RawPeer.join(addr, id);
    peers.push(p);
    return p;
  };
  /** `n` fresh nicks, one connection each. */
  const joinMany = async (n: number): Promise<RawPeer[]> => {
    const out: RawPeer[] = [];
    for (let i = 0; i < n; i += 50) out.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => join()))));
    return out;
  };

  beforeAll(async () => {
    node = await startRegtestNode();
    // Relay every flood, as a reference DN would: our DN's byte allowance and broadcast budget would stop most of it.
    const d = await startDn({ limits: RELAY_EVERYTHING });
    [dn, addr] = [d.server, d.addr];
    const w = await newWallet(node);
    await node.mine(1, w.wallet.getAddress(0, 0, 0).address);
    await node.mine(101, (await newWallet(node)).wallet.getAddress(0, 0, 0).address);
    tm = await startMaker(node, [addr], w, { algorithm: 'basic' });
    offer = tm.maker.offers.current[0]!;
  }, 120_000);

  afterAll(async () => {
    for (const p of peers) p.close();
    await tm?.maker.stop();
    await dn?.stop();
    await node?.stop();
  });

  it('!hp2 flood: one nick, 500 commitments a line, keeps only a few and appends them', async () => {
    const before = tm.commitments.size;
    const mallory = await join();
    const seen = new Promise<void>((resolve) => tm.pool.on('pubmsg', (m) => m.from === mallory.nick && m.body === 'orderbook' && resolve()));
    for (let line = 0; line < 4; line++) mallory.pub(Array.from({ length: 500 }, () => `hp2 ${hex32()}`).join('!'));
    mallory.pub('orderbook'); // processed after the four lines: same connection, same order
    await seen;
    const learnt = tm.commitments.size - before;
    expect(learnt).toBeGreaterThan(0);
    expect(learnt).toBeLessThanOrEqual(10);
    await tm.commitments.flushed();
    expect(statSync(tm.commitmentFile).size).toBeLessThan(2_000);
  });

  it('an oversize line from a directory is skipped; the connection stays and the next !orderbook is answered', async () => {
    const fake = await new FakeDn().start();
    const w = await newWallet(node);
    await node.mine(1, w.wallet.getAddress(0, 0, 0).address);
    await node.mine(100, w.wallet.getAddress(1, 0, 0).address);
    const m = await startMaker(node, [{ host: '127.0.0.1', port: fake.port }], w, { algorithm: 'basic' });
    try {
      const conn = fake.conns[0]!;
      const taker = NickIdentity.random().nick;
      const answered = new Promise<string>((resolve) => fake.on('message', (_c: unknown, env: { type: number; line: string }) => {
        if (env.type === MsgType.PRIVMSG && env.line.startsWith(`${m.maker.nick}!${taker}!`)) resolve(env.line);
      }));
      conn.socket.write(encodeEnvelope(MsgType.PUBMSG, `${taker}!PUBLIC!hello ${'x'.repeat(45_000)}`));
      conn.send(MsgType.PUBMSG, `${taker}!PUBLIC!orderbook`);
      expect(await answered).toMatch(/!sw0reloffer 0 /);
      expect(fake.conns).toHaveLength(1); // never re-dialled
      expect(conn.socket.destroyed).toBe(false);
    } finally {
      await m.maker.stop();
      await fake.stop();
    }
  }, 60_000);

  it('!fill flood: 120 malformed fills from 20 nicks lock no honest taker out', async () => {
    const flood = await Promise.all(Array.from({ length: 20 }, () => join()));
    for (const p of flood) for (let i = 0; i < 6; i++) p.priv(tm.maker.nick, 'fill', fillArgs(offer, 1)); // amount out of range
    await Promise.all(flood.map((p) => p.reply(tm.maker.nick, ['error'], 10_000)));
    const honest = await join();
    const reply = honest.reply(tm.maker.nick, ['pubkey', 'error'], 10_000);
    honest.priv(tm.maker.nick, 'fill', fillArgs(offer));
    expect(await reply).toMatch(/^pubkey [0-9a-f]{64}/);
  }, 60_000);

  it('!fill flood: valid fills that never !auth from many nicks lock no honest taker out; an over-budget fill gets !error', async () => {
    const flood = await Promise.all(Array.from({ length: 40 }, () => join()));
    const answered = flood.map((p) => p.reply(tm.maker.nick, ['pubkey', 'error'], 10_000).catch(() => 'none'));
    for (const p of flood) for (let i = 0; i < 6; i++) p.priv(tm.maker.nick, 'fill', fillArgs(offer));
    await Promise.all(answered);
    const honest = await join();
    const reply = honest.reply(tm.maker.nick, ['pubkey', 'error'], 10_000);
    honest.priv(tm.maker.nick, 'fill', fillArgs(offer));
    expect(await reply).toMatch(/^pubkey [0-9a-f]{64}/);
    // one nick past its own allowance is told so
    const greedy = flood[0]!;
    const told = greedy.reply(tm.maker.nick, ['error'], 10_000);
    for (let i = 0; i < 8; i++) greedy.priv(tm.maker.nick, 'fill', fillArgs(offer));
    expect(await told).toMatch(/^error .*(busy|too many)/i);
  }, 60_000);

  it('!orderbook flood: 200 nicks at the DN limit; an honest !orderbook is answered within 5 s', async () => {
    const flood = await Promise.all(Array.from({ length: 200 }, () => join()));
    let relayed = 0;
    const all = new Promise<void>((resolve) => tm.pool.on('pubmsg', (m) => {
      if (m.body === 'orderbook' && ++relayed === 1200) resolve();
    }));
    for (const p of flood) for (let i = 0; i < 6; i++) p.pub('orderbook');
    await all;
    const honest = await join();
    const t0 = Date.now();
    const reply = honest.offer(tm.maker.nick, 5_000);
    honest.pub('orderbook');
    await reply;
    console.log(`honest !orderbook answered in ${Date.now() - t0} ms after 1,200 from 200 nicks`);
  }, 60_000);

  it('fresh-nick !orderbook flood: 700 nicks ask once each (past the whole private budget); a fresh taker still gets the offers within 5 s', async () => {
    const flood = await joinMany(700);
    let relayed = 0;
    const all = new Promise<void>((resolve) => tm.pool.on('pubmsg', (m) => {
      if (m.body === 'orderbook' && ++relayed === flood.length) resolve();
    }));
    for (const p of flood) p.pub('orderbook');
    await all;
    const honest = await join();
    const t0 = Date.now();
    const offer = honest.offer(tm.maker.nick, 5_000);
    honest.pub('orderbook');
    expect(await offer).toMatch(/sw0(rel|abs)offer 0 /);
    expect(tm.maker.floodStats.orderbookPublic).toBeGreaterThan(0);
    console.log(`fresh taker's !orderbook answered in ${Date.now() - t0} ms after ${flood.length} fresh nicks; ${tm.maker.floodStats.publicReplies} public announcements served ${tm.maker.floodStats.orderbookPublic} askers`);
  }, 120_000);

  it('fresh-nick !fill flood: 700 nicks send one valid-looking fill each; a fresh taker still gets !pubkey', async () => {
    const flood = await joinMany(700);
    const answered = flood.map((p) => p.reply(tm.maker.nick, ['pubkey', 'error'], 20_000).catch(() => 'none'));
    for (const p of flood) p.priv(tm.maker.nick, 'fill', fillArgs(offer));
    const replies = await Promise.all(answered);
    expect(replies.filter((r) => r.startsWith('pubkey')).length).toBe(flood.length);
    const honest = await join();
    const reply = honest.reply(tm.maker.nick, ['pubkey', 'error'], 10_000);
    honest.priv(tm.maker.nick, 'fill', fillArgs(offer));
    expect(await reply).toMatch(/^pubkey [0-9a-f]{64}/);
  }, 120_000);

  it('direct port: 40 slow connections that never handshake do not keep an honest taker out; refusals are not logged one by one', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (c: Buffer, _e, cb) => { lines.push(...c.toString().split('\n').filter(Boolean)); cb(); } }));
    const direct = new DirectChannel({ identity: NickIdentity.random(), network: 'regtest', logger });
    await direct.listen();
    const slow: net.Socket[] = [];
    try {
      for (let i = 0; i < 40; i++) {
        const s = net.connect(direct.port, '127.0.0.1');
        s.on('error', () => {});
        slow.push(s);
        await new Promise((r) => s.once('connect', r));
        s.write('{');
      }
      const honest = await DirectPeer.connect(direct.port);
      honest.handshake('regtest');
      const handshaked = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 10_000);
        direct.on('handshake', ({ nick }) => {
          if (nick === honest.nick) { clearTimeout(t); resolve(true); }
        });
        void honest.closed.then(() => { clearTimeout(t); resolve(false); });
      });
      expect(handshaked).toBe(true);
      // nine newcomers replaced waiting connections: one line and (later) one summary, not eight
      expect(lines.filter((l) => l.includes('"kind":"evicted"'))).toHaveLength(1);
      expect(lines.length).toBeLessThan(10);
      await honest.close();
    } finally {
      for (const s of slow) s.destroy();
      await direct.stop();
    }
  }, 60_000);
});
