/** Maker bot with a fake channel: offers and bond replies, limits, refusals, gossip, the tx watch, !push. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DEFAULT_YIELD_CONFIG } from '../../../src/protocol/coinjoin/yield.js';
import { splitCommands } from '../../../src/protocol/offers.js';
import { ManualClock } from '../../../src/util/clock.js';
import { CommitmentBlacklist } from '../../../src/maker/commitments.js';
import { Maker, type CoinjoinEvent, type MakerLimits } from '../../../src/maker/maker.js';
import type { MakerBond } from '../../../src/maker/ports.js';
import { FakeChain, FakeChannel, FakeWallet, keyFor } from './fakes.js';
import { ScriptedTaker } from './scripted-taker.js';

const T1 = 'J5takerOneOOOOOO';
const T2 = 'J5takerTwoOOOOOO';

async function setup(o: { bond?: boolean; limits?: Partial<MakerLimits>; logLines?: string[] } = {}) {
  const clock = new ManualClock();
  const wallet = new FakeWallet();
  wallet.addCoin(0, 3_000_000);
  wallet.addCoin(2, 2_000_000);
  const chain = new FakeChain();
  const channel = new FakeChannel();
  const commitments = CommitmentBlacklist.memory();
  const bond: MakerBond = {
    proofFor: async (taker, maker) => Buffer.from(`${taker}|${maker}`).toString('base64'),
    describe: () => ({ txid: 'ee'.repeat(32), vout: 0, locktime: 1, valueSats: 1 }),
  };
  let refreshed = 0;
  const maker = new Maker({
    channels: [channel], wallet, chain, commitments, network: (await import('./fakes.js')).NET,
    yieldConfig: { ...DEFAULT_YIELD_CONFIG, cjfeeR: '0.0002', txfee: 10, minsize: 100_000 }, algorithm: 'basic',
    bond: o.bond ? bond : null, clock, randomBytes: (n) => keyFor('rb').subarray(0, n),
    refreshWallet: async () => void refreshed++,
    timeouts: { authMs: 1_000, txMs: 1_000, watchIntervalMs: 100, unseenTimeoutMs: 1_000 },
    ...(o.limits ? { limits: o.limits } : {}),
    ...(o.logLines ? { logger: pino({ level: 'debug' }, { write: (l: string) => void o.logLines!.push(l) }) } : {}),
  });
  await maker.start();
  return { clock, wallet, chain, channel, commitments, maker, refreshed: () => refreshed };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** T1 fills 1,000,000 sat from a coin on the chain and has the maker's !pubkey. */
function fillAndPubkey(t: Awaited<ReturnType<typeof setup>>): ScriptedTaker {
  const tk = new ScriptedTaker();
  tk.register(t.chain, 1_000_000);
  t.channel.deliver(T1, 'priv', tk.fill(0, 1_000_000));
  tk.onPubkey(t.channel.to(T1, 'pubkey')[0]!.args);
  return tk;
}

describe('Maker offers', () => {
  it('announces its offer publicly and answers !orderbook privately with !tbond', async () => {
    const t = await setup({ bond: true });
    expect(t.maker.offers.current).toHaveLength(1);
    t.channel.deliver(T1, 'pub', '!orderbook');
    await flush();
    const [r] = t.channel.to(T1);
    expect(r?.cmd).toBe('sw0reloffer');
    const cmds = splitCommands(`${r!.cmd} ${r!.args}`);
    expect(cmds.map((c) => c.name)).toEqual(['sw0reloffer', 'tbond']);
    expect(Buffer.from(cmds[1]!.args[0]!, 'base64').toString()).toBe(`${T1}|${t.channel.nick}`);
    expect(cmds[0]!.args).toEqual(['0', '100000', String(3_000_000 - 27_300), '10', '0.0002']);
  });

  it('without a bond the reply has no !tbond', async () => {
    const t = await setup();
    t.channel.deliver(T1, 'pub', '!orderbook');
    await flush();
    expect(splitCommands(`x ${t.channel.to(T1)[0]!.args}`).map((c) => c.name)).toEqual(['x']);
  });

  it('rate-limits !orderbook per nick', async () => {
    const t = await setup();
    for (let i = 0; i < 10; i++) t.channel.deliver(T1, 'pub', '!orderbook');
    t.channel.deliver(T2, 'pub', '!orderbook');
    await flush();
    expect(t.channel.to(T1)).toHaveLength(6);
    expect(t.channel.to(T2)).toHaveLength(1);
  });
});

describe('Maker !fill handling', () => {
  it('refuses an amount outside the offer with !error', async () => {
    const t = await setup();
    t.channel.deliver(T1, 'priv', new ScriptedTaker().fill(0, 50_000));
    expect(t.channel.to(T1, 'error')[0]?.args).toBe('amount out of range');
    expect(t.maker.activeSessions()).toBe(0);
  });

  it('refuses a used commitment (public !hp2) and an unknown oid', async () => {
    const t = await setup();
    const tk = new ScriptedTaker();
    t.channel.deliver(T2, 'pub', `!hp2 ${tk.commitmentHex}`);
    t.channel.deliver(T1, 'priv', tk.fill(0, 500_000));
    expect(t.channel.to(T1, 'error')[0]?.args).toBe(`Commitment is blacklisted: ${tk.commitmentHex}`);
    t.channel.deliver(T1, 'priv', new ScriptedTaker().fill(7, 500_000));
    expect(t.channel.to(T1, 'error')[1]?.args).toBe('oid not found');
  });

  it('a new !fill replaces the pending session; other takers are unaffected', async () => {
    const t = await setup();
    t.channel.deliver(T1, 'priv', new ScriptedTaker().fill(0, 500_000));
    t.channel.deliver(T2, 'priv', new ScriptedTaker().fill(0, 500_000));
    t.channel.deliver(T1, 'priv', new ScriptedTaker().fill(0, 600_000));
    expect(t.maker.activeSessions()).toBe(2);
    expect(t.channel.to(T1, 'pubkey')).toHaveLength(2);
  });

  it('a session\'s log lines name the taker once', async () => {
    const lines: string[] = [];
    const t = await setup({ logLines: lines });
    t.channel.deliver(T1, 'priv', new ScriptedTaker().fill(0, 500_000));
    t.channel.deliver(T1, 'priv', new ScriptedTaker().fill(0, 600_000)); // replaces (closes) the first session
    await flush();
    const closed = lines.filter((l) => l.includes('"msg":"session closed"'));
    expect(closed).toHaveLength(1);
    expect(closed[0]!.match(/"taker":/g)).toHaveLength(1);
    expect(JSON.parse(closed[0]!)).toMatchObject({ taker: T1, reason: expect.any(String) });
  });

  it('drops malformed commands and keeps serving', async () => {
    const t = await setup();
    t.channel.deliver(T1, 'priv', '!fill x y z w');
    t.channel.deliver(T1, 'priv', '!auth ***');
    t.channel.deliver(T1, 'priv', '!push notbase64!');
    t.channel.deliver(T2, 'pub', '!orderbook');
    await flush();
    expect(t.channel.to(T1)).toHaveLength(0);
    expect(t.channel.to(T2)).toHaveLength(1);
  });
});

describe('Maker full round over the bot', () => {
  it('gossips the commitment, watches the tx, re-announces, and only pushes its own tx', async () => {
    const t = await setup();
    const tk = fillAndPubkey(t);
    t.channel.deliver(T1, 'priv', `!auth ${tk.auth()}`);
    await flush();
    expect(t.channel.anonymous).toEqual([`!hp2 ${tk.commitmentHex}`]);
    const io = tk.ioauth(t.channel.to(T1, 'ioauth')[0]!.args);
    const mine = t.wallet.all.find((c) => c.txid === io.utxos[0]!.txid)!;
    const { tx, ciphertext } = tk.tx(io, mine.valueSats, 1_000_000, t.maker.offers.current[0]!);
    const signed = new Promise((r) => t.maker.once('signed', r));
    t.channel.deliver(T1, 'priv', `!tx ${ciphertext}`);
    await signed;
    expect(t.channel.to(T1, 'sig')).toHaveLength(1);

    // !push: only our own round, only from that taker
    t.channel.deliver(T2, 'priv', `!push ${Buffer.from(tx.toBuffer()).toString('base64')}`);
    t.channel.deliver(T1, 'priv', `!push ${Buffer.from(tx.toBuffer()).toString('base64')}`);
    await flush();
    expect(t.chain.broadcasts).toEqual([Buffer.from(tx.toBuffer()).toString('hex')]);

    const publicBefore = t.channel.public.length;
    const seen = new Promise<CoinjoinEvent>((r) => t.maker.once('coinjoin', r));
    t.chain.status.set(tx.getId(), 'mempool');
    t.clock.advance(100);
    const ev = await seen;
    expect(ev.status).toBe('mempool');
    expect(ev.earned).toBe(190n);
    expect(t.refreshed()).toBe(1);
    expect(t.wallet.locked.size).toBe(0);
    // basic offers recomputed from the same fake balances: nothing changed, nothing re-sent
    expect(t.channel.public.length).toBe(publicBefore);
  });

  it('a failure of ours inside a session (a key that cannot be read) closes it and unlocks its coins', async () => {
    const t = await setup();
    const tk = fillAndPubkey(t);
    t.wallet.privateKey = () => {
      throw new Error('key store unavailable');
    };
    t.channel.deliver(T1, 'priv', `!auth ${tk.auth()}`);
    await flush();
    expect(t.channel.to(T1, 'ioauth')).toEqual([]);
    expect(t.maker.activeSessions()).toBe(0);
    expect(t.wallet.locked.size).toBe(0);
  });

  it('a signed tx never seen is abandoned and its coins unlocked', async () => {
    const t = await setup();
    const tk = fillAndPubkey(t);
    t.channel.deliver(T1, 'priv', `!auth ${tk.auth()}`);
    await flush();
    const io = tk.ioauth(t.channel.to(T1, 'ioauth')[0]!.args);
    const mine = t.wallet.all.find((c) => c.txid === io.utxos[0]!.txid)!;
    t.channel.deliver(T1, 'priv', `!tx ${tk.tx(io, mine.valueSats, 1_000_000, t.maker.offers.current[0]!).ciphertext}`);
    await flush();
    expect(t.wallet.locked.size).toBe(1);
    const abandoned = new Promise((r) => t.maker.once('abandoned', r));
    for (let i = 0; i < 12; i++) {
      t.clock.advance(100);
      await flush();
    }
    await abandoned;
    expect(t.wallet.locked.size).toBe(0);
  });
});

const hex = (i: number): string => i.toString(16).padStart(64, 'a');
const nick = (i: number): string => `J5flood${String(i).padStart(9, '0')}`;

describe('Maker under flood', () => {
  it('!hp2: one commitment per pubmsg, a few per nick a minute; known ones cost nothing', async () => {
    const t = await setup({ limits: { hp2PerNick: 10 } });
    t.channel.deliver(T1, 'pub', Array.from({ length: 500 }, (_, i) => `!hp2 ${hex(i)}`).join(''));
    expect(t.commitments.size).toBe(1);
    for (let i = 0; i < 3; i++) t.channel.deliver(T1, 'pub', `!hp2 ${hex(0)}`); // known: not charged
    for (let i = 1000; i < 1020; i++) t.channel.deliver(T1, 'pub', `!hp2 ${hex(i)}`);
    expect(t.commitments.size).toBe(10);
    t.channel.deliver(T2, 'pub', `!hp2 ${hex(5000)}`);
    expect(t.commitments.size).toBe(11);
    expect(t.maker.floodStats.hp2Dropped).toBe(499 + 11);
    t.clock.advance(60_000);
    t.channel.deliver(T1, 'pub', `!hp2 ${hex(6000)}`);
    expect(t.commitments.size).toBe(12);
  });

  it('!hp2 past the list\'s global budget is remembered in memory only, still within each nick\'s allowance', async () => {
    const t = await setup({ limits: { hp2PerNick: 2, hp2Global: 3 } });
    for (let i = 0; i < 10; i++) t.channel.deliver(nick(i), 'pub', `!hp2 ${hex(i)}`);
    expect(t.commitments.size).toBe(3); // the list (persisted)
    expect(t.maker.floodStats.hp2Transient).toBe(7);
    for (let i = 0; i < 10; i++) expect(t.commitments.isUsed(hex(i))).toBe(true);
    for (let i = 20; i < 25; i++) t.channel.deliver(T1, 'pub', `!hp2 ${hex(i)}`); // one nick: 2, then dropped
    expect([20, 21, 22].map((i) => t.commitments.isUsed(hex(i)))).toEqual([true, true, false]);
  });

  it('!fill: refused fills are never charged; a nick over its allowance or a full budget gets !error', async () => {
    const t = await setup({ limits: { fillsPerNick: 2, fillsGlobal: 4, fillsReserve: 2 } });
    for (let i = 0; i < 30; i++) t.channel.deliver(nick(i), 'priv', new ScriptedTaker().fill(0, 50_000)); // amount out of range
    expect(t.maker.floodStats.fillsRefused).toBe(30);
    t.channel.deliver(T1, 'priv', new ScriptedTaker().fill(0, 500_000));
    expect(t.channel.to(T1, 'pubkey')).toHaveLength(1); // used 1
    for (let i = 0; i < 3; i++) t.channel.deliver(T2, 'priv', new ScriptedTaker().fill(0, 500_000));
    // T2: first → used 2 (the shared part, 4 − 2 reserved, is now full); then busy twice
    expect(t.channel.to(T2, 'pubkey')).toHaveLength(1);
    expect(t.channel.to(T2, 'error').map((e) => e.args)).toEqual(['maker busy: too many !fill requests; try again later', 'maker busy: too many !fill requests; try again later']);
    t.channel.deliver(nick(100), 'priv', new ScriptedTaker().fill(0, 500_000)); // a fresh nick earns no reserve
    expect(t.channel.to(nick(100)).map((m) => m.cmd)).toEqual(['error']);
    t.clock.advance(60_000);
    for (let i = 0; i < 3; i++) t.channel.deliver(nick(100), 'priv', new ScriptedTaker().fill(0, 500_000));
    expect(t.channel.to(nick(100)).map((m) => m.cmd)).toEqual(['error', 'pubkey', 'pubkey', 'error']);
    expect(t.channel.to(nick(100), 'error').at(-1)!.args).toBe('too many !fill requests from you; try again later');
    expect(t.maker.floodStats.fillsLimited).toBe(4);
  });

  it('!error replies are limited per nick; past them refusals are silent', async () => {
    const t = await setup({ limits: { errorsPerNick: 3 } });
    for (let i = 0; i < 10; i++) t.channel.deliver(T1, 'priv', new ScriptedTaker().fill(7, 500_000));
    expect(t.channel.to(T1, 'error')).toHaveLength(3);
  });

  it('a taker that proved a coin with us may use the fill reserve again', async () => {
    const t = await setup({ limits: { fillsPerNick: 6, fillsGlobal: 4, fillsReserve: 2 } });
    const tk = new ScriptedTaker();
    tk.register(t.chain, 1_000_000);
    t.channel.deliver(T1, 'priv', tk.fill(0, 1_000_000)); // used 1
    tk.onPubkey(t.channel.to(T1, 'pubkey')[0]!.args);
    t.channel.deliver(T1, 'priv', `!auth ${tk.auth()}`);
    await flush();
    expect(t.channel.to(T1, 'ioauth')).toHaveLength(1);
    for (let i = 0; i < 3; i++) t.channel.deliver(T2, 'priv', new ScriptedTaker().fill(0, 500_000)); // used 2, then busy
    expect(t.channel.to(T2, 'pubkey')).toHaveLength(1);
    t.channel.deliver(T1, 'priv', new ScriptedTaker().fill(0, 500_000)); // not a first fill, but proven
    expect(t.channel.to(T1, 'pubkey')).toHaveLength(2);
  });

  it('sessions full: the oldest one waiting for !auth makes room; when all are past !auth a fill gets !error', async () => {
    const t = await setup({ limits: { maxSessions: 2, maxWaitingSessions: 2 } });
    const closed: string[] = [];
    t.maker.on('session', (e) => e.state === 'closed' && closed.push(e.taker));
    t.channel.deliver(nick(1), 'priv', new ScriptedTaker().fill(0, 500_000));
    t.channel.deliver(nick(2), 'priv', new ScriptedTaker().fill(0, 500_000));
    t.channel.deliver(nick(3), 'priv', new ScriptedTaker().fill(0, 500_000));
    expect(closed).toEqual([nick(1)]);
    expect(t.maker.activeSessions()).toBe(2);
    expect(t.channel.to(nick(3), 'pubkey')).toHaveLength(1);
    // two takers get past !auth (one coin each): nobody can be dropped for a newcomer
    for (const [n, amount] of [[nick(2), 1_000_000], [nick(3), 1_000_000]] as const) {
      const tk = new ScriptedTaker();
      tk.register(t.chain, amount);
      t.channel.deliver(n, 'priv', tk.fill(0, amount));
      tk.onPubkey(t.channel.to(n, 'pubkey').at(-1)!.args);
      t.channel.deliver(n, 'priv', `!auth ${tk.auth()}`);
      await flush();
      expect(t.channel.to(n, 'ioauth')).toHaveLength(1);
    }
    t.channel.deliver(nick(4), 'priv', new ScriptedTaker().fill(0, 500_000));
    expect(t.channel.to(nick(4)).map((m) => [m.cmd, m.args])).toEqual([['error', 'maker busy: too many !fill requests; try again later']]);
    expect(t.maker.floodStats.sessionsEvicted).toBe(1);
  });

  it('!orderbook: past the private budget, every asker is served by one public announcement per interval; the reserve is for probes and direct askers', async () => {
    const t = await setup({ limits: { orderbookPerNick: 6, orderbookGlobal: 10, orderbookReserve: 5, publicReplyMsPerOffer: 4_000 } });
    for (let n = 0; n < 600; n++) t.channel.deliver(nick(n), 'pub', '!orderbook'); // a crowd of fresh nicks, once each
    t.channel.deliver(T1, 'pub', '!orderbook'); // an honest newcomer among them
    await flush();
    expect(t.channel.sent).toHaveLength(5); // the shared part of the private budget
    expect(t.channel.routePublic).toEqual([`!sw0reloffer 0 100000 ${3_000_000 - 27_300} 10 0.0002`]); // one announcement serves the other 596
    expect(t.maker.floodStats).toMatchObject({ orderbookPublic: 596, publicReplies: 1, orderbookLimited: 0 });
    t.clock.advance(3_999);
    t.channel.deliver(T2, 'pub', '!orderbook');
    expect(t.channel.routePublic).toHaveLength(1); // due at 4 s
    t.clock.advance(1);
    expect(t.channel.routePublic).toHaveLength(2);
    for (let n = 600; n < 700; n++) t.channel.deliver(nick(n), 'pub', '!orderbook');
    t.clock.advance(4_000);
    expect(t.channel.routePublic).toHaveLength(3); // 100 more askers, one more announcement
    // the directory's own probe and a direct connection (no public route) use the reserve
    t.channel.deliver('J5directoryOOOOO', 'pub', '!orderbook', { fromDirectory: true });
    t.channel.deliver('J5directAskerOOO', 'pub', '!orderbook', { direct: true });
    await flush();
    expect(t.channel.to('J5directoryOOOOO')).toHaveLength(1);
    expect(t.channel.to('J5directAskerOOO')).toHaveLength(1);
    for (let i = 0; i < 10; i++) t.channel.deliver(nick(0), 'pub', '!orderbook');
    await flush();
    expect(t.maker.floodStats.orderbookLimited).toBe(0); // asks past the private budget cost nick 0 nothing: they share announcements
  });
});
