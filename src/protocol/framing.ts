/**
 * Line framing (wire-protocol.md §1.2–1.3): one JSON envelope {"type": int, "line": string}
 * per line; we emit CRLF and accept CRLF or bare LF. A line may carry at most 40,000 payload
 * bytes (terminator not counted); the splitter never buffers more than that.
 */
import { FORBIDDEN_ON_WIRE } from './message-types.js';
import { isAscii, isUtf8 } from 'node:buffer';
import { hasPythonFloat, pyJsonString, pyJsonStringLength } from './json-py.js';

export const MAX_LINE_BYTES = 40_000;
/** Never emit more than this many payload bytes (rs counts the CRLF against 40,000). */
export const MAX_EMIT_BYTES = 39_998;

const LF = 0x0a;
const CR = 0x0d;

export interface Envelope {
  type: number;
  line: string;
}

export type EnvelopeResult = { ok: true; env: Envelope } | { ok: false; reason: string };

/** Parses one received line (without terminator) into an envelope. Never throws. */
export function parseEnvelope(text: string): EnvelopeResult {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'line is not JSON' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, reason: 'envelope is not an object' };
  const o = v as Record<string, unknown>;
  if (typeof o.type !== 'number' || !Number.isInteger(o.type)) return { ok: false, reason: 'envelope "type" is not an integer' };
  if (typeof o.line !== 'string') return { ok: false, reason: 'envelope "line" is not a string' };
  return { ok: true, env: { type: o.type, line: o.line } };
}

/** A received line as the directory sees it. */
export interface WireLine {
  env: Envelope;
  /** The received bytes when they are exactly encodeEnvelope(env) without CRLF, else null. */
  canonical: Buffer | null;
  /** Received payload bytes (terminator not counted). */
  size: number;
}

export type WireLineResult = { ok: true; line: WireLine } | { ok: false; reason: string; invalidUtf8: boolean };

/**
 * Parses one received line (bytes without terminator). Refuses what the reference refuses:
 * invalid UTF-8 (its json.loads raises) and floats anywhere (it asserts isinstance(type, int)
 * and drops the connection on `{"type": 793.0, …}`). Never throws.
 */
export function parseWireLine(bytes: Buffer): WireLineResult {
  const ascii = isAscii(bytes);
  if (!ascii && !isUtf8(bytes)) return { ok: false, reason: 'line is not valid UTF-8', invalidUtf8: true };
  const text = bytes.toString(ascii ? 'latin1' : 'utf8');
  const r = parseEnvelope(text);
  if (!r.ok) return { ok: false, reason: r.reason, invalidUtf8: false };
  // A canonical line has no number but the integer type, so only others need the float scan.
  const canonical = ascii && isCanonical(text, r.env, bytes) ? bytes : null;
  if (canonical === null && hasPythonFloat(text)) return { ok: false, reason: 'a number is not an integer', invalidUtf8: false };
  return { ok: true, line: { env: r.env, canonical, size: bytes.length } };
}

/**
 * `{"type": N, "line": "<line>"}` with nothing in the line that Python escapes. The middle of
 * an ASCII text can equal the parsed line only if it holds no escape, quote or control.
 */
function isCanonical(text: string, env: Envelope, bytes: Buffer): boolean {
  const head = `{"type": ${env.type}, "line": "`;
  return (
    text.length === head.length + env.line.length + 2 &&
    text.startsWith(head) &&
    text.endsWith('"}') &&
    text.slice(head.length, -2) === env.line &&
    bytes.indexOf(0x7f, head.length) === -1
  );
}

export type RelayResult = { ok: true; bytes: Buffer } | { ok: false; reason: 'over-limit' | 'would-grow' };

/**
 * The bytes (with CRLF) the directory relays for a received line: its canonical (reference)
 * form, which for a canonical line is the received bytes themselves. Refused when that form
 * is longer than what was received (raw non-ASCII, compact spacing) or than MAX_EMIT_BYTES,
 * so a relayed line never grows and never exceeds what every receiver accepts.
 */
export function relayEncoding(w: WireLine): RelayResult {
  const c = w.canonical;
  if (c !== null) {
    if (c.length > MAX_EMIT_BYTES) return { ok: false, reason: 'over-limit' };
    const out = Buffer.allocUnsafe(c.length + 2);
    c.copy(out, 0);
    out[c.length] = CR;
    out[c.length + 1] = LF;
    return { ok: true, bytes: out };
  }
  // `{"type": ` + N + `, "line": ` + string + `}`, measured before anything is built.
  const len = 20 + String(w.env.type).length + pyJsonStringLength(w.env.line);
  if (len > w.size) return { ok: false, reason: 'would-grow' };
  if (len > MAX_EMIT_BYTES) return { ok: false, reason: 'over-limit' };
  return { ok: true, bytes: encodeEnvelopeBuffer(w.env.type, w.env.line) };
}

/** Serialises an envelope as the reference does, with CRLF. Refuses forbidden codes. */
export function encodeEnvelope(type: number, line: string): string {
  if (FORBIDDEN_ON_WIRE.has(type)) throw new Error(`refusing to emit message type ${type}`);
  return `{"type": ${type}, "line": ${pyJsonString(line)}}\r\n`;
}

export function encodeEnvelopeBuffer(type: number, line: string): Buffer {
  return Buffer.from(encodeEnvelope(type, line), 'utf8');
}

export type SplitEvent = { kind: 'line'; text: string } | { kind: 'oversize'; bytes: number };
/** A line's bytes without terminator: a view of the chunk or of a buffer the splitter let go of. */
export type ByteSplitEvent = { kind: 'line'; data: Buffer } | { kind: 'oversize'; bytes: number };

const MIN_HOLD = 256;

/**
 * Streaming line splitter over TCP chunks. An unterminated remainder is copied into one
 * growable buffer (never one Buffer per read) of at most maxLineBytes + 1 bytes (+1: a CR
 * whose LF is in the next chunk). When a line or remainder exceeds the limit it reports an
 * 'oversize' event. By default it then produces nothing more (the caller closes the
 * connection); with `{ skipOversize: true }` it drops that line's bytes up to its newline,
 * holding none of them, and carries on with the next line.
 */
export class LineSplitter {
  private buf: Buffer | null = null;
  private held = 0;
  private broken = false;
  /** Inside an oversize line: discarding up to the next LF. */
  private skipping = false;
  private readonly skipOversize: boolean;

  constructor(private readonly maxLineBytes = MAX_LINE_BYTES, o: { skipOversize?: boolean } = {}) {
    this.skipOversize = o.skipOversize ?? false;
  }

  /** Bytes of the unterminated line held. */
  get bufferedBytes(): number {
    return this.held;
  }

  /** Bytes allocated to hold it (released when the line completes). */
  get capacity(): number {
    return this.buf === null ? 0 : this.buf.length;
  }

  /** The complete lines of the chunk, decoded as UTF-8. */
  push(chunk: Buffer): SplitEvent[] {
    const out: SplitEvent[] = [];
    this.split(chunk, (line) => out.push({ kind: 'line', text: line.toString('utf8') }), (bytes) => out.push({ kind: 'oversize', bytes }));
    return out;
  }

  /** The complete lines of the chunk as bytes; each stays valid (nothing reuses its memory). */
  pushBytes(chunk: Buffer): ByteSplitEvent[] {
    const out: ByteSplitEvent[] = [];
    this.split(chunk, (data) => out.push({ kind: 'line', data }), (bytes) => out.push({ kind: 'oversize', bytes }));
    return out;
  }

  /** Lets go of the held remainder; nothing more is split (the connection is closing). */
  release(): void {
    this.buf = null;
    this.held = 0;
    this.broken = true;
  }

  /** Emits each complete line and each oversize one (its size). */
  private split(chunk: Buffer, emit: (line: Buffer) => void, over: (bytes: number) => void): void {
    if (this.broken) return;
    const cap = this.maxLineBytes + 1;
    let start = 0;
    if (this.skipping) {
      const nl = chunk.indexOf(LF);
      if (nl === -1) return;
      this.skipping = false;
      start = nl + 1;
    }
    for (let nl = chunk.indexOf(LF, start); nl !== -1; nl = chunk.indexOf(LF, start)) {
      let line: Buffer;
      if (this.held > 0) {
        if (this.held + nl - start > cap) {
          if (!this.oversize(over, this.held + nl - start)) return;
          start = nl + 1;
          continue;
        }
        this.hold(chunk, start, nl);
        // The line keeps this buffer; the next remainder gets a fresh one.
        line = this.buf!.subarray(0, this.held);
        this.buf = null;
        this.held = 0;
      } else {
        line = chunk.subarray(start, nl);
      }
      start = nl + 1;
      const len = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
      if (len > this.maxLineBytes) {
        if (!this.oversize(over, len)) return;
        continue;
      }
      emit(len === line.length ? line : line.subarray(0, len));
    }
    if (start < chunk.length) {
      const rest = chunk.length - start;
      if (this.held + rest > cap) {
        if (this.oversize(over, this.held + rest)) this.skipping = true;
        return;
      }
      this.hold(chunk, start, chunk.length);
    }
  }

  /** Reports an oversize line and drops what is held of it; true if splitting goes on (skip mode). */
  private oversize(over: (bytes: number) => void, bytes: number): boolean {
    this.buf = null;
    this.held = 0;
    if (!this.skipOversize) this.broken = true;
    over(bytes);
    return this.skipOversize;
  }

  /** Appends chunk[from, to) to the remainder, growing by doubling up to the cap. */
  private hold(chunk: Buffer, from: number, to: number): void {
    const need = this.held + to - from;
    if (this.buf === null || this.buf.length < need) {
      const size = Math.min(this.maxLineBytes + 1, Math.max(MIN_HOLD, need, 2 * (this.buf?.length ?? 0)));
      const next = Buffer.allocUnsafe(size);
      if (this.buf !== null) this.buf.copy(next, 0, 0, this.held);
      this.buf = next;
    }
    chunk.copy(this.buf, this.held, from, to);
    this.held = need;
  }
}
