/**
 * Seeded, deterministic wire-line mutator for fuzzing the directory node (pure: no I/O, no
 * clock, no global randomness). It mutates real captured lines (handed in as data, e.g. every
 * line of test/fixtures/reference-wire) and client handshakes: bit flips, truncation, splicing,
 * huge/nested JSON, floats, NUL, invalid UTF-8, CR/LF placement, oversize lines, and so on.
 *
 *   const corpus = fuzzCorpus(capturedLines);          // once; shared by every fuzzer
 *   for (const bytes of generateLines(42, 10_000, corpus, { nicks: [myNick] })) socket.write(bytes);
 *
 * Each output is what one peer writes in one go: usually one line ending in CRLF, but some
 * mutations move, drop or add terminators, so treat the outputs as one byte stream per
 * connection. The same (seed, corpus, options) always yields the same bytes; `lastMutation`
 * names the mutation behind the latest output, to reproduce a failure.
 */
import { pyJsonDumps, pyJsonString, type PyJson } from '../../src/protocol/json-py.js';

export interface FuzzCorpus {
  /** Seed lines without terminators. */
  readonly lines: readonly Buffer[];
  /** Parsed `{type, line}` of the seed lines that are envelopes. */
  readonly envelopes: ReadonlyArray<{ type: number; line: string }>;
  /** Inner JSON objects of the seed 793 handshakes. */
  readonly handshakes: ReadonlyArray<Record<string, PyJson>>;
  /** `from` nicks seen in routed seed lines (replaced by the caller's nicks in routed mutations). */
  readonly nicks: readonly string[];
}

export interface FuzzOptions {
  /** Nicks routed lines should claim as sender (e.g. the fuzzing connection's handshake nick). */
  nicks?: readonly string[];
  /** Share of outputs deliberately over the 40,000-byte line limit; default 0.002. */
  oversizeRate?: number;
  /** Draw only these mutations (same relative weights), e.g. STRUCTURAL to reach the router. */
  only?: readonly Mutation[];
}

/** Mutations and their relative weights (lines near 40 kB are rarer, so the mean output stays small). */
const WEIGHTS = {
  valid: 10, bitflip: 10, byte: 10, truncate: 10, splice: 10, nul: 10, 'invalid-utf8': 10, utf8: 10, crlf: 10,
  repeat: 10, delete: 10, type: 10, spacing: 10, 'extra-key': 10, 'duplicate-key': 10, nested: 10, escapes: 10,
  'non-ascii': 10, 'near-limit': 1, routed: 20, handshake: 20,
} as const;
type Weighted = keyof typeof WEIGHTS;
export type Mutation = Weighted | 'oversize';
export const MUTATIONS: readonly Mutation[] = [...(Object.keys(WEIGHTS) as Weighted[]), 'oversize'];
/** Mutations that keep the line a well-formed envelope more often than not (they reach routing). */
export const STRUCTURAL: readonly Mutation[] = ['valid', 'type', 'spacing', 'extra-key', 'duplicate-key', 'escapes', 'non-ascii', 'near-limit', 'routed'];

/** One entry per weight unit: drawing an index is one multiply. */
function weightTable(only?: readonly Mutation[]): readonly Weighted[] {
  return (Object.entries(WEIGHTS) as Array<[Weighted, number]>)
    .filter(([m]) => !only || only.includes(m))
    .flatMap(([m, w]) => Array<Weighted>(w).fill(m));
}
const TABLE = weightTable();

const CRLF = Buffer.from('\r\n');
const LINE_LIMIT = 40_000;
const FILL = Buffer.alloc(2 * LINE_LIMIT + 16, 'x');

/** Prepares seed lines once (CR/LF stripped; envelopes and handshakes parsed). */
export function fuzzCorpus(seedLines: readonly Buffer[]): FuzzCorpus {
  const lines: Buffer[] = [];
  const envelopes: Array<{ type: number; line: string }> = [];
  const handshakes: Array<Record<string, PyJson>> = [];
  const nicks = new Set<string>();
  for (const raw of seedLines) {
    let end = raw.length;
    while (end > 0 && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d)) end--;
    if (end === 0) continue;
    const b = Buffer.from(raw.subarray(0, end));
    lines.push(b);
    const env = tryJson(b.toString('utf8'));
    if (!isObject(env) || typeof env.type !== 'number' || typeof env.line !== 'string') continue;
    envelopes.push({ type: env.type, line: env.line });
    if (env.type === 793) {
      const hs = tryJson(env.line);
      if (isObject(hs)) handshakes.push(hs as Record<string, PyJson>);
    }
    const bang = env.line.indexOf('!');
    if ((env.type === 685 || env.type === 687) && bang > 0) nicks.add(env.line.slice(0, bang));
  }
  if (lines.length === 0) throw new Error('fuzzCorpus: no seed lines');
  return { lines, envelopes, handshakes, nicks: [...nicks] };
}

/** Yields `count` outputs of a fresh LineFuzzer. */
export function* generateLines(seed: number, count: number, corpus: FuzzCorpus, opts: FuzzOptions = {}): Generator<Buffer> {
  const f = new LineFuzzer(seed, corpus, opts);
  for (let i = 0; i < count; i++) yield f.next();
}

export class LineFuzzer {
  /** The mutation behind the latest next(). */
  lastMutation: Mutation = 'valid';
  private state: number;
  private readonly nicks: readonly string[];
  private readonly oversizeRate: number;
  private readonly table: readonly Weighted[];

  constructor(seed: number, private readonly corpus: FuzzCorpus, opts: FuzzOptions = {}) {
    // xorshift32 needs a non-zero state; mix the seed so nearby seeds diverge at once.
    this.state = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ 0x27d4eb2f) >>> 0 || 1;
    this.nicks = opts.nicks && opts.nicks.length > 0 ? opts.nicks : corpus.nicks.length > 0 ? corpus.nicks : ['J5xxxxxxxxxxxxxx'];
    this.oversizeRate = opts.only && !opts.only.includes('oversize') ? 0 : (opts.oversizeRate ?? 0.002);
    this.table = opts.only ? weightTable(opts.only) : TABLE;
    if (this.table.length === 0) throw new Error('LineFuzzer: no mutation to draw from');
  }

  next(): Buffer {
    if (this.rand() < this.oversizeRate) {
      this.lastMutation = 'oversize';
      return this.oversize();
    }
    const m = this.table[this.int(this.table.length)]!;
    this.lastMutation = m;
    return this.mutate(m);
  }

  private mutate(m: Weighted): Buffer {
    switch (m) {
      case 'valid': return terminate(this.seed());
      case 'bitflip': return terminate(this.bitflip(this.seed()));
      case 'byte': return terminate(this.randomBytes(this.seed()));
      case 'truncate': { const s = this.seed(); return terminate(s.subarray(0, this.int(s.length + 1))); }
      case 'splice': { const a = this.seed(); const b = this.seed(); return terminate(Buffer.concat([a.subarray(0, this.int(a.length + 1)), b.subarray(this.int(b.length + 1))])); }
      case 'nul': return terminate(this.insert(this.seed(), Buffer.of(0)));
      case 'invalid-utf8': return terminate(this.insert(this.seed(), this.pick(INVALID_UTF8)));
      case 'utf8': return terminate(this.insert(this.seed(), this.pick(VALID_UTF8)));
      case 'crlf': return this.crlf(this.seed());
      case 'repeat': return terminate(this.repeat(this.seed()));
      case 'delete': { const s = this.seed(); const i = this.int(s.length + 1); const j = i + this.int(s.length - i + 1); return terminate(Buffer.concat([s.subarray(0, i), s.subarray(j)])); }
      case 'type': return this.line(`{"type": ${this.pick(TYPE_LITERALS)}, "line": ${pyJsonString(this.envelope().line)}}`);
      case 'spacing': return this.spacing();
      case 'extra-key': { const e = this.envelope(); return this.line(`{"type": ${e.type}, "line": ${pyJsonString(e.line)}, "${this.pick(['x', 'type', 'line', ''])}": ${this.jsonValue()}}`); }
      case 'duplicate-key': { const e = this.envelope(); const o = this.envelope(); return this.line(`{"type": ${o.type}, "line": ${pyJsonString(o.line)}, "type": ${e.type}, "line": ${pyJsonString(e.line)}}`); }
      case 'nested': return this.line(this.int(2) === 0 ? this.jsonValue() : `{"type": ${this.envelope().type}, "line": ${this.jsonValue()}}`);
      case 'escapes': { const e = this.routedEnvelope(); return this.line(`{"type": ${e.type}, "line": ${pyJsonString(e.line).replace(/"$/, this.pick(ESCAPES) + '"')}}`); }
      case 'non-ascii': return this.nonAscii();
      case 'near-limit': return this.nearLimit();
      case 'routed': { const e = this.routedEnvelope(); return this.line(`{"type": ${e.type}, "line": ${pyJsonString(e.line)}}`); }
      case 'handshake': return this.handshake();
    }
  }

  // --- randomness ---------------------------------------------------------------------------

  private rand(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4294967296;
  }

  private int(n: number): number {
    return Math.floor(this.rand() * n);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  private seed(): Buffer {
    return this.pick(this.corpus.lines);
  }

  /** A seed envelope; a routed one mostly claims one of our nicks, so it passes the sender check. */
  private envelope(): { type: number; line: string } {
    if (this.corpus.envelopes.length === 0) return { type: 687, line: `${this.pick(this.nicks)}!PUBLIC!orderbook` };
    const e = this.pick(this.corpus.envelopes);
    const bang = e.line.indexOf('!');
    if ((e.type !== 685 && e.type !== 687) || bang <= 0 || this.int(8) === 0) return e;
    return { type: e.type, line: this.pick(this.nicks) + e.line.slice(bang) };
  }

  // --- byte-level mutations ---------------------------------------------------------------

  private bitflip(s: Buffer): Buffer {
    const b = Buffer.from(s);
    for (let n = 1 + this.int(8); n > 0 && b.length > 0; n--) {
      const i = this.int(b.length);
      b[i] = b[i]! ^ (1 << this.int(8));
    }
    return b;
  }

  private randomBytes(s: Buffer): Buffer {
    const b = Buffer.from(s);
    for (let n = 1 + this.int(4); n > 0 && b.length > 0; n--) b[this.int(b.length)] = this.int(2) === 0 ? this.pick(SPECIAL_BYTES) : this.int(256);
    return b;
  }

  private insert(s: Buffer, what: Buffer): Buffer {
    const i = this.int(s.length + 1);
    return Buffer.concat([s.subarray(0, i), what, s.subarray(i)]);
  }

  private repeat(s: Buffer): Buffer {
    const i = this.int(s.length + 1);
    const j = Math.min(s.length, i + 1 + this.int(64));
    const parts = [s.subarray(0, j)];
    for (let n = 1 + this.int(this.int(8) === 0 ? 600 : 20); n > 0; n--) parts.push(s.subarray(i, j));
    parts.push(s.subarray(j));
    return Buffer.concat(parts);
  }

  /** Terminators in odd places: mid-line, missing, doubled, bare CR, LF CR. */
  private crlf(s: Buffer): Buffer {
    const t = this.pick(TERMINATORS);
    const mid = this.int(2) === 0 ? this.insert(s, this.pick(TERMINATORS)) : s;
    return Buffer.concat([mid, t]);
  }

  // --- structural mutations ---------------------------------------------------------------

  private line(text: string): Buffer {
    return terminate(Buffer.from(text, 'utf8'));
  }

  /** A pubmsg/privmsg from one of our nicks, with a body built from seed bodies and odd pieces. */
  private routedEnvelope(): { type: number; line: string } {
    const e = this.envelope();
    const bang = e.line.indexOf('!');
    const body = bang > 0 ? e.line.slice(e.line.indexOf('!', bang + 1) + 1) : e.line;
    const from = this.pick(this.nicks);
    const to = this.int(3) === 0 ? this.pick(this.nicks) : 'PUBLIC';
    const type = to === 'PUBLIC' ? 687 : this.int(4) === 0 ? 687 : 685;
    return { type, line: `${from}!${to}!${this.pick(BODY_PIECES)}${body}${this.pick(BODY_PIECES)}` };
  }

  private spacing(): Buffer {
    const e = this.envelope();
    const s = pyJsonString(e.line);
    switch (this.int(4)) {
      case 0: return this.line(`{"type":${e.type},"line":${s}}`);
      case 1: return this.line(`{"line": ${s}, "type": ${e.type}}`);
      case 2: return this.line(` \t{ "type" :\t${e.type} ,\n"line" : ${s} } `);
      default: return this.line(`{"type": ${e.type}, "line": ${JSON.stringify(e.line)}}`);
    }
  }

  /** A JSON value that is deep, wide, huge or a float. */
  private jsonValue(): string {
    switch (this.int(5)) {
      case 0: { const d = 1 + this.int(this.int(8) === 0 ? 3000 : 64); return '['.repeat(d) + ']'.repeat(d); }
      case 1: { const d = 1 + this.int(this.int(8) === 0 ? 1000 : 32); return '{"a":'.repeat(d) + '1' + '}'.repeat(d); }
      case 2: return '[' + '0,'.repeat(this.int(this.int(8) === 0 ? 5000 : 50)) + '0]';
      case 3: return this.pick(TYPE_LITERALS);
      default: return JSON.stringify('y'.repeat(this.int(this.int(8) === 0 ? 30_000 : 300)));
    }
  }

  /** Raw multibyte UTF-8 in the line: grows 2–6x if a relay escapes it as \uXXXX. */
  private nonAscii(): Buffer {
    const e = this.routedEnvelope();
    const ch = this.pick(['é', '€', '😀', '\u2028', '\ufffd']);
    const n = this.int(10) === 0 ? Math.floor((LINE_LIMIT - 60) / Buffer.byteLength(ch)) : 1 + this.int(64);
    return this.line(`{"type": ${e.type}, "line": "${e.line.replace(/["\\]/g, '')}${ch.repeat(n)}"}`);
  }

  /** A canonical routed line of 39,990–40,002 payload bytes (the DN may emit at most 39,998). */
  private nearLimit(): Buffer {
    const e = this.routedEnvelope();
    const head = Buffer.from(`{"type": ${e.type}, "line": "${e.line.replace(/["\\]/g, '').slice(0, 200)}`, 'latin1');
    const total = LINE_LIMIT - 10 + this.int(13);
    return this.sized(head, total);
  }

  private oversize(): Buffer {
    const head = Buffer.from(`{"type": 687, "line": "${this.pick(this.nicks)}!PUBLIC!`, 'latin1');
    const b = this.sized(head, LINE_LIMIT + 1 + this.int(LINE_LIMIT));
    // Sometimes never terminated: the DN must cut it without waiting for a newline.
    return this.int(4) === 0 ? b.subarray(0, b.length - 2) : b;
  }

  /** head + 'x' filler + '"}' + CRLF with `total` bytes before the CRLF. */
  private sized(head: Buffer, total: number): Buffer {
    const fill = Math.max(0, total - head.length - 2);
    return Buffer.concat([head, FILL.subarray(0, fill), Buffer.from('"}'), CRLF]);
  }

  /** A client handshake with one field broken, double-encoded as a 793 (sometimes raw text). */
  private handshake(): Buffer {
    const base: Record<string, PyJson> = this.corpus.handshakes.length > 0
      ? { ...this.pick(this.corpus.handshakes) }
      : { 'app-name': 'joinmarket', directory: false, 'location-string': 'NOT-SERVING-ONION', 'proto-ver': 5, features: {}, nick: this.pick(this.nicks), network: 'testnet' };
    base.nick = this.pick(this.nicks);
    const keys = Object.keys(base);
    const k = this.pick(keys);
    let inner: string;
    switch (this.int(6)) {
      case 0: delete base[k]; inner = pyJsonDumps(base); break;
      case 1: base[k] = this.pick(HANDSHAKE_VALUES); inner = pyJsonDumps(base); break;
      case 2: inner = pyJsonDumps(base).replace(/("proto-ver": )5/, `$1${this.pick(TYPE_LITERALS)}`); break;
      case 3: base.features = Object.fromEntries(Array.from({ length: this.int(200) }, (_, i) => [`f${i}`, this.int(2) === 0])); inner = pyJsonDumps(base); break;
      case 4: inner = pyJsonDumps(base).replace(/}$/, `, "x": ${this.jsonValue()}}`); break;
      default: inner = JSON.stringify(base); break; // compact, otherwise valid
    }
    const type = this.int(8) === 0 ? this.pick(TYPE_LITERALS) : '793';
    return this.line(`{"type": ${type}, "line": ${pyJsonString(inner)}}`);
  }
}

function terminate(b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(b.length + 2);
  b.copy(out, 0);
  out[b.length] = 0x0d;
  out[b.length + 1] = 0x0a;
  return out;
}

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const SPECIAL_BYTES = [0x00, 0x0a, 0x0d, 0x22, 0x5c, 0x21, 0x7f, 0x80, 0xc0, 0xff];
const INVALID_UTF8 = [[0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xe2, 0x82], [0xff], [0xc3], [0xf0, 0x9f, 0x98]].map((b) => Buffer.from(b));
const VALID_UTF8 = ['é', '€', '😀', '\u2028', '\ufeff', '\u0085'].map((s) => Buffer.from(s, 'utf8'));
const TERMINATORS = ['', '\n', '\r', '\r\n', '\r\r\n', '\n\r', '\n\n'].map((s) => Buffer.from(s, 'latin1'));
const TYPE_LITERALS = [
  '793.0', '7.93e2', '793E0', '687.0', '6.87e2', '685e0', '-0', '0', '-687', '687.5', '1e309', '99999999999999999999',
  '"687"', 'true', 'false', 'null', '[687]', '{}', '785', '787', '797', '799', '801', '798', '791', '789', '795', '685', '687', '793',
];
const ESCAPES = ['\\u00e9', '\\ud800', '\\udfff', '\\/', '\\u0000', '\\u2028', '\\ud83d\\ude00', '\u007f', '\\b\\f\\t'];
const BODY_PIECES = ['', '', '', '!', '!!', '!orderbook', '!sw0reloffer 0 1 2 3 0.1', ' ', '!!!!!!!!', 'cancel 0', '!PUBLIC!', 'fill 1 2 3'];
const HANDSHAKE_VALUES: PyJson[] = [
  5, 4, 6, 0, -1, 'joinmarket', 'JoinMarket', '', 'NOT-SERVING-ONION', '127.0.0.1:0', '127.0.0.1:65536', 'x'.repeat(5000),
  true, false, null, [], {}, { a: { b: { c: 1 } } }, 'testnet', 'mainnet', 'J5xxxxxxxxxxxxxx', 'é'.repeat(100),
];
