/**
 * The pre-handshake side under a connection flood, over real sockets with small caps: at the
 * pending cap a newcomer closes the oldest pending socket (counted, one log line then a
 * summary), above half the cap the short handshake deadline applies, and connect/disconnect
 * lines are throttled.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DnPeer, closesWithin, startTestDirectory, testNick } from '../../helpers/dn-peer.js';
import { expectStillServing, until } from '../../helpers/dn-checks.js';
import { ManualClock } from '../../../src/util/clock.js';
import type { DirectoryServer, DirectoryServerOptions } from '../../../src/directory/index.js';

let dn: DirectoryServer | null = null;
const open: DnPeer[] = [];

afterEach(async () => {
  for (const p of open.splice(0)) p.destroy();
  await dn?.stop();
  dn = null;
});

function capture(): { lines: Array<Record<string, unknown>>; logger: pino.Logger } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write: (c: Buffer, _e, cb) => {
      for (const l of c.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: pino({ level: 'info' }, sink) };
}

async function setup(opts: Partial<DirectoryServerOptions>): Promise<number> {
  const r = await startTestDirectory({ locationProofs: { enabled: false }, ...opts });
  dn = r.dn;
  return r.port;
}

async function connect(port: number): Promise<DnPeer> {
  const p = await DnPeer.connect(port);
  open.push(p);
  return p;
}

describe('pending-handshake cap', () => {
  it('a newcomer at the cap closes the oldest pending socket; evictions are counted and logged once, then summarised', async () => {
    const { lines, logger } = capture();
    const port = await setup({ logger, limits: { maxPending: 3 } });
    const first = await connect(port);
    await until(() => dn!.pendingCount === 1, 'the first accept');
    const rest = [await connect(port), await connect(port)];
    await until(() => dn!.pendingCount === 3, 'three pending');
    const newcomer = await connect(port);
    expect(await closesWithin(first)).toBe(true);
    expect(first.received.length).toBe(0);
    expect(dn!.stats.pendingEvicted).toBe(1);
    expect(dn!.stats.connectionsRefused).toBe(0);
    expect((await newcomer.handshake({ nick: testNick('newcomer') })).accepted).toBe(true);
    for (const p of rest) expect(p.isClosed).toBe(false);
    // A stream of newcomers (2 pending now): the first fills the cap, each further one evicts
    // the oldest; one warn line in full, the rest counted.
    for (let i = 0; i < 30; i++) await connect(port);
    await until(() => dn!.stats.pendingEvicted === 30, 'twenty-nine more evictions');
    expect(dn!.pendingCount).toBe(3);
    await expectStillServing(port, 'after-evictions', open);
    const s = dn!;
    const evicted = s.stats.pendingEvicted; // the two bystanders' connects evicted too
    dn = null;
    await s.stop(); // writes the summary
    const evictLines = lines.filter((l) => l.kind === 'pending-evicted');
    expect(evictLines).toHaveLength(2);
    expect(evictLines[0]).toMatchObject({ level: 40, ageMs: expect.any(Number) });
    expect(evictLines[1]).toMatchObject({ repeated: evicted - 1 });
  });

  it('above half the cap the short handshake deadline applies; at or below it the normal one', async () => {
    const clock = new ManualClock();
    const port = await setup({ clock, limits: { maxPending: 10, handshakeTimeoutMs: 60_000, handshakePressureTimeoutMs: 1_000, sweepIntervalMs: 600_000 } });
    const calm = await Promise.all(Array.from({ length: 5 }, () => connect(port)));
    await until(() => dn!.pendingCount === 5, 'five pending');
    clock.advance(1_000);
    dn!.sweep(); // 5 of 10: no pressure
    expect(dn!.pendingCount).toBe(5);
    const sixth = await connect(port);
    await until(() => dn!.pendingCount === 6, 'six pending');
    dn!.sweep(); // 6 of 10: the five older ones are past 1 s
    for (const p of calm) expect(await closesWithin(p)).toBe(true);
    expect(dn!.stats.disconnects.get('handshake-timeout')).toBe(5);
    expect(sixth.isClosed).toBe(false);
    expect((await sixth.handshake({ nick: testNick('sixth') })).accepted).toBe(true);
  });

  it('under pressure, an accept closes the pending sockets past the short deadline without waiting for the sweep', async () => {
    const clock = new ManualClock();
    const port = await setup({ clock, limits: { maxPending: 4, handshakeTimeoutMs: 60_000, handshakePressureTimeoutMs: 1_000, sweepIntervalMs: 600_000 } });
    const old = [await connect(port), await connect(port), await connect(port)];
    await until(() => dn!.pendingCount === 3, 'three pending');
    clock.advance(1_000);
    const fresh = await connect(port);
    for (const p of old) expect(await closesWithin(p)).toBe(true);
    expect(dn!.stats.pendingEvicted).toBe(0);
    expect(fresh.isClosed).toBe(false);
    expect((await fresh.handshake({ nick: testNick('fresh') })).accepted).toBe(true);
  });
});

describe('connection log lines', () => {
  it('connect, handshake and disconnect lines are logged in full up to --connection-log-lines a minute per kind, then summarised', async () => {
    const { lines, logger } = capture();
    const port = await setup({ logger, limits: { connectionLogLinesPerMin: 100 } });
    for (let i = 0; i < 120; i++) (await DnPeer.connect(port)).destroy();
    for (let i = 0; i < 120; i++) (await DnPeer.joined(port, { nick: testNick(`churn${i}`) })).destroy();
    await until(() => dn!.stats.connectionsAccepted === 240 && dn!.connectionCount === 0, 'all 240 gone');
    const s = dn!;
    dn = null;
    await s.stop();
    const expected: Record<string, number> = { connect: 140, 'disconnect-unregistered': 20, 'handshake-accepted': 20, disconnect: 20 };
    for (const [kind, repeated] of Object.entries(expected)) {
      const mine = lines.filter((l) => l.kind === kind);
      expect(mine, kind).toHaveLength(101);
      expect(mine[100], kind).toMatchObject({ repeated });
    }
  });
});
