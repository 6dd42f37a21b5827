/**
 * Privmsg byte budgets over real sockets (a real DirectoryServer): a sender's bytes per minute,
 * a target's bytes per second shared fairly among its senders, and a target whose queue is
 * over the soft mark: privmsgs to it are dropped and it is cut only once it takes nothing for
 * the stall time. One peer flooding another with line-sized privmsgs cannot get it cut.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DnPeer, startTestDirectory } from '../../helpers/dn-peer.js';
import { expectStillServing, joinAs, until } from '../../helpers/dn-checks.js';
import { encodeEnvelope } from '../../../src/protocol/framing.js';
import { ManualClock } from '../../../src/util/clock.js';
import { resolveLimits } from '../../../src/directory/limits.js';
import type { DirectoryServer, DirectoryServerOptions } from '../../../src/directory/index.js';
import type { PeerConnection } from '../../../src/directory/peer-connection.js';

let dn: DirectoryServer;
let port: number;
const open: DnPeer[] = [];
const DEFAULTS = resolveLimits({});
const BODY = 'x'.repeat(39_000);

async function setup(opts: Partial<DirectoryServerOptions> = {}): Promise<void> {
  ({ dn, port } = await startTestDirectory({ locationProofs: { enabled: false }, ...opts, limits: { departureCoalesceMs: 0, ...opts.limits } }));
}

/** Privmsg lines the peer received (not consumed) from `from` whose body starts with `body`. */
const privmsgs = (p: DnPeer, from: string, body: string): string[] => p.unread.filter((l) => l.startsWith(`{"type": 685, "line": "${from}!`) && l.includes(`!${body}`));

/**
 * Privmsgs at a target that does not read, until the kernel buffers are full and the DN holds
 * more than the soft mark for it: three rounds in a row dropped whole, the socket taking nothing.
 */
async function fillUntilLagging(flooder: { p: DnPeer; nick: string }, to: string, conn: PeerConnection): Promise<void> {
  let stable = 0;
  let taken = -1;
  for (let sent = 0; stable < 3 && sent < 4_000; sent += 20) {
    const drops = dn.stats.privmsgDrops['target-lagging'];
    for (let i = 0; i < 20; i++) flooder.p.send(685, `${flooder.nick}!${to}!${BODY} ${sent + i}`);
    await flooder.p.barrier();
    const now = conn.written - conn.socket.writableLength;
    stable = dn.stats.privmsgDrops['target-lagging'] - drops === 20 && now === taken ? stable + 1 : 0;
    taken = now;
  }
  expect(stable).toBe(3);
}

afterEach(async () => {
  for (const p of open.splice(0)) p.destroy();
  await dn.stop();
});

describe('privmsg byte budgets', () => {
  it("a sender's privmsg bytes per minute: relayed while its bucket is not in debt, then dropped (the sender kept)", async () => {
    const clock = new ManualClock();
    await setup({ clock, limits: { privmsgBytesPerMin: 200_000, privmsgRecvBytesPerSec: 0 } });
    const target = await joinAs(port, open, 'target');
    const sender = await joinAs(port, open, 'sender');
    for (let i = 0; i < 10; i++) sender.p.send(685, `${sender.nick}!${target.nick}!${BODY} ${i}`);
    await sender.p.barrier();
    await target.p.barrier();
    // 39,05x bytes each: five leave 4.7 kB, the sixth overdraws, the rest wait for the refill.
    expect(privmsgs(target.p, sender.nick, BODY)).toHaveLength(6);
    expect(dn.stats.rateLimitDrops.privmsg_bytes).toBe(4);
    clock.advance(30_000);
    sender.p.send(685, `${sender.nick}!${target.nick}!${BODY} later`);
    expect(await target.p.waitFor((l) => l.includes(`${BODY} later`))).toBeTruthy();
    expect(sender.p.isClosed || target.p.isClosed).toBe(false);
  });

  it("a target's privmsg bytes: a flooder is shed at half the target's bucket, an honest sender's privmsg still arrives", async () => {
    const clock = new ManualClock();
    await setup({ clock, http: { host: '127.0.0.1', port: 0 } });
    const target = await joinAs(port, open, 'target');
    const flooder = await joinAs(port, open, 'flooder');
    const honest = await joinAs(port, open, 'honest');
    // 40 line-sized privmsgs (1.56 MB, within the flooder's own 2 MiB a minute) at once.
    for (let i = 0; i < 40; i++) flooder.p.send(685, `${flooder.nick}!${target.nick}!${BODY} ${i}`);
    await flooder.p.barrier();
    const half = DEFAULTS.privmsgRecvBurstBytes / 2;
    await target.p.barrier();
    const got = privmsgs(target.p, flooder.nick, BODY).length;
    expect(got * 39_000).toBeLessThanOrEqual(half + 40_000);
    expect(got * 39_100).toBeGreaterThanOrEqual(half - 40_000);
    expect(dn.stats.privmsgDrops['target-shed']).toBe(40 - got);
    expect(dn.stats.rateLimitDrops.privmsg_bytes).toBe(0);
    const line = `${honest.nick}!${target.nick}!ioauth 02ab cd sig`;
    honest.p.send(685, line);
    expect(await target.p.waitFor((l) => l === encodeEnvelope(685, line))).toBeTruthy();
    expect(target.p.isClosed).toBe(false);
    expect(dn.stats.slowReaderDisconnects).toBe(0);
    // Operators see it on /health and /metrics.
    const base = `http://127.0.0.1:${dn.httpAddress!.port}`;
    const health = (await (await fetch(`${base}/health`)).json()) as { privmsg: unknown };
    expect(health.privmsg).toEqual({ dropped: { 'target-lagging': 0, 'target-shed': 40 - got, 'target-empty': 0 } });
    expect(await (await fetch(`${base}/metrics`)).text()).toContain(`jm_directory_privmsg_drops_total{reason="target-shed"} ${40 - got}`);
  });

  it('a target over the soft mark gets no privmsgs (dropped, counted) instead of being cut; it is cut once it takes nothing for the stall time', async () => {
    const clock = new ManualClock();
    await setup({ clock, limits: { privmsgBytesPerMin: 0, privmsgRecvBytesPerSec: 0, ratePrivmsgPerMin: 0 } });
    const target = await joinAs(port, open, 'target', { location: '127.0.0.1:9405' });
    const conn = dn.registry.byNick(target.nick)!;
    target.p.socket.pause();
    const flooder = await joinAs(port, open, 'flooder');
    const watcher = await joinAs(port, open, 'watcher');
    await fillUntilLagging(flooder, target.nick, conn);
    expect(dn.stats.privmsgDrops['target-lagging']).toBeGreaterThan(0);
    // Far more than the high-water mark was sent at it; it holds at most the soft mark and a line.
    for (let i = 0; i < 60; i++) flooder.p.send(685, `${flooder.nick}!${target.nick}!${BODY} more ${i}`);
    await flooder.p.barrier();
    expect(conn.socket.writableLength).toBeLessThanOrEqual(DEFAULTS.writeSoftMarkBytes + 2 * 39_200);
    expect(conn.lagging).toBe(true);
    expect(dn.stats.slowReaderDisconnects).toBe(0);
    expect(target.p.isClosed).toBe(false);
    // Still not cut before the stall time; cut at the first privmsg once it has taken nothing
    // for a whole stall time (the kernel may have taken a last few bytes until the first check).
    clock.advance(DEFAULTS.slowReaderStallMs - 1_000);
    flooder.p.send(685, `${flooder.nick}!${target.nick}!${BODY} late`);
    await flooder.p.barrier();
    expect(dn.stats.slowReaderDisconnects).toBe(0);
    clock.advance(DEFAULTS.slowReaderStallMs);
    flooder.p.send(685, `${flooder.nick}!${target.nick}!${BODY} last`);
    await until(() => dn.stats.slowReaderDisconnects === 1, 'the stalled target cut');
    expect(await watcher.p.waitFor((l) => l.includes(`${target.nick};127.0.0.1:9405;D`))).toBeTruthy();
    expect(flooder.p.isClosed).toBe(false);
    await expectStillServing(port, 'privmsg-stall', open);
  });

  it('a target reading again after lagging gets privmsgs again', async () => {
    const clock = new ManualClock();
    await setup({ clock, limits: { privmsgBytesPerMin: 0, privmsgRecvBytesPerSec: 0, ratePrivmsgPerMin: 0 } });
    const target = await joinAs(port, open, 'target');
    const conn = dn.registry.byNick(target.nick)!;
    target.p.socket.pause();
    const flooder = await joinAs(port, open, 'flooder');
    const honest = await joinAs(port, open, 'honest');
    await fillUntilLagging(flooder, target.nick, conn);
    clock.advance(10_000);
    target.p.socket.resume();
    await until(() => conn.socket.writableLength === 0, 'the target drained');
    const line = `${honest.nick}!${target.nick}!fill 0 100000 02ab cmt`;
    honest.p.send(685, line);
    expect(await target.p.waitFor((l) => l === encodeEnvelope(685, line))).toBeTruthy();
    expect(dn.stats.slowReaderDisconnects).toBe(0);
  });
});
