/**
 * The DN's parsing layers under 50,000 fuzzed lines, fed in pseudo-random chunks: the
 * splitter, wire-line parsing, relay encoding and handshake validation never throw, and every
 * relay encoding is the reference form, no longer than received and within 39,998 bytes.
 */
import { describe, expect, it } from 'vitest';
import { LineFuzzer, fuzzCorpus } from '../../../bench/attack/fuzz-lines.js';
import { fixtureLines } from '../../helpers/wire-fixtures.js';
import { LineSplitter, MAX_EMIT_BYTES, encodeEnvelope, parseWireLine, relayEncoding } from '../../../src/protocol/framing.js';
import { HandshakeHandler } from '../../../src/directory/handshake-handler.js';

describe('parsing layers under fuzz', () => {
  it('50,000 lines: nothing throws; relays are the reference form and never grow', () => {
    const fuzzer = new LineFuzzer(77, fuzzCorpus(fixtureLines()), { nicks: ['J5fuzzNickOOOOOO'], oversizeRate: 0.001 });
    const hs = new HandshakeHandler({ network: 'testnet', allowLoopback: true, nick: 'J5dnNickOOOOOOOO', version: '0', operatorMotd: '' });
    let splitter = new LineSplitter();
    let seed = 1;
    const counts = { lines: 0, parsed: 0, relayed: 0, refused: 0, handshakes: 0, oversize: 0 };
    const bad: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      const bytes = fuzzer.next();
      // Cut the write in up to three chunks, as TCP may.
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      const cut = bytes.length > 2 ? seed % bytes.length : 0;
      for (const chunk of cut > 0 ? [bytes.subarray(0, cut), bytes.subarray(cut)] : [bytes]) {
        for (const ev of splitter.pushBytes(chunk)) {
          if (ev.kind === 'oversize') {
            counts.oversize++;
            splitter = new LineSplitter(); // the DN closes the connection; a new one starts clean
            continue;
          }
          counts.lines++;
          const r = parseWireLine(ev.data);
          if (!r.ok) continue;
          counts.parsed++;
          const { env } = r.line;
          if (env.type === 793) {
            counts.handshakes++;
            hs.validate(env.line);
          }
          if (env.type !== 685 && env.type !== 687) continue; // the only types the DN relays
          const out = relayEncoding(r.line);
          if (!out.ok) {
            counts.refused++;
            continue;
          }
          counts.relayed++;
          const ok =
            out.bytes.length - 2 <= Math.min(ev.data.length, MAX_EMIT_BYTES) &&
            out.bytes.toString('utf8') === encodeEnvelope(env.type, env.line) &&
            (r.line.canonical === null || out.bytes.subarray(0, -2).equals(ev.data));
          if (!ok) bad.push(ev.data.toString('latin1', 0, 200));
        }
      }
    }
    expect(bad).toEqual([]);
    expect(counts.parsed).toBeGreaterThan(10_000);
    expect(counts.relayed).toBeGreaterThan(3_000);
    expect(counts.refused).toBeGreaterThan(200);
    expect(counts.handshakes).toBeGreaterThan(1_500);
    expect(counts.oversize).toBeGreaterThan(20);
  });
});
