import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_EMIT_BYTES, MAX_LINE_BYTES, encodeEnvelope, parseEnvelope, parseWireLine, relayEncoding } from '../../../src/protocol/framing.js';
import { hasPythonFloat, pyJsonDumps, pyJsonString, pyJsonStringLength } from '../../../src/protocol/json-py.js';
import { readCapture, readHandshakeVariants } from '../../helpers/wire-fixtures.js';

const lines = (s: LineSplitter, chunk: string | Buffer) =>
  s.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));

describe('LineSplitter', () => {
  it('splits several lines in one chunk, CRLF and LF', () => {
    const s = new LineSplitter();
    expect(lines(s, 'a\r\nb\nc\r\n')).toEqual([
      { kind: 'line', text: 'a' }, { kind: 'line', text: 'b' }, { kind: 'line', text: 'c' },
    ]);
    expect(s.bufferedBytes).toBe(0);
  });

  it('joins partial lines across chunks, including a CRLF split in two', () => {
    const s = new LineSplitter();
    expect(lines(s, '{"type": 1')).toEqual([]);
    expect(lines(s, ', "line": ""}\r')).toEqual([]);
    expect(lines(s, '\nnext')).toEqual([{ kind: 'line', text: '{"type": 1, "line": ""}' }]);
    expect(s.bufferedBytes).toBe(4);
  });

  it('byte-by-byte feeding gives the same lines', () => {
    const s = new LineSplitter();
    const input = Buffer.from('héllo\r\nwörld\n');
    const out = [];
    for (const b of input) out.push(...s.push(Buffer.of(b)));
    expect(out).toEqual([{ kind: 'line', text: 'héllo' }, { kind: 'line', text: 'wörld' }]);
  });

  it('accepts exactly the limit and reports one byte more as oversize', () => {
    const ok = new LineSplitter();
    expect(lines(ok, 'x'.repeat(MAX_LINE_BYTES) + '\r\n')).toHaveLength(1);
    const bad = new LineSplitter();
    expect(lines(bad, 'x'.repeat(MAX_LINE_BYTES + 1) + '\r\n')).toEqual([{ kind: 'oversize', bytes: MAX_LINE_BYTES + 1 }]);
    expect(lines(bad, 'more\r\n')).toEqual([]);
  });

  it('never holds more than the limit of an unterminated line', () => {
    const s = new LineSplitter(100);
    expect(lines(s, 'x'.repeat(60))).toEqual([]);
    const ev = lines(s, 'x'.repeat(60));
    expect(ev[0]?.kind).toBe('oversize');
    expect(s.bufferedBytes).toBe(0);
  });

  it('skip mode: reports an oversize line, holds none of it, and goes on with the next line', () => {
    const s = new LineSplitter(10, { skipOversize: true });
    expect(lines(s, 'ok\n' + 'y'.repeat(20) + '\nnext\n')).toEqual([
      { kind: 'line', text: 'ok' }, { kind: 'oversize', bytes: 20 }, { kind: 'line', text: 'next' },
    ]);
    // an unterminated oversize line spread over many chunks: one event, nothing held
    expect(lines(s, 'z'.repeat(8))).toEqual([]);
    expect(lines(s, 'z'.repeat(8))).toEqual([{ kind: 'oversize', bytes: 16 }]);
    for (let i = 0; i < 100; i++) expect(lines(s, 'z'.repeat(1000))).toEqual([]);
    expect(s.bufferedBytes).toBe(0);
    expect(lines(s, 'zz\r\nafter\r\n')).toEqual([{ kind: 'line', text: 'after' }]);
    // exactly the limit still passes
    expect(lines(s, 'x'.repeat(10) + '\r\n')).toEqual([{ kind: 'line', text: 'x'.repeat(10) }]);
  });

  it('emits lines that precede an oversize one in the same chunk', () => {
    const s = new LineSplitter(10);
    expect(lines(s, 'ok\n' + 'y'.repeat(20) + '\n')).toEqual([{ kind: 'line', text: 'ok' }, { kind: 'oversize', bytes: 20 }]);
  });
});

describe('LineSplitter memory', () => {
  it('holds a dripped line in one buffer no larger than the limit, and lets it go when the line ends', () => {
    const s = new LineSplitter(1_000);
    for (let i = 0; i < 1_000; i++) expect(s.push(Buffer.of(0x61))).toEqual([]);
    expect(s.bufferedBytes).toBe(1_000);
    expect(s.capacity).toBeLessThanOrEqual(1_001);
    expect(s.push(Buffer.from('\r'))).toEqual([]);
    expect(s.push(Buffer.from('\n'))).toEqual([{ kind: 'line', text: 'a'.repeat(1_000) }]);
    expect(s.capacity).toBe(0);
    expect(s.push(Buffer.of(0x61))).toEqual([]);
    expect(s.push(Buffer.from('a'.repeat(1_001)))[0]?.kind).toBe('oversize');
    expect(s.capacity).toBe(0);
  });

  it('pushBytes: lines stay intact when the next chunk refills the remainder', () => {
    const s = new LineSplitter();
    expect(s.pushBytes(Buffer.from('{"a'))).toEqual([]);
    const evs = s.pushBytes(Buffer.from('"}\r\nnext\nrest'));
    expect(s.pushBytes(Buffer.from('-more'))).toEqual([]);
    expect(evs.map((e) => (e.kind === 'line' ? e.data.toString() : e.kind))).toEqual(['{"a"}', 'next']);
    expect(s.bufferedBytes).toBe(9);
  });
});

describe('envelope', () => {
  it('parses and refuses malformed envelopes without throwing', () => {
    expect(parseEnvelope('{"type": 687, "line": "a!PUBLIC!b"}')).toEqual({ ok: true, env: { type: 687, line: 'a!PUBLIC!b' } });
    for (const bad of ['hello', '[]', 'null', '{"type": "687", "line": ""}', '{"type": 687.5, "line": ""}', '{"type": 687}', '{"type": 687, "line": 5}']) {
      expect(parseEnvelope(bad).ok, bad).toBe(false);
    }
  });

  it('wire lines: refuses numbers Python reads as floats, wherever they are, and invalid UTF-8', () => {
    const parse = (t: string | Buffer) => parseWireLine(Buffer.isBuffer(t) ? t : Buffer.from(t));
    for (const f of ['{"type": 793.0, "line": ""}', '{"type": 7.93e2, "line": ""}', '{"type": 793E0, "line": ""}', '{"type": 1, "line": "", "x": [0.5]}']) {
      expect(hasPythonFloat(f), f).toBe(true);
      expect(parse(f)).toEqual({ ok: false, reason: 'a number is not an integer', invalidUtf8: false });
    }
    // Digits, dots and e's inside strings (escaped quotes included) are not numbers.
    for (const ok of ['{"type": 687, "line": "1.5 2e3 \\"3.0\\" 4E5"}', '{"line": "x", "type": -10}', '[true, false, null, 0]']) {
      expect(hasPythonFloat(ok), ok).toBe(false);
    }
    expect(parse('{"type": 687, "line": "a 1.0"}')).toMatchObject({ ok: true, line: { env: { type: 687, line: 'a 1.0' } } });
    expect(parse(Buffer.from('{"type": 687, "line": "a\xff"}', 'latin1'))).toEqual({ ok: false, reason: 'line is not valid UTF-8', invalidUtf8: true });
    expect(parse('{"type": 687, "line": "caf\u00e9 é"}')).toMatchObject({ ok: true, line: { env: { line: 'café é' }, canonical: null } });
  });

  it('wire lines: only the exact reference encoding is canonical', () => {
    const canonical = (t: string): boolean => {
      const r = parseWireLine(Buffer.from(t));
      if (!r.ok) throw new Error(r.reason);
      return r.line.canonical !== null;
    };
    expect(canonical('{"type": 687, "line": "J5a!PUBLIC!orderbook"}')).toBe(true);
    expect(canonical('{"type": 687, "line": ""}')).toBe(true);
    for (const t of [
      '{"type":687,"line":"x"}', '{"line": "x", "type": 687}', '{"type": 687, "line": "x", "line": "x"}', '{"type": 687, "line": "x"} ',
      '{"type": 687, "line": "a\\/b"}', '{"type": 687, "line": "\\u0041"}', '{"type": 687, "line": "\x7f"}', '{"type": 687, "line": "é"}',
    ]) expect(canonical(t), t).toBe(false);
  });

  it('relay encoding: canonical bytes as received; never longer than received or than 39,998 bytes', () => {
    const relay = (t: string | Buffer) => {
      const r = parseWireLine(Buffer.isBuffer(t) ? t : Buffer.from(t));
      if (!r.ok) throw new Error(r.reason);
      return relayEncoding(r.line);
    };
    const fill = (n: number): string => { const head = '{"type": 687, "line": "J5a!PUBLIC!'; return head + 'x'.repeat(n - head.length - 2) + '"}'; };
    expect(relay(fill(MAX_EMIT_BYTES))).toEqual({ ok: true, bytes: Buffer.from(fill(MAX_EMIT_BYTES) + '\r\n') });
    expect(relay(fill(MAX_EMIT_BYTES + 1))).toEqual({ ok: false, reason: 'over-limit' });
    expect(relay(fill(MAX_LINE_BYTES))).toEqual({ ok: false, reason: 'over-limit' });
    // Shrinking forms are relayed as the reference would write them.
    expect(relay('{ "line" : "J5a!PUBLIC!\\/x" , "type" : 687 , "extra": [1, 2] }')).toEqual({ ok: true, bytes: Buffer.from('{"type": 687, "line": "J5a!PUBLIC!/x"}\r\n') });
    // Growing forms are not: compact spacing (+3) and raw non-ASCII (é: 2 bytes -> 6).
    expect(relay('{"type":687,"line":"J5a!PUBLIC!x"}')).toEqual({ ok: false, reason: 'would-grow' });
    expect(relay('{"type": 687, "line": "J5a!PUBLIC!é"}')).toEqual({ ok: false, reason: 'would-grow' });
    expect(relay(Buffer.from('{"type": 687, "line": "J5a!PUBLIC!\x7f"}', 'latin1'))).toEqual({ ok: false, reason: 'would-grow' });
  });

  it('encodes like Python json.dumps, CRLF-terminated, and refuses forbidden codes', () => {
    expect(encodeEnvelope(687, 'J5x!PUBLIC!orderbook')).toBe('{"type": 687, "line": "J5x!PUBLIC!orderbook"}\r\n');
    for (const t of [785, 787, 797, 801]) expect(() => encodeEnvelope(t, '')).toThrow();
  });

  it('python-style string escaping', () => {
    // Python escapes DEL too: json.dumps('\x7f') == '"\\u007f"'.
    const s = 'a"b\\c\nd\u0001é€😀\u007f\t\b\f\r';
    expect(pyJsonString(s)).toBe('"a\\"b\\\\c\\nd\\u0001\\u00e9\\u20ac\\ud83d\\ude00\\u007f\\t\\b\\f\\r"');
    expect(pyJsonStringLength(s)).toBe(Buffer.byteLength(pyJsonString(s)));
    expect(pyJsonStringLength('plain')).toBe(7);
    expect(pyJsonDumps({ a: [1, true, null], b: {} })).toBe('{"a": [1, true, null], "b": {}}');
  });

  it('re-encodes every captured line byte for byte', () => {
    let n = 0;
    for (const file of ['scenario-wire.txt', 'ng-interop-wire.txt']) {
      for (const rec of readCapture(file)) {
        const s = new LineSplitter();
        const evs = s.push(rec.bytes);
        expect(s.bufferedBytes).toBe(0);
        const rebuilt = evs.map((e) => {
          if (e.kind !== 'line') throw new Error('oversize');
          const p = parseEnvelope(e.text);
          if (!p.ok) throw new Error(p.reason);
          return encodeEnvelope(p.env.type, p.env.line);
        }).join('');
        expect(rebuilt).toBe(rec.bytes.toString('utf8'));
        n += evs.length;
      }
    }
    for (const v of readHandshakeVariants('handshake-variants-reference-dn.txt')) {
      if (v.received.length === 0) continue;
      const p = parseEnvelope(v.received.toString().trimEnd());
      if (!p.ok) throw new Error(p.reason);
      expect(encodeEnvelope(p.env.type, p.env.line)).toBe(v.received.toString());
      n++;
    }
    expect(n).toBeGreaterThan(50);
  });
});
