import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_BYTES, encodeEnvelope, parseEnvelope, parseEnvelopeStrict } from '../../../src/protocol/framing.js';
import { hasPythonFloat, pyJsonDumps, pyJsonString } from '../../../src/protocol/json-py.js';
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

  it('emits lines that precede an oversize one in the same chunk', () => {
    const s = new LineSplitter(10);
    expect(lines(s, 'ok\n' + 'y'.repeat(20) + '\n')).toEqual([{ kind: 'line', text: 'ok' }, { kind: 'oversize', bytes: 20 }]);
  });
});

describe('envelope', () => {
  it('parses and refuses malformed envelopes without throwing', () => {
    expect(parseEnvelope('{"type": 687, "line": "a!PUBLIC!b"}')).toEqual({ ok: true, env: { type: 687, line: 'a!PUBLIC!b' } });
    for (const bad of ['hello', '[]', 'null', '{"type": "687", "line": ""}', '{"type": 687.5, "line": ""}', '{"type": 687}', '{"type": 687, "line": 5}']) {
      expect(parseEnvelope(bad).ok, bad).toBe(false);
    }
  });

  it('strict parsing refuses numbers Python reads as floats, wherever they are', () => {
    for (const f of ['{"type": 793.0, "line": ""}', '{"type": 7.93e2, "line": ""}', '{"type": 793E0, "line": ""}', '{"type": 1, "line": "", "x": [0.5]}']) {
      expect(hasPythonFloat(f), f).toBe(true);
      expect(parseEnvelopeStrict(f)).toEqual({ ok: false, reason: 'a number is not an integer' });
    }
    // Digits, dots and e's inside strings (escaped quotes included) are not numbers.
    for (const ok of ['{"type": 687, "line": "1.5 2e3 \\"3.0\\" 4E5"}', '{"line": "x", "type": -10}', '[true, false, null, 0]']) {
      expect(hasPythonFloat(ok), ok).toBe(false);
    }
    expect(parseEnvelopeStrict('{"type": 687, "line": "a 1.0"}')).toEqual({ ok: true, env: { type: 687, line: 'a 1.0' } });
  });

  it('encodes like Python json.dumps, CRLF-terminated, and refuses forbidden codes', () => {
    expect(encodeEnvelope(687, 'J5x!PUBLIC!orderbook')).toBe('{"type": 687, "line": "J5x!PUBLIC!orderbook"}\r\n');
    for (const t of [785, 787, 797, 801]) expect(() => encodeEnvelope(t, '')).toThrow();
  });

  it('python-style string escaping', () => {
    expect(pyJsonString('a"b\\c\nd\u0001é€😀\u007f')).toBe('"a\\"b\\\\c\\nd\\u0001\\u00e9\\u20ac\\ud83d\\ude00\u007f"');
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
