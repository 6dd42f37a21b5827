import { describe, expect, it } from 'vitest';
import { Heartbeat } from '../../../src/directory/heartbeat.js';
import { DepartureNotifier, departureLines } from '../../../src/directory/departures.js';
import { PeerRegistry } from '../../../src/directory/peer-registry.js';
import { DirectoryStats } from '../../../src/directory/stats.js';
import type { PeerConnection } from '../../../src/directory/peer-connection.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { fakePeer } from './fakes.js';

function setup(evictSilentTakers = false) {
  const clock = new ManualClock(0);
  const registry = new PeerRegistry();
  const sent: Array<[string, string]> = [];
  const closed: Array<[string, string]> = [];
  const pending = new Set<PeerConnection>();
  const manager = {
    pending,
    send: (c: PeerConnection, b: Buffer) => void sent.push([c.nick, b.toString('utf8')]),
    close: (c: PeerConnection, reason: string) => {
      closed.push([c.nick || `#${c.id}`, reason]);
      registry.remove(c);
      pending.delete(c);
    },
    reapClosing: () => {},
    expireLines: () => {},
    expireStalled: () => {},
    handshakeDeadlineMs: () => 5_000,
    handshakeTimeoutReason: () => 'handshake timeout',
  };
  const limits = { sweepIntervalMs: 1_000, probeAfterMs: 10_000, pongTimeoutMs: 3_000, evictAfterMs: 30_000, evictSilentTakers };
  const hb = new Heartbeat({ registry, manager, limits, clock, stats: new DirectoryStats(), logger: silentLogger(), nick: 'J5dn' });
  hb.start();
  return { clock, registry, sent, closed, pending, hb };
}

describe('Heartbeat (ManualClock)', () => {
  it('times out handshakes', () => {
    const t = setup();
    const c = fakePeer('');
    t.pending.add(c);
    t.clock.advance(4_999);
    expect(t.closed).toEqual([]);
    t.clock.advance(1);
    expect(t.closed).toEqual([[`#${c.id}`, 'handshake timeout']]);
  });

  it('PINGs ping peers, probes makers with !orderbook, never probes reference takers', () => {
    const t = setup();
    for (const p of [fakePeer('ng', { features: ['ping'] }), fakePeer('maker', { location: '127.0.0.1:1' }), fakePeer('taker')]) t.registry.add(p);
    t.clock.advance(10_000);
    expect(t.sent.sort()).toEqual([
      ['maker', '{"type": 687, "line": "J5dn!PUBLIC!orderbook"}\r\n'],
      ['ng', '{"type": 798, "line": ""}\r\n'],
    ]);
    t.clock.advance(5_000); // more sweeps: no second probe while one is outstanding
    expect(t.sent).toHaveLength(2);
  });

  it('evicts on a missed pong; an answer (lastSeen, probe cleared) keeps the peer', () => {
    const t = setup();
    const a = fakePeer('a', { features: ['ping'] });
    const b = fakePeer('b', { features: ['ping'] });
    t.registry.add(a);
    t.registry.add(b);
    t.clock.advance(10_000);
    b.lastSeen = t.clock.now();
    b.probeSentAt = 0;
    t.clock.advance(3_000);
    expect(t.closed).toEqual([['a', 'evicted: no answer to liveness probe within 3000 ms']]);
    expect(t.registry.byNick('b')).toBe(b);
  });

  it('keeps silent reference takers unless evictSilentTakers', () => {
    const keep = setup(false);
    keep.registry.add(fakePeer('taker'));
    keep.clock.advance(120_000);
    expect(keep.closed).toEqual([]);
    const evict = setup(true);
    evict.registry.add(fakePeer('taker'));
    evict.clock.advance(30_000);
    expect(evict.closed).toEqual([['taker', 'evicted: idle for 30000 ms']]);
  });
});

describe('departures', () => {
  it('chunks `;D` entries 19 per line behind the DN entry', () => {
    const gone = Array.from({ length: 20 }, (_, i) => ({ nick: `n${i}`, location: 'NOT-SERVING-ONION' }));
    const lines = departureLines('dn;127.0.0.1:1', gone);
    expect(lines).toHaveLength(2);
    expect(lines[0]!.split(',')).toHaveLength(20);
    expect(lines[0]!.startsWith('dn;127.0.0.1:1,n0;NOT-SERVING-ONION;D,')).toBe(true);
    expect(lines[1]).toBe('dn;127.0.0.1:1,n19;NOT-SERVING-ONION;D');
  });

  it('coalesces a window of departures into one broadcast and skips nicks that came back', () => {
    const clock = new ManualClock(0);
    const out: string[] = [];
    const present = new Set(['back']);
    const d = new DepartureNotifier({ selfEntry: () => 'dn;loc', isPresent: (n) => present.has(n), broadcast: (b) => void out.push(b.toString('utf8')) }, clock, 50);
    d.add('a', 'NOT-SERVING-ONION');
    d.add('back', '127.0.0.1:2');
    clock.advance(49);
    expect(out).toEqual([]);
    d.add('b', '127.0.0.1:3');
    clock.advance(1);
    expect(out).toEqual(['{"type": 789, "line": "dn;loc,a;NOT-SERVING-ONION;D,b;127.0.0.1:3;D"}\r\n']);
    expect(d.queued).toBe(0);
  });

  it('the byte budget: ordinary departures take it down to half, priority ones to empty, the rest are dropped and counted', () => {
    const clock = new ManualClock(0);
    const out: string[] = [];
    const dropped: Array<[number, number]> = [];
    const sink = { selfEntry: () => 'dn;loc', isPresent: () => false, broadcast: (b: Buffer) => void out.push(b.toString('utf8')), dropped: (p: number, o: number) => void dropped.push([p, o]) };
    // 200 bytes in the bucket (100 a second, 2 s worth).
    const d = new DepartureNotifier(sink, clock, 50, { bytesPerSec: 100, burstMs: 2_000 });
    const chunk = '{"type": 789, "line": "dn;loc"}\r\n'.length; // 33
    // Each entry `tN;NOT-SERVING-ONION;D` with its comma: 23 bytes; `mN;127.0.0.1:P;D,`: 17.
    for (let i = 0; i < 5; i++) d.add(`t${i}`, 'NOT-SERVING-ONION');
    d.add('m0', '127.0.0.1:3', true);
    clock.advance(50);
    // Priority first: 33 + 17; then t0 and t1 (+46 = 96); t2 would leave 81 < 100: dropped, as are t3 and t4.
    expect(out).toEqual(['{"type": 789, "line": "dn;loc,t0;NOT-SERVING-ONION;D,t1;NOT-SERVING-ONION;D,m0;127.0.0.1:3;D"}\r\n']);
    expect(out[0]!.length).toBe(chunk + 17 + 2 * 23);
    expect(dropped).toEqual([[0, 3]]);
    expect(d.fill()).toBeCloseTo((200 - out[0]!.length) / 200);
    // Below half: only priority departures, down to empty.
    d.add('t5', 'NOT-SERVING-ONION');
    d.add('m1', '127.0.0.1:4', true);
    clock.advance(50); // +5 bytes of refill: 109; t5 would leave 53 < 100, m1 leaves 59
    expect(out[1]).toBe('{"type": 789, "line": "dn;loc,m1;127.0.0.1:4;D"}\r\n');
    expect(dropped[1]).toEqual([0, 1]);
    // Priority departures beyond empty are dropped too: 64 bytes, m2 takes 50, m3 and m4 do not fit.
    for (let i = 2; i < 5; i++) d.add(`m${i}`, '127.0.0.1:5', true);
    clock.advance(50);
    expect(out[2]).toBe('{"type": 789, "line": "dn;loc,m2;127.0.0.1:5;D"}\r\n');
    expect(dropped[2]).toEqual([2, 0]);
    // Refilled: announced again.
    clock.advance(2_000);
    d.add('t9', 'NOT-SERVING-ONION');
    clock.advance(50);
    expect(out[out.length - 1]).toBe('{"type": 789, "line": "dn;loc,t9;NOT-SERVING-ONION;D"}\r\n');
  });

  it('without a budget every departure is announced', () => {
    const clock = new ManualClock(0);
    const out: string[] = [];
    const d = new DepartureNotifier({ selfEntry: () => 'dn;loc', isPresent: () => false, broadcast: (b) => void out.push(b.toString('utf8')) }, clock, 50);
    for (let i = 0; i < 1_000; i++) d.add(`t${i}`, 'NOT-SERVING-ONION');
    clock.advance(50);
    expect(out[0]!.split(';D').length - 1).toBe(1_000);
    expect(d.fill()).toBeNull();
  });
});
