/** Every limit hit once over real sockets; after each, the DN keeps serving the other peers. */
import { afterEach, describe, expect, it } from 'vitest';
import { DnPeer, closesWithin, startTestDirectory, testNick } from '../../helpers/dn-peer.js';
import { expectStillServing, joinAs } from '../../helpers/dn-checks.js';
import { encodeEnvelope, MAX_EMIT_BYTES, MAX_LINE_BYTES } from '../../../src/protocol/framing.js';
import { ManualClock } from '../../../src/util/clock.js';
import type { DirectoryServer, DirectoryServerOptions } from '../../../src/directory/index.js';

let dn: DirectoryServer;
let port: number;
const open: DnPeer[] = [];

async function setup(opts: Partial<DirectoryServerOptions> = {}): Promise<void> {
  ({ dn, port } = await startTestDirectory({ locationProofs: { enabled: false }, ...opts, limits: { departureCoalesceMs: 0, ...opts.limits } }));
}

const join = (label: string, location?: string) => joinAs(port, open, label, location ? { location } : {});

/** Two bystanders exchange a pubmsg: proves the DN still routes for everyone else. */
const stillServing = (): Promise<void> => expectStillServing(port, `bystander-${open.length}`, open, 10_000);

afterEach(async () => {
  for (const p of open.splice(0)) p.destroy();
  await dn.stop();
});

describe('limits', () => {
  it('oversize line: 40,000 payload bytes pass (relayed only up to 39,998), 40,001 close the connection', async () => {
    await setup();
    const a = await join('a');
    const b = await join('b');
    const prefix = `{"type": 687, "line": "${a.nick}!PUBLIC!`;
    const fill = (n: number): string => prefix + 'x'.repeat(n - prefix.length - 2) + '"}';
    const exact = fill(MAX_LINE_BYTES);
    expect(Buffer.byteLength(exact)).toBe(MAX_LINE_BYTES);
    a.p.sendRaw(exact + '\r\n');
    a.p.sendRaw(fill(MAX_EMIT_BYTES) + '\r\n');
    expect(await b.p.nextLine()).toBe(fill(MAX_EMIT_BYTES) + '\r\n');
    expect(dn.stats.relayRefused['over-limit']).toBe(1);
    a.p.sendRaw(fill(MAX_LINE_BYTES + 1) + '\r\n');
    expect(await closesWithin(a.p)).toBe(true);
    expect(dn.stats.disconnects.get('oversize')).toBe(1);
    await stillServing();
  });

  it('rate limit: excess !orderbook is dropped, then abuse disconnects', async () => {
    await setup({ clock: new ManualClock(), limits: { rateOrderbookPerMin: 3 } });
    const a = await join('a');
    const b = await join('b');
    const ob = `${a.nick}!PUBLIC!orderbook`;
    for (let i = 0; i < 6; i++) a.p.send(687, ob);
    expect(await closesWithin(a.p)).toBe(true);
    await b.p.barrier();
    expect(b.p.unread.filter((l) => l === encodeEnvelope(687, ob))).toHaveLength(3);
    expect(dn.stats.rateLimitDrops.orderbook).toBe(2);
    expect(dn.stats.rateLimitDisconnects.orderbook).toBe(1);
    await stillServing();
  });

  it('pubmsg byte allowance: relayed while not in debt, the rest dropped and counted; refilled over the minute', async () => {
    const clock = new ManualClock();
    // The DN-wide byte budget off: a newcomer's third 30 kB line would otherwise reach its reserve.
    await setup({ clock, limits: { pubmsgBytesPerMin: 65_536, broadcastBytesPerSec: 0 } });
    const a = await join('a');
    const b = await join('b');
    const line = (i: number): string => `${a.nick}!PUBLIC!${i} ${'p'.repeat(29_950)}`;
    for (let i = 0; i < 5; i++) a.p.send(687, line(i));
    await a.p.barrier();
    await b.p.barrier();
    // ~30 kB each: 65,536 → 35.5k → 5.5k → -24.5k (in debt): three relayed, two dropped.
    expect(b.p.unread.filter((l) => l.startsWith('{"type": 687'))).toEqual([0, 1, 2].map((i) => encodeEnvelope(687, line(i))));
    expect(dn.stats.rateLimitDrops.pubmsg_bytes).toBe(2);
    expect(a.p.isClosed).toBe(false);
    clock.advance(60_000);
    a.p.send(687, line(5));
    expect(await b.p.waitFor((l) => l.startsWith('{"type": 687') && l.includes(`!PUBLIC!5 `))).toBe(encodeEnvelope(687, line(5)));
    await stillServing();
  });

  it('max peers: the next handshake gets accepted:false and is closed', async () => {
    await setup({ maxPeers: 3 });
    // Makers: a silent taker's departure would not be announced.
    const a = await join('a', '127.0.0.1:9201');
    const b = await join('b', '127.0.0.1:9202');
    const c = await join('c');
    const d = await DnPeer.connect(port);
    open.push(d);
    const reply = await d.handshake({ nick: testNick('d') });
    expect(reply).toMatchObject({ accepted: false, motd: 'Rejected: Maximum peers reached' });
    expect(await closesWithin(d)).toBe(true);
    // Two peers leave (c sees their `;D`): there is room again for two bystanders.
    a.p.destroy();
    b.p.destroy();
    const first = await c.p.waitFor((l) => l.includes(';D'));
    for (const gone of [`${a.nick};127.0.0.1:9201;D`, `${b.nick};127.0.0.1:9202;D`]) {
      if (!first.includes(gone)) await c.p.waitFor((l) => l.includes(gone));
    }
    await stillServing();
  });

  it('max pending: a connection beyond the cap closes the oldest pending one (pending-cap.test.ts has more)', async () => {
    await setup({ limits: { maxPending: 1 } });
    const first = await DnPeer.connect(port);
    open.push(first);
    const second = await DnPeer.connect(port);
    open.push(second);
    expect(await closesWithin(first)).toBe(true);
    expect(first.received.length).toBe(0);
    expect((await second.handshake({ nick: testNick('second') })).accepted).toBe(true);
    expect(dn.stats.pendingEvicted).toBe(1);
  });

  it('handshake timeout: a silent connection is closed by the sweep', async () => {
    const clock = new ManualClock();
    await setup({ clock, limits: { handshakeTimeoutMs: 10_000, sweepIntervalMs: 1_000 } });
    const silent = await DnPeer.connect(port);
    open.push(silent);
    const a = await join('a'); // accepted after `silent` (one accept queue), so silent is registered
    clock.advance(9_000);
    await a.p.barrier();
    expect(silent.isClosed).toBe(false);
    clock.advance(1_000);
    expect(await closesWithin(silent)).toBe(true);
    expect(dn.stats.disconnects.get('handshake-timeout')).toBe(1);
    expect(a.p.isClosed).toBe(false);
    await stillServing();
  });

  it('malformed JSON after the handshake closes that connection only', async () => {
    await setup();
    const a = await join('a');
    a.p.sendRaw('this is not json\r\n');
    expect(await closesWithin(a.p)).toBe(true);
    const b = await DnPeer.connect(port);
    open.push(b);
    b.sendRaw('{"type": "793", "line": "{}"}\r\n'); // type must be an integer
    expect(await closesWithin(b)).toBe(true);
    expect(dn.stats.disconnects.get('malformed')).toBe(2);
    await stillServing();
  });

  it('a spoofed from-nick disconnects the sender and is not relayed', async () => {
    await setup();
    const a = await join('a');
    const b = await join('b');
    a.p.send(687, `${b.nick}!PUBLIC!cancel 0`);
    expect(await closesWithin(a.p)).toBe(true);
    await b.p.barrier();
    expect(b.p.unread.filter((l) => l.includes('cancel'))).toEqual([]);
    expect(dn.stats.disconnects.get('spoofed-nick')).toBe(1);
    await stillServing();
  });

  it('slow reader (soft mark off): a peer that does not read is cut off at the high-water mark', async () => {
    await setup({ limits: { writeHighWaterBytes: 256 * 1024, writeSoftMarkBytes: 0, ratePubmsgPerMin: 0, pubmsgBytesPerMin: 0, broadcastPerSec: 0, broadcastBytesPerSec: 0 } });
    const watcher = await join('watcher');
    const slow = await join('slow', '127.0.0.1:9301'); // serving, so its departure is announced
    slow.p.socket.pause();
    const sender = await join('sender');
    const line = `${sender.nick}!PUBLIC!` + 'y'.repeat(39_000);
    let sent = 0;
    // Each batch is drained by the watcher; the paused peer's kernel buffers fill up meanwhile.
    while (dn.stats.slowReaderDisconnects === 0 && sent < 4_000) {
      for (let i = 0; i < 50; i++) sender.p.send(687, line);
      sent += 50;
      await sender.p.barrier();
      // Only pubmsgs: the `;D` notice may arrive in between and is awaited below.
      for (let i = 0; i < 50; i++) await watcher.p.waitFor((l) => l.startsWith('{"type": 687'), 10_000);
    }
    expect(dn.stats.slowReaderDisconnects).toBe(1);
    const notice = await watcher.p.waitFor((l) => l.includes(`${slow.nick};127.0.0.1:9301;D`));
    expect(notice.startsWith('{"type": 789')).toBe(true);
    expect(dn.registry.byNick(slow.nick)).toBeUndefined();
    await stillServing();
  });
});
