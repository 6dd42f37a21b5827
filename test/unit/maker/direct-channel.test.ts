/**
 * The maker's direct connections over loopback TCP with a real Maker (fake wallet/chain):
 * silent handshake, a session start, forged privmsgs dropped, every per-connection limit hit
 * once, and the maker still serving a fresh connection afterwards.
 */
import net from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { NickIdentity } from '../../../src/client/identity.js';
import { CommitmentBlacklist } from '../../../src/maker/commitments.js';
import { DirectChannel, type DirectChannelEvents, type DirectLimits } from '../../../src/maker/direct-channel.js';
import { Maker } from '../../../src/maker/maker.js';
import { DEFAULT_YIELD_CONFIG } from '../../../src/protocol/coinjoin/yield.js';
import { MsgType } from '../../../src/protocol/message-types.js';
import type { Logger } from '../../../src/util/logger.js';
import { FakeChain, FakeWallet, NET, keyFor } from './fakes.js';
import { DirectPeer } from './direct-peer.js';
import { ScriptedTaker } from './scripted-taker.js';
import { until } from '../../helpers/dn-checks.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function setup(limits: Partial<DirectLimits> = {}, logger?: Logger) {
  const wallet = new FakeWallet();
  wallet.addCoin(0, 3_000_000);
  const direct = new DirectChannel({ identity: NickIdentity.random(), network: 'regtest', limits, ...(logger ? { logger } : {}) });
  const maker = new Maker({
    channels: [direct], wallet, chain: new FakeChain(), commitments: CommitmentBlacklist.memory(), network: NET,
    yieldConfig: { ...DEFAULT_YIELD_CONFIG, cjfeeR: '0.0002', txfee: 10, minsize: 100_000 }, algorithm: 'basic',
    randomBytes: (n) => keyFor('rb').subarray(0, n),
  });
  await maker.start();
  const peers: DirectPeer[] = [];
  stops.push(async () => {
    for (const p of peers) p.peer.destroy();
    await maker.stop();
  });
  const connect = async (identity?: NickIdentity): Promise<DirectPeer> => {
    const p = await DirectPeer.connect(direct.port, identity);
    peers.push(p);
    return p;
  };
  /** Handshake, then wait until the maker has registered it. */
  const joined = async (identity?: NickIdentity): Promise<DirectPeer> => {
    const p = await connect(identity);
    const hs = next(direct, 'handshake', (e) => e.nick === p.nick);
    p.handshake();
    await hs;
    return p;
  };
  const fill = (p: DirectPeer, amount = 500_000): void => {
    const body = new ScriptedTaker().fill(0, amount);
    p.privmsg(direct.nick, 'fill', body.slice('!fill '.length));
  };
  return { direct, maker, connect, joined, fill };
}

function next<K extends keyof DirectChannelEvents>(ch: DirectChannel, ev: K, pred: (e: DirectChannelEvents[K]) => boolean = () => true): Promise<DirectChannelEvents[K]> {
  return new Promise((resolve) => {
    const off = ch.on(ev, (e) => {
      if (pred(e)) {
        off();
        resolve(e);
      }
    });
  });
}

/** A fresh peer still gets a session: the maker keeps serving. */
async function stillServes(t: Awaited<ReturnType<typeof setup>>): Promise<void> {
  const p = await t.joined();
  t.fill(p);
  const r = await p.nextPrivmsg();
  expect([r.from, r.cmd]).toEqual([t.direct.nick, 'pubkey']);
}

describe('maker direct connections', () => {
  it('advertises its loopback location; a handshake gets no reply; a !fill starts a session answered on the same connection', async () => {
    const t = await setup();
    expect(t.direct.location).toBe(`127.0.0.1:${t.direct.port}`);
    const p = await t.joined();
    const started = new Promise<string>((resolve) => t.maker.once('session', (e) => resolve(`${e.taker} ${e.state}`)));
    t.fill(p);
    const r = await p.nextPrivmsg();
    expect(r.cmd).toBe('pubkey');
    expect(r.from).toBe(t.maker.nick);
    expect(r.args.split(' ')[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(await started).toBe(`${p.nick} started`);
    // the only thing we ever received is that privmsg: no 795, no 793
    const lines = p.receivedText().split('\r\n').filter((l) => l !== '');
    expect(lines.map((l) => (JSON.parse(l) as { type: number }).type)).toEqual([MsgType.PRIVMSG]);
  });

  it('drops forged privmsgs (bad signature, another nick, another recipient) and keeps the connection', async () => {
    const t = await setup();
    const p = await t.joined();
    const forged: string[] = [];
    t.direct.on('forged', (e) => forged.push(e.reason));
    const good = p.identity.signPrivmsg(t.direct.nick, 'fill', new ScriptedTaker().fill(0, 500_000).slice(6));
    p.peer.send(MsgType.PRIVMSG, good.replace(' 500000 ', ' 500001 ')); // args changed after signing
    p.privmsg(t.direct.nick, 'fill', new ScriptedTaker().fill(0, 500_000).slice(6), NickIdentity.random()); // someone else's nick
    p.peer.send(MsgType.PRIVMSG, p.identity.signPrivmsg(NickIdentity.random().nick, 'fill', new ScriptedTaker().fill(0, 500_000).slice(6)));
    const third = next(t.direct, 'forged', () => forged.length === 3);
    await third;
    expect(forged).toEqual(['bad signature', 'sender is not the nick of this connection', 'addressed to another nick']);
    expect(t.maker.activeSessions()).toBe(0);
    t.fill(p); // the same connection still works
    expect((await p.nextPrivmsg()).cmd).toBe('pubkey');
  });

  it('closes on a handshake timeout, a non-handshake first line and bad handshakes', async () => {
    const t = await setup({ handshakeTimeoutMs: 200 });
    const silent = await t.connect();
    expect((await next(t.direct, 'closed')).reason).toBe('no handshake in time');
    await silent.closed;

    const early = await t.connect();
    const c1 = next(t.direct, 'closed');
    early.privmsg(t.direct.nick, 'fill', 'x y z');
    expect((await c1).reason).toBe(`expected a handshake, got type ${MsgType.PRIVMSG}`);

    const dn = await t.connect();
    const c2 = next(t.direct, 'closed');
    dn.handshake('regtest', { directory: true });
    expect((await c2).reason).toBe('bad handshake: a directory dialled a maker');

    const net = await t.connect();
    const c3 = next(t.direct, 'closed');
    net.handshake('mainnet');
    expect((await c3).reason).toBe('bad handshake: network "mainnet"');
    await stillServes(t);
  });

  it('hangs up on an oversize line', async () => {
    const t = await setup({ maxLineBytes: 2_000 });
    const p = await t.joined();
    const lim = next(t.direct, 'limited');
    p.peer.sendRaw('x'.repeat(3_000));
    expect(await lim).toMatchObject({ kind: 'line-size' });
    await p.closed;
    await stillServes(t);
  });

  it('caps the number of connections; a stream of refusals is logged once, then summarised', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (c: Buffer, _e, cb) => { lines.push(...c.toString().split('\n').filter(Boolean)); cb(); } }));
    const t = await setup({ maxConnections: 2 }, logger);
    t.direct.setSessionView(() => ({ stage: 'proven', since: 0 })); // both slots hold takers past !auth
    await t.joined();
    await t.joined();
    const lim = next(t.direct, 'limited');
    const third = await t.connect();
    expect(await lim).toMatchObject({ kind: 'connections' });
    await third.closed;
    for (let i = 0; i < 50; i++) await (await t.connect()).closed;
    expect(t.direct.connectionCount()).toBe(2);
    await t.direct.stop(); // writes the summary
    const refusals = lines.filter((l) => l.includes('too many direct connections'));
    expect(refusals).toHaveLength(2);
    expect(refusals[1]).toContain('"repeated":50');
  });

  it('slots full: a newcomer replaces the oldest connection without a handshake, then the oldest without a session', async () => {
    const t = await setup({ maxConnections: 3, graceMs: 0, pressureHandshakeMs: 60_000 });
    const a = await t.joined();
    const silent = await t.connect();
    await t.joined(); // third slot
    const closed = next(t.direct, 'closed');
    const d = await t.joined(); // evicts `silent`
    expect(await closed).toMatchObject({ reason: 'slots full: no handshake yet' });
    await silent.closed;
    const closed2 = next(t.direct, 'closed');
    t.fill(d); // d has a session now
    expect((await d.nextPrivmsg()).cmd).toBe('pubkey');
    await t.joined(); // evicts the oldest without a session: a
    expect(await closed2).toMatchObject({ reason: 'slots full: no session' });
    await a.closed;
    expect(t.direct.connectionCount()).toBe(3);
  });

  it('slots held by peers that privmsg every few seconds do not keep out an honest taker or a directory\'s probe', async () => {
    const t = await setup({ maxConnections: 4, pressureHandshakeMs: 60_000 });
    const holders = await Promise.all(Array.from({ length: 4 }, () => t.joined()));
    // traffic that advances nothing: signed !error notes, and PINGs
    for (const h of holders) {
      h.privmsg(t.direct.nick, 'error', 'still here');
      h.peer.send(MsgType.PING, '');
    }
    const closed = next(t.direct, 'closed');
    await stillServes(t); // replaced the oldest holder
    expect(await closed).toMatchObject({ reason: expect.stringMatching(/^slots full: no session/) });
    for (const h of holders.slice(1)) h.privmsg(t.direct.nick, 'error', 'still here');
    const probe = await t.joined(); // a directory proving our location
    probe.peer.send(MsgType.PUBMSG, `${probe.nick}!PUBLIC!orderbook`);
    expect(await probe.nextPrivmsg()).toMatchObject({ cmd: expect.stringMatching(/offer$/) });
    expect(t.direct.connectionCount()).toBe(4);
  });

  it('a taker past !auth keeps its slot; a newcomer is refused only when every slot holds one', async () => {
    const t = await setup({ maxConnections: 2, graceMs: 0, pressureHandshakeMs: 60_000 });
    let stage: 'waiting' | 'proven' = 'proven';
    t.direct.setSessionView(() => ({ stage, since: 0 }));
    await t.joined();
    await t.joined();
    const lim = next(t.direct, 'limited');
    const refused = await t.connect();
    expect(await lim).toMatchObject({ kind: 'connections' });
    await refused.closed;
    stage = 'waiting';
    const closed = next(t.direct, 'closed');
    await t.joined();
    expect(await closed).toMatchObject({ reason: 'slots full: session waiting for !auth' });
  });

  it('from half the slots on, waiting connections get the short handshake deadline', async () => {
    const t = await setup({ maxConnections: 4, handshakeTimeoutMs: 60_000, pressureHandshakeMs: 300 });
    const first = await t.connect();
    await until(() => t.direct.connectionCount() === 1, 'the first accept');
    const t0 = Date.now();
    const closed = next(t.direct, 'closed');
    await t.connect(); // two of four: pressure
    expect(await closed).toMatchObject({ reason: 'no handshake in time' });
    await first.closed;
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('one address (not tor\'s loopback) holds at most maxPerAddress slots', async () => {
    const t = await setup({ maxPerAddress: 2 });
    const from = (): Promise<net.Socket> => new Promise((resolve, reject) => {
      const s = net.connect({ port: t.direct.port, host: '127.0.0.1', localAddress: '127.0.0.2' }, () => resolve(s));
      s.once('error', reject);
    });
    const socks = [await from(), await from()];
    const lim = next(t.direct, 'limited');
    socks.push(await from());
    expect(await lim).toMatchObject({ kind: 'address' });
    await new Promise((r) => socks[2]!.once('close', r));
    expect(t.direct.connectionCount()).toBe(2);
    await stillServes(t); // 127.0.0.1 (tor) is not that address
    for (const s of socks) s.destroy();
  });

  it('hangs up on too many lines per minute', async () => {
    const t = await setup({ linesPerMinute: 5 });
    const p = await t.joined(); // line 1
    const lim = next(t.direct, 'limited');
    for (let i = 0; i < 5; i++) p.peer.send(MsgType.PING, '');
    expect(await lim).toMatchObject({ kind: 'lines' });
    await p.closed;
    expect(p.receivedText().match(/"type": 799/g)).toHaveLength(4); // 4 PINGs fit, the 5th did not
    await stillServes(t);
  });

  it('answers a direct !orderbook pubmsg with signed offers on that connection, and hangs up past the limit', async () => {
    const t = await setup({ orderbookPerMinute: 2 });
    const p = await t.joined();
    p.peer.send(MsgType.PUBMSG, `${p.nick}!PUBLIC!orderbook`);
    // DirectPeer verifies the signature before returning it.
    expect(await p.nextPrivmsg()).toMatchObject({ cmd: expect.stringMatching(/offer$/) });
    p.peer.send(MsgType.PUBMSG, `someoneElse!PUBLIC!orderbook`); // not the handshake nick: ignored
    const lim = next(t.direct, 'limited');
    p.privmsg(t.direct.nick, 'orderbook', 'x'); // counted, never answered
    p.peer.send(MsgType.PUBMSG, `${p.nick}!PUBLIC!orderbook`);
    expect(await lim).toMatchObject({ kind: 'orderbook' });
    await p.closed;
    expect(p.receivedText().match(/"type": 685/g)).toHaveLength(1);
    await stillServes(t);
  });

  it('drops session starts past the per-connection limit but keeps the connection', async () => {
    const t = await setup({ fillsPerMinute: 2 });
    const p = await t.joined();
    const lim = next(t.direct, 'limited');
    for (let i = 0; i < 3; i++) t.fill(p);
    expect(await lim).toMatchObject({ kind: 'fill' });
    expect((await p.nextPrivmsg()).cmd).toBe('pubkey');
    expect((await p.nextPrivmsg()).cmd).toBe('pubkey');
    // the third was dropped: a privmsg sent now is the next thing answered
    expect(t.direct.connectionCount()).toBe(1);
    p.peer.send(MsgType.PING, '');
    await p.peer.waitFor((l) => l.includes('"type": 799'));
    expect(p.peer.unread.filter((l) => l.includes('"type": 685'))).toEqual([]);
    await stillServes(t);
  });
});
