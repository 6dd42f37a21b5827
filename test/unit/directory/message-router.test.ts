import { describe, expect, it } from 'vitest';
import { MessageRouter, commandNames } from '../../../src/directory/message-router.js';
import { PeerRegistry } from '../../../src/directory/peer-registry.js';
import { RateLimiter } from '../../../src/directory/rate-limiter.js';
import { BroadcastBudget } from '../../../src/directory/broadcast-budget.js';
import { InboxBudget } from '../../../src/directory/inbox-budget.js';
import { resolveLimits } from '../../../src/directory/limits.js';
import { DirectoryStats } from '../../../src/directory/stats.js';
import type { PeerConnection } from '../../../src/directory/peer-connection.js';
import { silentLogger } from '../../../src/util/logger.js';
import { fakePeer } from './fakes.js';
import { encodeEnvelope, parseWireLine, type Envelope, type WireLine } from '../../../src/protocol/framing.js';

/** The line as the DN receives it from a reference peer. */
function wire(env: Envelope): WireLine {
  const r = parseWireLine(Buffer.from(encodeEnvelope(env.type, env.line).slice(0, -2)));
  if (!r.ok) throw new Error(r.reason);
  return r.line;
}

function setup(
  rates: ConstructorParameters<typeof RateLimiter>[0] = { ratePubmsgPerMin: 100, rateOrderbookPerMin: 2, rateGetpeerlistPerMin: 1, ratePrivmsgPerMin: 100 },
  opts: { inbox?: InboxBudget; hasRoom?: (c: PeerConnection) => boolean } = {},
) {
  const calls = { selfEntry: 0 };
  const registry = new PeerRegistry();
  const sent: Array<[string, string]> = [];
  const bufs: Buffer[] = [];
  const closed: Array<[string, string]> = [];
  const stats = new DirectoryStats();
  const limiter = new RateLimiter(rates);
  const router = new MessageRouter({
    registry,
    limiter,
    budget: new BroadcastBudget(resolveLimits({ broadcastPerSec: 0, broadcastBytesPerSec: 0, broadcastOrderbookPerSec: 0 }), 0),
    inbox: opts.inbox ?? new InboxBudget(resolveLimits({ privmsgRecvBytesPerSec: 0 })),
    hasRoom: opts.hasRoom ?? (() => true),
    stats,
    logger: silentLogger(),
    send: (c: PeerConnection, b: Buffer) => {
      bufs.push(b);
      sent.push([c.nick, b.toString('utf8')]);
    },
    broadcast: (b: Buffer, from: PeerConnection | null) => {
      for (const p of registry.peers) if (p !== from) sent.push([p.nick, b.toString('utf8')]);
    },
    close: (c: PeerConnection, reason: string) => void closed.push([c.nick, reason]),
    nick: () => 'J5dn',
    selfEntry: (f) => (calls.selfEntry++, f ? 'J5dn;loc;F:peerlist_features+ping' : 'J5dn;loc'),
  });
  const add = (p: PeerConnection): PeerConnection => {
    registry.add(p);
    limiter.init(p, 0);
    return p;
  };
  const handle = (c: PeerConnection, env: Envelope, now: number): void => router.handle(c, wire(env), now);
  return { router, handle, sent, bufs, closed, stats, add, registry, calls };
}

describe('MessageRouter decisions', () => {
  it('extracts command names of multi-command bodies', () => {
    expect(commandNames('cancel 0!cancel 1')).toEqual(['cancel', 'cancel']);
    expect(commandNames('orderbook')).toEqual(['orderbook']);
  });

  it('pubmsg: same Buffer to every other peer; marks offer announcers', () => {
    const t = setup();
    const a = t.add(fakePeer('A'));
    t.add(fakePeer('B'));
    t.add(fakePeer('C'));
    t.handle(a, { type: 687, line: 'A!PUBLIC!sw0absoffer 0 1 2 0 3' }, 0);
    expect(t.sent.map(([n]) => n).sort()).toEqual(['B', 'C']);
    expect(a.announcedOffer).toBe(true);
  });

  it('pubmsg: not addressed to PUBLIC or no body → dropped; spoofed from → close', () => {
    const t = setup();
    const a = t.add(fakePeer('A'));
    t.add(fakePeer('B'));
    t.handle(a, { type: 687, line: 'A!B!hello' }, 0);
    t.handle(a, { type: 687, line: 'A!PUBLIC!' }, 0);
    expect(t.sent).toEqual([]);
    expect(t.stats.dropped).toBe(2);
    t.handle(a, { type: 687, line: 'B!PUBLIC!cancel 0' }, 0);
    expect(t.closed).toEqual([['A', 'spoofed from-nick B']]);
    expect(t.sent).toEqual([]);
  });

  it('!orderbook counts against both buckets; abuse closes', () => {
    const t = setup();
    const a = t.add(fakePeer('A'));
    t.add(fakePeer('B'));
    for (let i = 0; i < 4; i++) t.handle(a, { type: 687, line: 'A!PUBLIC!orderbook' }, 0);
    expect(t.sent).toHaveLength(2);
    expect(t.stats.rateLimitDrops.orderbook).toBe(1);
    expect(t.closed).toEqual([['A', 'rate limit exceeded: orderbook']]);
  });

  it('privmsg to the DN nick is consumed; to an unknown nick dropped', () => {
    const t = setup();
    const a = t.add(fakePeer('A', { location: '127.0.0.1:1' }));
    t.handle(a, { type: 685, line: 'A!J5dn!sw0reloffer 0 1 2 3 4 pub sig' }, 0);
    t.handle(a, { type: 685, line: 'A!Z!fill 1 pub sig' }, 0);
    expect(t.sent).toEqual([]);
    expect(t.stats.dropped).toBe(1);
  });

  it('GETPEERLIST is rate limited and answered with the DN entry first', () => {
    const t = setup();
    const a = t.add(fakePeer('A', { location: '127.0.0.1:1', features: ['peerlist_features'] }));
    t.handle(a, { type: 791, line: '' }, 0);
    t.handle(a, { type: 791, line: '' }, 0);
    expect(t.sent).toEqual([['A', '{"type": 789, "line": "J5dn;loc;F:peerlist_features+ping,A;127.0.0.1:1;F:peerlist_features"}\r\n']]);
    // a bucket of 1: the second request is already a debt of a whole bucket
    expect(t.stats.rateLimitDisconnects.getpeerlist).toBe(1);
    expect(t.closed).toEqual([['A', 'rate limit exceeded: getpeerlist']]);
  });

  it('GETPEERLIST: one Buffer per state of the list, rebuilt when a listed peer joins or announces', () => {
    const t = setup({ ratePubmsgPerMin: 0, rateOrderbookPerMin: 0, rateGetpeerlistPerMin: 0, ratePrivmsgPerMin: 0 });
    const a = t.add(fakePeer('A', { location: '127.0.0.1:1' }));
    const b = t.add(fakePeer('B'));
    t.handle(a, { type: 791, line: '' }, 0);
    t.handle(b, { type: 791, line: '' }, 0);
    expect(t.bufs[1]).toBe(t.bufs[0]);
    t.handle(b, { type: 687, line: 'B!PUBLIC!sw0reloffer 0 1 2 3 0.1' }, 0);
    t.bufs.length = 0;
    t.handle(a, { type: 791, line: '' }, 0);
    expect(t.bufs[0]!.toString()).toBe('{"type": 789, "line": "J5dn;loc,A;127.0.0.1:1,B;NOT-SERVING-ONION"}\r\n');
    t.add(fakePeer('C', { location: '127.0.0.1:3' }));
    t.handle(a, { type: 791, line: '' }, 0);
    expect(t.bufs[1]!.toString()).toContain(',C;127.0.0.1:3');
  });

  it('GETPEERLIST reply bytes are charged: served while the byte bucket is not in debt', () => {
    const t = setup({ ratePubmsgPerMin: 0, rateOrderbookPerMin: 0, rateGetpeerlistPerMin: 0, ratePrivmsgPerMin: 0, peerlistBytesPerMin: 98 });
    const a = t.add(fakePeer('A', { location: '127.0.0.1:1' }));
    const reply = '{"type": 789, "line": "J5dn;loc,A;127.0.0.1:1"}\r\n'; // 49 bytes: two empty the bucket
    for (let i = 0; i < 4; i++) t.handle(a, { type: 791, line: '' }, 0);
    expect(t.sent).toEqual([['A', reply], ['A', reply]]);
    expect(t.stats.rateLimitDrops.peerlist_bytes).toBe(2);
    t.handle(a, { type: 791, line: '' }, 30_000); // half a minute refills 49 bytes
    expect(t.sent).toHaveLength(3);
  });

  it('GETPEERLIST over the byte allowance costs nothing: the reply is neither looked up nor rebuilt', () => {
    const t = setup({ ratePubmsgPerMin: 0, rateOrderbookPerMin: 0, rateGetpeerlistPerMin: 0, ratePrivmsgPerMin: 0, peerlistBytesPerMin: 40 });
    const a = t.add(fakePeer('A', { location: '127.0.0.1:1' }));
    t.handle(a, { type: 791, line: '' }, 0); // 49 bytes: the bucket is now in debt
    expect(t.sent).toHaveLength(1);
    const built = t.calls.selfEntry;
    // The list changes (a rebuild would be due) while A is over its allowance.
    t.add(fakePeer('B', { location: '127.0.0.1:2' }));
    let iterated = 0;
    const peers = t.registry.peers;
    const spy = new Proxy(peers, { get: (o, k) => (k === Symbol.iterator && iterated++, Reflect.get(o, k)) });
    Object.defineProperty(t.registry, 'peers', { get: () => spy, configurable: true });
    for (let i = 0; i < 5; i++) t.handle(a, { type: 791, line: '' }, 1_000);
    expect(t.sent).toHaveLength(1);
    expect(t.stats.rateLimitDrops.peerlist_bytes).toBe(5);
    expect(t.calls.selfEntry).toBe(built);
    expect(iterated).toBe(0);
    // Once refilled, the request is served with the rebuilt list and its real size charged.
    t.handle(a, { type: 791, line: '' }, 60_000);
    expect(t.sent[1]![1]).toContain(',B;127.0.0.1:2');
    expect(iterated).toBe(1);
  });

  it('privmsg bytes are charged to the sender: dropped while its byte bucket is in debt', () => {
    const t = setup({ ratePubmsgPerMin: 0, rateOrderbookPerMin: 0, rateGetpeerlistPerMin: 0, ratePrivmsgPerMin: 0, privmsgBytesPerMin: 100 });
    const a = t.add(fakePeer('A'));
    t.add(fakePeer('B'));
    const body = 'x'.repeat(60);
    for (let i = 0; i < 3; i++) t.handle(a, { type: 685, line: `A!B!${body}` }, 0);
    // The first takes the bucket to 100 - 93 = 7, the second overdraws it, the third is dropped.
    expect(t.sent.filter(([, l]) => l.includes(body))).toHaveLength(2);
    expect(t.stats.rateLimitDrops.privmsg_bytes).toBe(1);
    expect(t.closed).toEqual([]);
  });

  it('privmsg to a target without room (over the soft mark) is dropped and counted, the target kept', () => {
    const full = new Set<string>(['B']);
    const t = setup(undefined, { hasRoom: (c) => !full.has(c.nick) });
    const a = t.add(fakePeer('A'));
    t.add(fakePeer('B'));
    t.handle(a, { type: 685, line: 'A!B!fill 1 pub sig' }, 0);
    expect(t.sent).toEqual([]);
    expect(t.stats.privmsgDrops['target-lagging']).toBe(1);
    expect(t.stats.routed.privmsg).toBe(0);
    full.clear();
    t.handle(a, { type: 685, line: 'A!B!fill 1 pub sig' }, 0);
    expect(t.sent.map(([n]) => n)).toEqual(['B', 'B']); // the privmsg and the sender's PEERLIST line
    expect(t.closed).toEqual([]);
  });

  it("privmsg inbox budget: a flooder is shed at half the target's bucket, a light sender still gets through", () => {
    const inbox = new InboxBudget(resolveLimits({ privmsgRecvBytesPerSec: 65_536, privmsgRecvBurstBytes: 100_000 }));
    const t = setup({ ratePubmsgPerMin: 0, rateOrderbookPerMin: 0, rateGetpeerlistPerMin: 0, ratePrivmsgPerMin: 0 }, { inbox });
    const flooder = t.add(fakePeer('F'));
    const honest = t.add(fakePeer('H'));
    t.add(fakePeer('T'));
    const big = 'y'.repeat(9_970);
    for (let i = 0; i < 20; i++) t.handle(flooder, { type: 685, line: `F!T!${big}` }, 0);
    const floodIn = t.sent.filter(([n, l]) => n === 'T' && l.includes(big)).length;
    // Above half the bucket everyone is served; below it the flooder's own demand (plus the
    // newcomer's prior: it has just connected) stops it.
    expect(floodIn).toBeGreaterThanOrEqual(4);
    expect(floodIn).toBeLessThanOrEqual(6);
    expect(t.stats.privmsgDrops['target-shed']).toBe(20 - floodIn);
    t.handle(honest, { type: 685, line: 'H!T!ioauth 02ab sig' }, 0);
    expect(t.sent.some(([n, l]) => n === 'T' && l.includes('H!T!ioauth'))).toBe(true);
  });

  it('answers PING with PONG and ignores unknown types', () => {
    const t = setup();
    const a = t.add(fakePeer('A'));
    t.handle(a, { type: 798, line: '' }, 0);
    t.handle(a, { type: 12345, line: 'x' }, 0);
    t.handle(a, { type: 793, line: '{}' }, 0);
    expect(t.sent).toEqual([['A', '{"type": 799, "line": ""}\r\n']]);
    expect(t.closed).toEqual([]);
  });
});
