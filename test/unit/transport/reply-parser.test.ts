import { describe, expect, it } from 'vitest';
import { ReplyParser, type ControlReply } from '../../../src/transport/tor/reply-parser.js';
import { parseReplyArgs, quoteString } from '../../../src/transport/tor/reply-args.js';
import { TorControlProtocolError } from '../../../src/transport/tor/errors.js';

const STREAM =
  '250-version=0.4.9.11\r\n' +
  '250+config-text=\r\nSocksPort 9050\r\n..leading dot\r\n.\r\n' +
  '250 OK\r\n' +
  '650 HS_DESC UPLOADED abc UNKNOWN $FP\r\n' +
  '552 Unrecognized key "x"\r\n';

function parseAll(chunks: Buffer[]): ControlReply[] {
  const out: ControlReply[] = [];
  const p = new ReplyParser((r) => out.push(r));
  for (const c of chunks) p.push(c);
  return out;
}

describe('ReplyParser', () => {
  const whole = parseAll([Buffer.from(STREAM)]);

  it('parses mid, data and end lines into replies', () => {
    expect(whole.map((r) => r.code)).toEqual([250, 650, 552]);
    const first = whole[0];
    expect(first?.lines).toEqual([
      { code: 250, sep: '-', text: 'version=0.4.9.11' },
      { code: 250, sep: '+', text: 'config-text=', data: 'SocksPort 9050\n.leading dot' },
      { code: 250, sep: ' ', text: 'OK' },
    ]);
  });

  it('gives the same result byte by byte and at every split point', () => {
    const bytes = Buffer.from(STREAM);
    expect(parseAll([...bytes].map((b) => Buffer.of(b)))).toEqual(whole);
    for (let i = 1; i < bytes.length; i++) {
      expect(parseAll([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(whole);
    }
  });

  it('keeps multi-byte UTF-8 intact across chunk boundaries', () => {
    const bytes = Buffer.from('250 caf\u00e9\r\n');
    const split = bytes.length - 3; // inside the 2-byte é
    expect(parseAll([bytes.subarray(0, split), bytes.subarray(split)])[0]?.lines[0]?.text).toBe('caf\u00e9');
  });

  it('rejects malformed lines and oversized lines', () => {
    expect(() => parseAll([Buffer.from('hello\r\n')])).toThrow(TorControlProtocolError);
    const p = new ReplyParser(() => undefined, { maxLineBytes: 16 });
    expect(() => p.push(Buffer.from('250-' + 'x'.repeat(20)))).toThrow(/longer than 16/);
  });
});

describe('parseReplyArgs', () => {
  it('splits positional words and quoted keyword values with escapes', () => {
    const a = parseReplyArgs('METHODS=COOKIE,SAFECOOKIE COOKIEFILE="/a b/\\"c\\"\\\\d" extra "q w"');
    expect(a.keywords.get('METHODS')).toBe('COOKIE,SAFECOOKIE');
    expect(a.keywords.get('COOKIEFILE')).toBe('/a b/"c"\\d');
    expect(a.positional).toEqual(['extra', 'q w']);
    expect(() => parseReplyArgs('X="open')).toThrow(/unterminated/);
  });

  it('round-trips quoteString', () => {
    const s = 'pa"ss\\word';
    expect(parseReplyArgs(`K=${quoteString(s)}`).keywords.get('K')).toBe(s);
  });
});
