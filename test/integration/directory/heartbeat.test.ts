/** Heartbeat and duplicate-nick handling over real sockets with an injected clock. */
import { afterEach, describe, expect, it } from 'vitest';
import { DnPeer, closesWithin, startTestDirectory, testNick } from '../../helpers/dn-peer.js';
import { joinAs } from '../../helpers/dn-checks.js';
import { encodeEnvelope } from '../../../src/protocol/framing.js';
import { ManualClock } from '../../../src/util/clock.js';
import type { DirectoryServer, DirectoryLimitsInput } from '../../../src/directory/index.js';

let dn: DirectoryServer;
let port: number;
let clock: ManualClock;
const open: DnPeer[] = [];
const PING = '{"type": 798, "line": ""}\r\n';

async function setup(limits: DirectoryLimitsInput = {}): Promise<void> {
  clock = new ManualClock();
  ({ dn, port } = await startTestDirectory({
    locationProofs: { enabled: false },
    clock,
    limits: { sweepIntervalMs: 1_000, probeAfterMs: 10_000, pongTimeoutMs: 5_000, evictAfterMs: 60_000, departureCoalesceMs: 0, ...limits },
  }));
}

const join = (label: string, opts: { location?: string; features?: Record<string, boolean> } = {}) => joinAs(port, open, label, opts);

afterEach(async () => {
  for (const p of open.splice(0)) p.destroy();
  await dn.stop();
});

describe('heartbeat', () => {
  it('probes with PING or !orderbook, evicts the silent, keeps silent reference takers', async () => {
    await setup();
    const ng = await join('ng', { features: { ping: true } });
    const maker = await join('ref-maker', { location: '127.0.0.1:9100' });
    const taker = await join('ref-taker');
    const watcher = await join('watcher', { features: { ping: true } });

    clock.advance(10_000);
    expect(await ng.p.nextLine()).toBe(PING);
    expect(await maker.p.nextLine()).toBe(encodeEnvelope(687, `${dn.nick}!PUBLIC!orderbook`));
    await watcher.p.waitFor((l) => l === PING);
    watcher.p.send(799, '');
    ng.p.send(799, '');
    await ng.p.barrier();
    await watcher.p.barrier();
    await taker.p.barrier(); // the taker's own PING counts as activity, so make it silent again below

    // The maker never answers its probe: evicted after the pong timeout; the others stay.
    clock.advance(5_000);
    await watcher.p.waitFor((l) => l.includes(`${maker.nick};127.0.0.1:9100;D`));
    expect(await closesWithin(maker.p)).toBe(true);
    expect(ng.p.isClosed).toBe(false);

    // Long silence: probe-able peers are probed, then evicted; the reference taker is kept.
    clock.advance(70_000);
    expect(await closesWithin(ng.p)).toBe(true);
    expect(await closesWithin(watcher.p)).toBe(true);
    expect(dn.registry.byNick(taker.nick)).toBeDefined();
    expect(taker.p.unread.filter((l) => !l.startsWith('{"type": 789'))).toEqual([]); // never probed: it could not answer
    await taker.p.barrier();
    expect(dn.stats.evictions).toBe(3);
  });

  it('evicts silent non-serving peers without ping when evictSilentTakers is set', async () => {
    await setup({ evictSilentTakers: true });
    const taker = await join('ref-taker');
    clock.advance(60_000);
    expect(await closesWithin(taker.p)).toBe(true);
    expect(dn.stats.evictions).toBe(1);
  });

  it('duplicate nick: a live holder wins; a silent one is probed and then replaced', async () => {
    await setup({ duplicateProbeAfterMs: 3_000, probeAfterMs: 600_000, evictAfterMs: 0 });
    const nick = testNick('dup');
    const holder = await join('dup', { features: { ping: true } });
    const second = await DnPeer.connect(port);
    open.push(second);
    expect(await second.handshake({ nick })).toMatchObject({ accepted: false, motd: `Rejected: nick already in use: ${nick}` });
    expect(await closesWithin(second)).toBe(true);

    clock.advance(3_000);
    const third = await DnPeer.connect(port);
    open.push(third);
    expect((await third.handshake({ nick })).accepted).toBe(false);
    expect(await holder.p.nextLine()).toBe(PING); // the holder is probed on the newcomer's behalf
    clock.advance(5_000);
    expect(await closesWithin(holder.p)).toBe(true);

    const fourth = await DnPeer.connect(port);
    open.push(fourth);
    expect((await fourth.handshake({ nick })).accepted).toBe(true);
  });

  it('duplicate nick: a holder that cannot be probed is replaced after long silence, without a `;D`', async () => {
    await setup({ duplicateReplaceAfterMs: 20_000, probeAfterMs: 600_000 });
    const nick = testNick('ref-taker');
    const old = await join('ref-taker');
    const watcher = await join('watcher');
    clock.advance(20_000);
    watcher.p.send(799, ''); // keep the watcher's own record fresh
    const fresh = await DnPeer.connect(port);
    open.push(fresh);
    expect((await fresh.handshake({ nick })).accepted).toBe(true);
    expect(await closesWithin(old.p)).toBe(true);
    await watcher.p.barrier();
    expect(watcher.p.unread.filter((l) => l.includes(';D'))).toEqual([]);
    expect(dn.registry.byNick(nick)).toBeDefined();
  });
});
