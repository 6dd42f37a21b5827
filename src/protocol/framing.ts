/**
 * Line framing (wire-protocol.md §1.2–1.3): one JSON envelope {"type": int, "line": string}
 * per line; we emit CRLF and accept CRLF or bare LF. A line may carry at most 40,000 payload
 * bytes (terminator not counted); the splitter never buffers more than that.
 */
import { FORBIDDEN_ON_WIRE } from './message-types.js';
import { hasPythonFloat, pyJsonString } from './json-py.js';

export const MAX_LINE_BYTES = 40_000;
/** Never emit more than this many payload bytes (rs counts the CRLF against 40,000). */
export const MAX_EMIT_BYTES = 39_998;

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

/**
 * parseEnvelope that also refuses floats anywhere in the line: the reference asserts
 * isinstance(type, int) and drops the connection on `{"type": 793.0, …}`.
 */
export function parseEnvelopeStrict(text: string): EnvelopeResult {
  const r = parseEnvelope(text);
  if (r.ok && hasPythonFloat(text)) return { ok: false, reason: 'a number is not an integer' };
  return r;
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

const LF = 0x0a;
const CR = 0x0d;

/**
 * Streaming line splitter over TCP chunks. push() returns the complete lines of the chunk;
 * when a line (or an unterminated remainder) exceeds the limit it yields one 'oversize' event
 * and stops producing lines (the caller closes the connection).
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  private broken = false;

  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {}

  get bufferedBytes(): number {
    return this.held;
  }

  push(chunk: Buffer): SplitEvent[] {
    if (this.broken) return [];
    const out: SplitEvent[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl === -1) break;
      let line: Buffer;
      if (this.held > 0) {
        this.parts.push(chunk.subarray(start, nl));
        line = Buffer.concat(this.parts);
        this.parts = [];
        this.held = 0;
      } else {
        line = chunk.subarray(start, nl);
      }
      start = nl + 1;
      let len = line.length;
      if (len > 0 && line[len - 1] === CR) len--;
      if (len > this.maxLineBytes) return this.fail(out, len);
      out.push({ kind: 'line', text: line.toString('utf8', 0, len) });
    }
    if (start < chunk.length) {
      const rest = chunk.length - start;
      // +1 allows a CR that belongs to a CRLF split across chunks.
      if (this.held + rest > this.maxLineBytes + 1) return this.fail(out, this.held + rest);
      this.parts.push(chunk.subarray(start));
      this.held += rest;
    }
    return out;
  }

  private fail(out: SplitEvent[], bytes: number): SplitEvent[] {
    this.broken = true;
    this.parts = [];
    this.held = 0;
    out.push({ kind: 'oversize', bytes });
    return out;
  }
}
