/**
 * A crowd of senders, each within every per-peer limit, against the DN-wide broadcast budget
 * (real sockets, a real DirectoryServer): it cannot push more than the budget to every peer,
 * cannot starve a light sender, cannot push more than the `!orderbook` allowance to a maker,
 * a churn of fresh nicks cannot take the reserve peers connected before it keep, and a burst
 * of it cannot get a slowly reading peer cut.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DnPeer, startTestDirectory, testNick } from '../../helpers/dn-peer.js';
import { expectStillServing, joinAs, until } from '../../helpers/dn-checks.js';
import { encodeEnvelope } from '../../../src/protocol/framing.js';
import { ManualClock } from '../../../src/util/clock.js';
import { resolveLimits } from '../../../src/directory/limits.js';
import type { DirectoryServer, DirectoryServerOptions } from '../../../src/directory/index.js';

let dn: DirectoryServer;
let port: number;
const open: DnPeer[] = [];
const DEFAULTS = resolveLimits({});

async function setup(opts: Partial<DirectoryServerOptions> = {}): Promise<void> {
  ({ dn, port } = await startTestDirectory({ locationProofs: { enabled: false }, ...opts, limits: { departureCoalesceMs: 0, ...opts.limits } }));
}

async function crowd(n: number, label: string): Promise<Array<{ p: DnPeer; nick: string }>> {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await joinAs(port, open, `${label}-${i}`));
  return out;
}

/** Pubmsg lines the peer received (and has not consumed) whose body starts with `body`. */
const pubmsgs = (p: DnPeer, body: string): string[] => p.unread.filter((l) => l.startsWith('{"type": 687') && l.includes(`!PUBLIC!${body}`));

/**
 * The sender broadcasts 39 KB lines, 20 at a time, until the DN skips a peer that does not read
 * (the kernel buffers hold a few MB on loopback first); `reader`, if given, takes each batch.
 */
async function floodUntilSkipped(sender: { p: DnPeer; nick: string }, reader?: DnPeer): Promise<string> {
  const line = `${sender.nick}!PUBLIC!` + 'y'.repeat(39_000);
  for (let sent = 0; dn.stats.broadcastSkipped === 0 && sent < 4_000; sent += 20) {
    for (let i = 0; i < 20; i++) sender.p.send(687, line);
    await sender.p.barrier();
    if (reader) for (let i = 0; i < 20; i++) await reader.waitFor((l) => l.startsWith('{"type": 687'));
  }
  return line;
}

afterEach(async () => {
  for (const p of open.splice(0)) p.destroy();
  await dn.stop();
});

describe('DN-wide broadcast budget', () => {
  it('20 senders at the per-peer pubmsg limit get at most burst + rate × time to every peer, and a light sender still gets through', async () => {
    const clock = new ManualClock();
    await setup({ clock, limits: { broadcastPerSec: 10, broadcastBurstMs: 10_000 } });
    const receiver = await joinAs(port, open, 'receiver');
    const light = await joinAs(port, open, 'light');
    const flood = await crowd(20, 'flood');
    // 3 s of flood, 10 a second each (the per-peer limit): 600 pubmsgs for a budget of 100 + 30.
    for (let round = 0; round < 30; round++) {
      for (const f of flood) f.p.send(687, `${f.nick}!PUBLIC!flood ${round}`);
      await Promise.all(flood.map((f) => f.p.barrier()));
      clock.advance(100);
    }
    light.p.send(687, `${light.nick}!PUBLIC!sw0reloffer 0 27300 100000000 0 0.00002`);
    expect(await receiver.p.waitFor((l) => l === encodeEnvelope(687, `${light.nick}!PUBLIC!sw0reloffer 0 27300 100000000 0 0.00002`))).toBeTruthy();
    await receiver.p.barrier();
    const got = pubmsgs(receiver.p, 'flood').length;
    expect(got).toBeLessThanOrEqual(100 + 30);
    // A crowd that has just connected cannot take the newcomers' reserve (a quarter of the bucket).
    expect(got).toBeGreaterThanOrEqual(75);
    expect(dn.stats.budgetDrops.shed + dn.stats.budgetDrops.empty).toBe(600 - got);
    expect(dn.stats.rateLimitDrops.pubmsg).toBe(0);
    expect(flood.every((f) => !f.p.isClosed)).toBe(true);
    await expectStillServing(port, 'budget', open);
  });

  it('50 senders at the per-peer !orderbook limit get at most the !orderbook allowance to a maker; a taker asking once is relayed', async () => {
    const clock = new ManualClock();
    await setup({ clock });
    const maker = await joinAs(port, open, 'maker', { location: '127.0.0.1:9401' });
    const flood = await crowd(50, 'asker');
    for (const f of flood) for (let i = 0; i < DEFAULTS.rateOrderbookPerMin; i++) f.p.send(687, `${f.nick}!PUBLIC!orderbook`);
    await Promise.all(flood.map((f) => f.p.barrier()));
    await maker.p.barrier();
    const allowance = (DEFAULTS.broadcastOrderbookPerSec * DEFAULTS.broadcastBurstMs) / 1000;
    // A crowd that has just connected gets the bucket down to the newcomers' reserve (a quarter).
    const got = pubmsgs(maker.p, 'orderbook').length;
    expect(got).toBe(allowance * (1 - DEFAULTS.broadcastNewcomerPercent / 100));
    expect(dn.stats.budgetDrops['orderbook-shed'] + dn.stats.budgetDrops['orderbook-empty']).toBe(50 * DEFAULTS.rateOrderbookPerMin - got);
    // One second later the crowd asks again (its own limits drop most) and a taker asks once.
    clock.advance(1_000);
    for (const f of flood) f.p.send(687, `${f.nick}!PUBLIC!orderbook`);
    await Promise.all(flood.map((f) => f.p.barrier()));
    const taker = await joinAs(port, open, 'taker');
    taker.p.send(687, `${taker.nick}!PUBLIC!orderbook`);
    expect(await maker.p.waitFor((l) => l === encodeEnvelope(687, `${taker.nick}!PUBLIC!orderbook`))).toBeTruthy();
    await maker.p.barrier();
    expect(pubmsgs(maker.p, 'orderbook').length).toBeLessThanOrEqual(allowance + DEFAULTS.broadcastOrderbookPerSec);
  });

  it('a churn of fresh nicks (connect, handshake, one pubmsg, close) takes the bucket down to the newcomers\' reserve and no further; a maker connected before it still gets through', async () => {
    const clock = new ManualClock();
    await setup({ clock, limits: { broadcastPerSec: 10, broadcastBurstMs: 10_000 } });
    const receiver = await joinAs(port, open, 'receiver');
    // A maker that has just connected to a quiet DN announces its offer at once.
    const maker = await joinAs(port, open, 'maker');
    const offer = `${maker.nick}!PUBLIC!sw0reloffer 0 27300 100000000 0 0.00002`;
    maker.p.send(687, offer);
    expect(await receiver.p.waitFor((l) => l === encodeEnvelope(687, offer))).toBeTruthy();
    clock.advance(30_000);
    // The bucket is full again (100 tokens) and no time passes during the churn: above the reserve are 75.
    const n = 90;
    for (let i = 0; i < n; i++) {
      const c = await DnPeer.joined(port, { nick: testNick(`churn-${i}`) });
      c.send(687, `${testNick(`churn-${i}`)}!PUBLIC!churn ${i}`);
      await c.barrier();
      c.destroy();
    }
    await receiver.p.barrier();
    const got = pubmsgs(receiver.p, 'churn').length;
    expect(got).toBeGreaterThanOrEqual(74);
    expect(got).toBeLessThanOrEqual(75);
    expect(dn.stats.budgetDrops.shed).toBe(n - got);
    expect(dn.broadcast.levels.messages).toBeGreaterThanOrEqual(0.25);
    // Another fresh nick is shed like the churn; the maker, connected 30 s before it, is not.
    const late = await joinAs(port, open, 'late');
    late.p.send(687, `${late.nick}!PUBLIC!churn late`);
    await late.p.barrier();
    expect(dn.stats.budgetDrops.shed).toBe(n - got + 1);
    const again = `${maker.nick}!PUBLIC!sw0reloffer 0 27300 100000000 0 0.00003`;
    maker.p.send(687, again);
    expect(await receiver.p.waitFor((l) => l === encodeEnvelope(687, again))).toBeTruthy();
  });

  it('64 senders bursting their pubmsg byte allowance do not get a peer that is reading slowly cut', async () => {
    await setup();
    const slow = await joinAs(port, open, 'slow', { location: '127.0.0.1:9402' });
    const conn = dn.registry.byNick(slow.nick)!;
    slow.p.socket.pause();
    const flood = await crowd(64, 'burst');
    const body = 'z'.repeat(30_000);
    const perSender = Math.floor(DEFAULTS.pubmsgBytesPerMin / 30_100);
    for (const f of flood) for (let k = 0; k < perSender; k++) f.p.send(687, `${f.nick}!PUBLIC!${body} ${k}`);
    await Promise.all(flood.map((f) => f.p.barrier()));
    // ~7.7 MB offered; at most the byte budget's burst (160 KiB) and what refilled meanwhile went out.
    const held = conn.socket.writableLength;
    expect(held).toBeLessThan(DEFAULTS.writeHighWaterBytes);
    expect(dn.stats.budgetDrops.shed + dn.stats.budgetDrops.empty).toBeGreaterThan(flood.length * perSender * 0.8);
    // The slow peer now reads (slowly: one chunk per turn) and gets everything that was relayed.
    slow.p.socket.resume();
    await slow.p.barrier();
    expect(dn.stats.slowReaderDisconnects).toBe(0);
    expect(slow.p.isClosed).toBe(false);
    expect(pubmsgs(slow.p, 'z').length).toBe(dn.stats.routed.pubmsg);
  });

  it('without the budget, a broadcast burst skips a peer over the soft mark instead of cutting it; a peer that takes nothing for the stall time is cut', async () => {
    const clock = new ManualClock();
    await setup({ clock, limits: { broadcastPerSec: 0, broadcastBytesPerSec: 0, pubmsgBytesPerMin: 0, ratePubmsgPerMin: 0, writeSoftMarkBytes: 256 * 1024, slowReaderStallMs: 30_000 } });
    const stalled = await joinAs(port, open, 'stalled', { location: '127.0.0.1:9403' });
    const conn = dn.registry.byNick(stalled.nick)!;
    stalled.p.socket.pause();
    const watcher = await joinAs(port, open, 'watcher');
    const sender = await joinAs(port, open, 'sender');
    const line = await floodUntilSkipped(sender, watcher.p);
    expect(dn.stats.broadcastSkipped).toBeGreaterThan(0);
    expect(conn.lagging).toBe(true);
    expect(dn.broadcast.laggingPeers).toBe(1);
    // Held: at most the soft mark plus the one turn of broadcasts that took it over.
    expect(conn.socket.writableLength).toBeLessThanOrEqual(256 * 1024 + 20 * 39_100);
    // Skipped, not cut, while the stall time has not passed.
    clock.advance(29_000);
    sender.p.send(687, line);
    await watcher.p.waitFor((l) => l.startsWith('{"type": 687'));
    expect(stalled.p.isClosed).toBe(false);
    expect(dn.stats.slowReaderDisconnects).toBe(0);
    // 30 s without taking a byte: cut at the next broadcast; its departure is announced.
    clock.advance(1_000);
    sender.p.send(687, line);
    await until(() => dn.stats.slowReaderDisconnects === 1, 'the stalled peer cut');
    expect(await watcher.p.waitFor((l) => l.includes(`${stalled.nick};127.0.0.1:9403;D`))).toBeTruthy();
    expect(dn.broadcast.laggingPeers).toBe(0);
    await expectStillServing(port, 'stall', open);
  });

  it('a lagging peer that reads again gets broadcasts again and is not cut', async () => {
    const clock = new ManualClock();
    await setup({ clock, limits: { broadcastPerSec: 0, broadcastBytesPerSec: 0, pubmsgBytesPerMin: 0, ratePubmsgPerMin: 0, writeSoftMarkBytes: 256 * 1024 } });
    const lagger = await joinAs(port, open, 'lagger');
    const conn = dn.registry.byNick(lagger.nick)!;
    lagger.p.socket.pause();
    const sender = await joinAs(port, open, 'sender');
    await floodUntilSkipped(sender);
    expect(conn.lagging).toBe(true);
    // It reads everything it was sent (before the stall time, which would cut it); the next
    // broadcast goes to it again, and heartbeats long after do not cut it. Its private output
    // (the PONG) was never skipped.
    clock.advance(20_000);
    lagger.p.socket.resume();
    await lagger.p.barrier();
    await until(() => conn.socket.writableLength === 0, 'the lagger drained');
    clock.advance(60_000);
    sender.p.send(687, `${sender.nick}!PUBLIC!after`);
    expect(await lagger.p.waitFor((l) => l === encodeEnvelope(687, `${sender.nick}!PUBLIC!after`))).toBeTruthy();
    expect(conn.lagging).toBe(false);
    expect(lagger.p.isClosed).toBe(false);
    expect(dn.stats.slowReaderDisconnects).toBe(0);
  });

  it('/health and /metrics report the budgets\' fill, their drops, skipped broadcasts and lagging peers', async () => {
    const clock = new ManualClock();
    await setup({ clock, http: { host: '127.0.0.1', port: 0 }, limits: { broadcastPerSec: 50, broadcastOrderbookPerSec: 1, broadcastBurstMs: 1_000 } });
    const maker = await joinAs(port, open, 'maker', { location: '127.0.0.1:9404' });
    const taker = await joinAs(port, open, 'taker');
    for (let i = 0; i < 3; i++) taker.p.send(687, `${taker.nick}!PUBLIC!orderbook`);
    await taker.p.barrier();
    await maker.p.barrier();
    expect(pubmsgs(maker.p, 'orderbook')).toHaveLength(1);
    const base = `http://127.0.0.1:${dn.httpAddress!.port}`;
    const health = (await (await fetch(`${base}/health`)).json()) as { broadcast: Record<string, unknown> };
    expect(health.broadcast).toEqual({
      messages: 0.98, bytes: expect.any(Number), orderbook: 0,
      dropped: { shed: 0, empty: 0, 'orderbook-shed': 0, 'orderbook-empty': 2 }, skipped: 0, lagging: 0,
    });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('jm_directory_broadcast_budget_drops_total{reason="orderbook-empty"} 2');
    expect(text).toContain('jm_directory_broadcast_budget_level{budget="messages"} 0.98');
    expect(text).toContain('jm_directory_broadcast_budget_level{budget="orderbook"} 0');
    expect(text).toContain('jm_directory_broadcast_skipped_total 0');
    expect(text).toContain('jm_directory_lagging_peers 0');
  });
});
