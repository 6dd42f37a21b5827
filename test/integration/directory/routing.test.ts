/** Routing over real loopback sockets: fan-out, privmsg relay, peerlist pushes, `;D`, GETPEERLIST. */
import { afterEach, describe, expect, it } from 'vitest';
import { DnPeer, startTestDirectory, testNick } from '../../helpers/dn-peer.js';
import { joinAs } from '../../helpers/dn-checks.js';
import { encodeEnvelope, parseEnvelope } from '../../../src/protocol/framing.js';
import { parsePeerlist } from '../../../src/protocol/peerlist.js';
import type { DirectoryServer } from '../../../src/directory/index.js';

let dn: DirectoryServer;
let port: number;
const open: DnPeer[] = [];

const join = (label: string, extra: { location?: string; features?: Record<string, boolean> } = {}) => joinAs(port, open, label, extra);

afterEach(async () => {
  for (const p of open.splice(0)) p.destroy();
  await dn.stop();
});

const lineOf = (raw: string): string => {
  const r = parseEnvelope(raw.replace(/\r\n$/, ''));
  if (!r.ok) throw new Error(r.reason);
  return r.env.line;
};

describe('routing', () => {
  it('broadcasts a pubmsg byte-identical to every other peer, not back to the sender', async () => {
    ({ dn, port } = await startTestDirectory({ locationProofs: { enabled: false } }));
    const a = await join('a');
    const b = await join('b');
    const c = await join('c');
    const line = `${a.nick}!PUBLIC!sw0reloffer 0 27300 5000000 0 0.00002`;
    a.p.send(687, line);
    const want = encodeEnvelope(687, line);
    expect(await b.p.nextLine()).toBe(want);
    expect(await c.p.nextLine()).toBe(want);
    await a.p.barrier();
    expect(a.p.unread).toEqual([]);
    expect(dn.stats.routed.pubmsg).toBe(1);
  });

  it('relays a privmsg to its target only, then a PEERLIST with the DN entry first', async () => {
    ({ dn, port } = await startTestDirectory({ locationProofs: { enabled: false } }));
    const self = `${dn.nick};${dn.publicLocation}`;
    const maker = await join('maker', { location: '127.0.0.1:9001', features: { ping: true } });
    const taker = await join('taker');
    const ngTaker = await join('ng-taker', { features: { peerlist_features: true, ping: true } });
    const other = await join('other');

    const line = `${maker.nick}!${taker.nick}!sw0reloffer 0 27300 5000000 0 0.00002 02aa sig==`;
    maker.p.send(685, line);
    expect(await taker.p.nextLine()).toBe(encodeEnvelope(685, line));
    expect(await taker.p.nextLine()).toBe(encodeEnvelope(789, `${self},${maker.nick};127.0.0.1:9001`));

    // F: only for a recipient that asked for peerlist_features.
    const line2 = `${maker.nick}!${ngTaker.nick}!pubkey abc 02aa sig==`;
    maker.p.send(685, line2);
    expect(await ngTaker.p.nextLine()).toBe(encodeEnvelope(685, line2));
    expect(lineOf(await ngTaker.p.nextLine())).toBe(`${self};F:nick_auth+peerlist_features+ping,${maker.nick};127.0.0.1:9001;F:ping`);

    // A non-serving sender: only the DN entry.
    const line3 = `${taker.nick}!${maker.nick}!fill 0 100000 02bb P0011 02aa sig==`;
    taker.p.send(685, line3);
    expect(await maker.p.nextLine()).toBe(encodeEnvelope(685, line3));
    expect(lineOf(await maker.p.nextLine())).toBe(self);

    await other.p.barrier();
    expect(other.p.unread).toEqual([]);
  });

  it('drops privmsgs to unknown nicks and lines without two "!", keeping the sender', async () => {
    ({ dn, port } = await startTestDirectory({ locationProofs: { enabled: false } }));
    const a = await join('a');
    const b = await join('b');
    a.p.send(685, `${a.nick}!${testNick('nobody')}!fill 1 2 3 4`);
    a.p.send(687, `${a.nick}!PUBLIC`);
    a.p.send(687, `${a.nick}-no-bang-at-all`);
    a.p.send(685, `${a.nick}!${b.nick}`);
    a.p.send(687, `${a.nick}!PUBLIC!after`);
    expect(lineOf(await b.p.nextLine())).toBe(`${a.nick}!PUBLIC!after`);
    await a.p.barrier();
    expect(dn.stats.dropped).toBe(4);
    expect(a.p.isClosed).toBe(false);
  });

  it('coalesces the departure notices of many peers into chunked PEERLISTs', async () => {
    ({ dn, port } = await startTestDirectory({ limits: { departureCoalesceMs: 100 }, locationProofs: { enabled: false } }));
    const watcher = await join('watcher');
    const leavers: Array<{ p: DnPeer; nick: string }> = [];
    for (let i = 0; i < 25; i++) leavers.push(await join(`leaver-${i}`, i % 2 ? { location: `127.0.0.1:${10_000 + i}` } : {}));
    // Non-serving peers are announced only once they have spoken (docs/directory.md).
    const talkers = leavers.filter((_, i) => i % 2 === 0);
    for (const l of talkers) l.p.send(687, `${l.nick}!PUBLIC!hello`);
    for (const _ of talkers) await watcher.p.waitFor((l) => l.includes('!PUBLIC!hello'));
    await Promise.all(leavers.map((l) => l.p.close()));
    const first = parsePeerlist(lineOf(await watcher.p.nextLine()));
    const second = parsePeerlist(lineOf(await watcher.p.nextLine()));
    const self = { nick: dn.nick, location: dn.publicLocation, disconnected: false, features: [] };
    expect(first[0]).toEqual(self);
    expect(second[0]).toEqual(self);
    expect(first).toHaveLength(20);
    const gone = [...first.slice(1), ...second.slice(1)];
    expect(gone.every((e) => e.disconnected)).toBe(true);
    expect(gone.map((e) => e.nick).sort()).toEqual(leavers.map((l) => l.nick).sort());
    expect(gone.find((e) => e.nick === leavers[1]!.nick)!.location).toBe('127.0.0.1:10001');
    await watcher.p.barrier();
    expect(watcher.p.unread).toEqual([]);
    expect(dn.registry.size).toBe(1);
  });

  it('answers GETPEERLIST in chunks of at most 20, DN first, F: only when asked', async () => {
    ({ dn, port } = await startTestDirectory({ locationProofs: { enabled: false } }));
    for (let i = 0; i < 24; i++) await join(`maker-${i}`, { location: `127.0.0.1:${20_000 + i}`, features: { ping: true } });
    const offering = await join('offering-taker');
    await join('silent-taker');
    offering.p.send(687, `${offering.nick}!PUBLIC!sw0absoffer 0 27300 5000000 0 250`);
    await offering.p.barrier();
    const legacy = await join('legacy');
    const ng = await join('ng', { features: { peerlist_features: true, ping: true } });

    const fetch = async (p: DnPeer): Promise<string[]> => {
      p.send(791, '');
      const a = lineOf(await p.waitFor((l) => l.startsWith('{"type": 789')));
      const b = lineOf(await p.waitFor((l) => l.startsWith('{"type": 789')));
      await p.barrier();
      expect(p.unread.filter((l) => l.startsWith('{"type": 789'))).toEqual([]);
      expect(a.split(',')).toHaveLength(20);
      return [...a.split(','), ...b.split(',')];
    };
    const plain = await fetch(legacy.p);
    expect(plain[0]).toBe(`${dn.nick};${dn.publicLocation}`);
    expect(plain).toHaveLength(26); // DN + 24 makers + the taker that announced an offer
    expect(plain.some((e) => e.includes('F:'))).toBe(false);
    expect(plain).toContain(`${offering.nick};NOT-SERVING-ONION`);
    expect(plain.some((e) => e.startsWith(testNick('silent-taker')))).toBe(false);

    const withF = await fetch(ng.p);
    expect(withF[0]).toBe(`${dn.nick};${dn.publicLocation};F:nick_auth+peerlist_features+ping`);
    expect(withF).toContain(`${testNick('maker-0')};127.0.0.1:20000;F:ping`);
  });
});
