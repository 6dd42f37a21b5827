/**
 * Write batching: one shared Buffer per turn for peers that got only the turn's broadcasts;
 * every other peer's bytes in the order the sends and broadcasts were made.
 */
import { describe, expect, it } from 'vitest';
import { ConnectionManager } from '../../../src/directory/connection-manager.js';
import type { PeerConnection } from '../../../src/directory/peer-connection.js';
import { DirectoryStats } from '../../../src/directory/stats.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { afterFlush, fakeListener, type DrivableSocket } from './fakes.js';

async function setup(limits: { writeHighWaterBytes?: number; outputBudgetBytes?: number; writeSoftMarkBytes?: number; slowReaderStallMs?: number } = {}) {
  const listener = fakeListener();
  const audience: PeerConnection[] = [];
  const conns: PeerConnection[] = [];
  const stats = new DirectoryStats();
  const clock = new ManualClock(0);
  const m = new ConnectionManager({
    listener,
    clock,
    logger: silentLogger(),
    limits: { maxPending: 100, handshakeTimeoutMs: 30_000, handshakePressureTimeoutMs: 10_000, connectionLogLinesPerMin: 1_000, writeHighWaterBytes: 1 << 20, writeSoftMarkBytes: 0, slowReaderStallMs: 30_000, closeGraceMs: 1_000, lineTimeoutMs: 0, inputBudgetBytes: 1 << 26, outputBudgetBytes: 1 << 26, ...limits },
    stats,
    audience,
    handler: { onLine: () => {}, onRetire: (c) => void audience.splice(audience.indexOf(c), 1) },
  });
  await m.start();
  const connect = (): { c: PeerConnection; s: DrivableSocket } => {
    const s = listener.connect();
    const c = [...m.all].at(-1)!;
    conns.push(c);
    return { c, s };
  };
  const ready = (): { c: PeerConnection; s: DrivableSocket } => {
    const p = connect();
    audience.push(p.c);
    m.markReady(p.c);
    return p;
  };
  return { m, ready, connect, stats, clock };
}

const b = (s: string): Buffer => Buffer.from(s);
/** The fake socket reports this many bytes it has not passed on. */
const setUnsent = (s: DrivableSocket, n: number): void => void ((s as { writableLength: number }).writableLength = n);

describe('ConnectionManager batching', () => {
  it('writes the same Buffer to plain recipients, once per turn', async () => {
    const t = await setup();
    const [x, y] = [t.ready(), t.ready()];
    await afterFlush();
    t.m.broadcast(b('1\n'), null);
    t.m.broadcast(b('2\n'), null);
    await afterFlush();
    expect(x.s.written).toHaveLength(1);
    expect(x.s.written[0]).toBe(y.s.written[0]);
    expect(x.s.text()).toBe('1\n2\n');
  });

  it('keeps each peer in order across direct sends, skips its own lines, and a joiner sees only later lines', async () => {
    const t = await setup();
    const [a, d] = [t.ready(), t.ready()];
    await afterFlush();
    t.m.broadcast(b('A1\n'), a.c);
    t.m.send(d.c, b('direct\n'));
    const late = t.connect();
    t.m.send(late.c, b('pending-only\n'));
    const j = t.connect();
    t.m.broadcast(b('D1\n'), d.c);
    t.m.markReady(j.c);
    t.m.send(j.c, b('welcome\n'));
    t.m.broadcast(b('X\n'), null);
    await afterFlush();
    expect(a.s.text()).toBe('D1\nX\n');
    expect(d.s.text()).toBe('A1\ndirect\nX\n');
    expect(late.s.text()).toBe('pending-only\n');
    expect(j.s.text()).toBe('welcome\nX\n');
    expect(a.s.written).toHaveLength(1);
  });

  it('a graceful close mid-turn flushes the broadcasts made so far, not later ones', async () => {
    const t = await setup();
    const [a, z] = [t.ready(), t.ready()];
    await afterFlush();
    t.m.broadcast(b('1\n'), null);
    t.m.send(z.c, b('bye\n'));
    t.m.close(z.c, 'test', 'test', true);
    t.m.broadcast(b('2\n'), null);
    await afterFlush();
    expect(z.s.text()).toBe('1\nbye\n');
    expect(a.s.text()).toBe('1\n2\n');
  });

  it('cuts off a slow reader on the shared path and still serves the others', async () => {
    const t = await setup();
    const [a, slow, c] = [t.ready(), t.ready(), t.ready()];
    await afterFlush();
    (slow.s as { writableLength: number }).writableLength = 2 << 20;
    t.m.broadcast(b('1\n'), null);
    await afterFlush();
    expect(slow.s.destroyed).toBe(true);
    expect(a.s.text()).toBe('1\n');
    expect(c.s.text()).toBe('1\n');
  });

  it('a peer already over the high-water mark is cut when more is queued for it, not at its next flush', async () => {
    const t = await setup({ writeHighWaterBytes: 1_024 });
    const [a, b2] = [t.ready(), t.ready()];
    await afterFlush();
    setUnsent(a.s, 2_000);
    t.m.send(a.c, b('x\n'));
    expect(a.s.destroyed).toBe(true);
    expect(t.stats.slowReaderDisconnects).toBe(1);
    // A broadcast copied into a mixed peer's queue is checked the same way.
    setUnsent(b2.s, 2_000);
    t.m.broadcast(b('y\n'), null);
    t.m.send(b2.c, b('z\n'));
    expect(b2.s.destroyed).toBe(true);
    expect(t.stats.slowReaderDisconnects).toBe(2);
  });

  it('over the output budget, the largest private queues are cut at the end of the turn', async () => {
    const t = await setup({ outputBudgetBytes: 65_536 });
    const peers = [t.ready(), t.ready(), t.ready()];
    await afterFlush();
    peers.forEach((p, i) => {
      setUnsent(p.s, 30_000 + i * 1_000); // the peer takes nothing
      t.m.send(p.c, Buffer.alloc(30_000 + i * 1_000, 0x61));
    });
    await afterFlush();
    expect(peers.map((p) => p.s.destroyed)).toEqual([false, true, true]);
    expect(t.m.output.total).toBe(30_000);
    expect(t.stats.disconnects.get('output-budget')).toBe(2);
  });

  it('over the soft mark: peers\' broadcasts are skipped (counted), the DN\'s own lines and private output still go', async () => {
    const t = await setup({ writeSoftMarkBytes: 1_000, slowReaderStallMs: 5_000 });
    const [a, lag, mixed] = [t.ready(), t.ready(), t.ready()];
    await afterFlush();
    setUnsent(lag.s, 1_500);
    setUnsent(mixed.s, 1_500);
    t.m.broadcast(b('p1\n'), a.c);
    t.m.broadcast(b('dn\n'), null);
    t.m.broadcast(b('p2\n'), a.c);
    t.m.send(mixed.c, b('private\n'));
    await afterFlush();
    expect(lag.s.text()).toBe('dn\n');
    expect(mixed.s.text()).toBe('dn\nprivate\n');
    expect(t.stats.broadcastSkipped).toBe(4);
    expect(t.m.laggingPeers).toBe(2);
    // Caught up: broadcasts go to it again.
    setUnsent(lag.s, 0);
    t.m.broadcast(b('p3\n'), a.c);
    await afterFlush();
    expect(lag.s.text()).toBe('dn\np3\n');
    expect(t.m.laggingPeers).toBe(1);
  });

  it('a lagging peer that takes nothing for the stall time is cut; one that takes something is not', async () => {
    const t = await setup({ writeSoftMarkBytes: 1_000, slowReaderStallMs: 5_000 });
    const [a, stuck, slow] = [t.ready(), t.ready(), t.ready()];
    await afterFlush();
    for (const p of [stuck, slow]) {
      t.m.send(p.c, Buffer.alloc(2_000, 0x61));
      setUnsent(p.s, 2_000);
    }
    await afterFlush();
    t.m.broadcast(b('1\n'), a.c);
    await afterFlush();
    t.clock.advance(4_000);
    setUnsent(slow.s, 1_900); // took 100 bytes
    t.m.broadcast(b('2\n'), a.c);
    await afterFlush();
    t.clock.advance(1_000);
    t.m.broadcast(b('3\n'), a.c);
    await afterFlush();
    expect(stuck.s.destroyed).toBe(true);
    expect(slow.s.destroyed).toBe(false);
    expect(t.stats.slowReaderDisconnects).toBe(1);
    expect(t.stats.disconnects.get('slow-reader')).toBe(1);
    expect(t.m.laggingPeers).toBe(1);
  });

  it('the sweep cuts a lagging peer that takes nothing even when no broadcast comes, and lets go of one that caught up', async () => {
    const t = await setup({ writeSoftMarkBytes: 1_000, slowReaderStallMs: 5_000 });
    const [a, stuck, drained] = [t.ready(), t.ready(), t.ready()];
    await afterFlush();
    for (const p of [stuck, drained]) {
      t.m.send(p.c, Buffer.alloc(2_000, 0x61));
      setUnsent(p.s, 2_000);
    }
    await afterFlush();
    t.m.broadcast(b('1\n'), a.c);
    await afterFlush();
    expect(t.m.laggingPeers).toBe(2);
    setUnsent(drained.s, 0);
    t.clock.advance(4_999);
    t.m.expireStalled(t.clock.now());
    expect(t.m.laggingPeers).toBe(1);
    expect(stuck.s.destroyed).toBe(false);
    t.clock.advance(1);
    t.m.expireStalled(t.clock.now());
    expect(stuck.s.destroyed).toBe(true);
    expect(t.m.laggingPeers).toBe(0);
    expect(t.stats.slowReaderDisconnects).toBe(1);
  });
});
