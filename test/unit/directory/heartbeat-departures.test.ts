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
});
