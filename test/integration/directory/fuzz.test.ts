/**
 * Fuzz over real sockets: seeded mutations of the captured lines and handshakes (bench/attack/
 * fuzz-lines.ts) from many connections, some handshaked first so the router sees them too.
 * No internal error, no connection left behind, every line the DN emits is within the limit
 * and in the reference encoding, and honest peers are still served at the end.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineFuzzer, STRUCTURAL, fuzzCorpus } from '../../../bench/attack/fuzz-lines.js';
import { fixtureLines } from '../../helpers/wire-fixtures.js';
import { DnPeer, startTestDirectory, testNick } from '../../helpers/dn-peer.js';
import { expectLinesWithinLimit, expectStillServing } from '../../helpers/dn-checks.js';
import { encodeEnvelope, parseWireLine } from '../../../src/protocol/framing.js';
import { buildClientHandshake } from '../../../src/protocol/handshake.js';
import type { DirectoryServer } from '../../../src/directory/index.js';

const SEED = 20_251_203;
const CONNECTIONS = 12;
const LINES_PER_CONNECTION = 4_000;

let dn: DirectoryServer;
let port: number;
const open: DnPeer[] = [];

beforeAll(async () => {
  ({ dn, port } = await startTestDirectory({
    // Unlimited message rates and no DN-wide broadcast budget, so fuzzed lines reach the router
    // instead of the limits (each fuzz session is a fresh nick the budget would meet with a full share).
    limits: {
      ratePubmsgPerMin: 0, pubmsgBytesPerMin: 0, rateOrderbookPerMin: 0, ratePrivmsgPerMin: 0, rateGetpeerlistPerMin: 0, departureCoalesceMs: 0,
      broadcastPerSec: 0, broadcastBytesPerSec: 0, broadcastOrderbookPerSec: 0,
    },
  }));
});

afterAll(async () => {
  for (const p of open.splice(0)) p.destroy();
  await dn.stop();
});

function connect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes one fuzzer's lines, reconnecting whenever the DN closes the connection. */
async function fuzzConnection(i: number): Promise<{ sessions: number; lines: number }> {
  let sessions = 0;
  let lines = 0;
  let session = 0;
  while (lines < LINES_PER_CONNECTION) {
    const nick = testNick(`fuzz-${i}-${session++}`);
    // Even connections handshake first and send mostly well-formed envelopes (the router's
    // side); odd ones send anything from the first byte (framing and handshake side).
    const honestStart = i % 2 === 0;
    const fuzzer = new LineFuzzer(SEED + i * 7_919 + session, corpus, { nicks: [nick], ...(honestStart ? { only: STRUCTURAL } : {}) });
    const s = await connect();
    sessions++;
    let closed = false;
    s.on('error', () => {});
    s.on('data', () => {}); // read everything: a fuzzer must not look like a slow reader
    const done = new Promise<void>((r) => s.on('close', () => ((closed = true), r())));
    if (honestStart) s.write(encodeEnvelope(793, buildClientHandshake({ nick, location: 'NOT-SERVING-ONION', network: 'testnet', features: { ping: true } })));
    while (!closed && lines < LINES_PER_CONNECTION) {
      // Small bursts: the DN reads each before the next, so few lines go to a closed socket.
      for (let k = 0; k < 4 && !closed && lines < LINES_PER_CONNECTION; k++, lines++) s.write(fuzzer.next());
      await new Promise((r) => setImmediate(r));
    }
    s.end();
    await done;
  }
  return { sessions, lines };
}

const corpus = fuzzCorpus(fixtureLines());

describe('fuzzed lines over real sockets', () => {
  it(`${CONNECTIONS} connections x ${LINES_PER_CONNECTION} mutated lines: no internal error, nothing stuck, output in the reference form`, async () => {
    const watcher = await DnPeer.joined(port, { nick: testNick('fuzz-watcher') });
    open.push(watcher);
    const results = await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => fuzzConnection(i)));
    const total = results.reduce((n, r) => n + r.lines, 0);
    expect(total).toBe(CONNECTIONS * LINES_PER_CONNECTION);
    await watcher.barrier();

    expect(dn.stats.disconnects.get('internal')).toBeUndefined();
    // Every fuzz connection ended on our side too: only the watcher is left, holding nothing.
    const deadline = Date.now() + 5_000;
    while (dn.connectionCount > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(dn.connectionCount).toBe(1);
    expect(dn.partialLineBytes).toBe(0);
    expect(dn.unsentOutputBytes).toBe(0);

    // The fuzz reached the router (relays and refusals) and the closing paths.
    expect(dn.stats.routed.pubmsg + dn.stats.routed.privmsg).toBeGreaterThan(100);
    expect(dn.stats.relayRefused['would-grow']).toBeGreaterThan(0);
    for (const kind of ['malformed', 'invalid-utf8', 'oversize']) expect(dn.stats.disconnects.get(kind) ?? 0, kind).toBeGreaterThan(0);

    // All the watcher got: within the limit, and each line in the reference encoding.
    expectLinesWithinLimit(watcher);
    const got = watcher.received.toString('latin1').split('\r\n').filter((l) => l !== '');
    expect(got.length).toBeGreaterThan(100);
    for (const l of got) {
      const r = parseWireLine(Buffer.from(l, 'latin1'));
      if (!r.ok) throw new Error(`${r.reason}: ${l.slice(0, 200)}`);
      expect(encodeEnvelope(r.line.env.type, r.line.env.line), l.slice(0, 200)).toBe(`${l}\r\n`);
    }
    await expectStillServing(port, 'fuzz', open);
  });
});
