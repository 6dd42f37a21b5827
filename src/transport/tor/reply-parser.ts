/**
 * Incremental parser for control-port replies (control-spec §2.3/§4).
 * Bytes may arrive in any chunking; a reply is emitted only once its end line ("NNN ") is seen.
 */
import { TorControlProtocolError } from './errors.js';

export interface ReplyLine {
  code: number;
  /** '-' mid line, '+' data line (body in `data`), ' ' end line. */
  sep: '-' | '+' | ' ';
  text: string;
  /** Body of a '+' line: dot-unstuffed, lines joined with '\n'. */
  data?: string;
}

export interface ControlReply {
  code: number;
  lines: ReplyLine[];
}

export interface ReplyParserLimits {
  maxLineBytes: number;
  maxReplyBytes: number;
}

const DEFAULT_LIMITS: ReplyParserLimits = { maxLineBytes: 1 << 20, maxReplyBytes: 64 << 20 };
const LINE_RE = /^([0-9]{3})([ +-])(.*)$/s;

export class ReplyParser {
  private partial: Buffer[] = [];
  private partialLen = 0;
  private lines: ReplyLine[] = [];
  private replyBytes = 0;
  private dataHead: { code: number; text: string } | undefined;
  private dataLines: string[] = [];
  private readonly limits: ReplyParserLimits;

  constructor(
    private readonly onReply: (reply: ControlReply) => void,
    limits: Partial<ReplyParserLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Feeds bytes; throws TorControlProtocolError on malformed input (the connection is then unusable). */
  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      const raw = this.partialLen === 0 ? piece : Buffer.concat([...this.partial, piece]);
      this.partial = [];
      this.partialLen = 0;
      this.checkLineLength(raw.length);
      const end = raw.length > 0 && raw[raw.length - 1] === 0x0d ? raw.length - 1 : raw.length;
      this.onLine(raw.toString('utf8', 0, end));
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.partial.push(rest);
      this.partialLen += rest.length;
      this.checkLineLength(this.partialLen);
    }
  }

  private checkLineLength(n: number): void {
    if (n > this.limits.maxLineBytes) {
      throw new TorControlProtocolError(`control reply line longer than ${this.limits.maxLineBytes} bytes`);
    }
  }

  private onLine(line: string): void {
    this.replyBytes += line.length + 2;
    if (this.replyBytes > this.limits.maxReplyBytes) {
      throw new TorControlProtocolError(`control reply larger than ${this.limits.maxReplyBytes} bytes`);
    }
    if (this.dataHead) {
      if (line === '.') {
        this.lines.push({ ...this.dataHead, sep: '+', data: this.dataLines.join('\n') });
        this.dataHead = undefined;
        this.dataLines = [];
      } else {
        this.dataLines.push(line.startsWith('.') ? line.slice(1) : line);
      }
      return;
    }
    const m = LINE_RE.exec(line);
    if (!m) throw new TorControlProtocolError(`malformed control reply line: ${JSON.stringify(line.slice(0, 80))}`);
    const code = Number(m[1]);
    const sep = m[2] as ReplyLine['sep'];
    const text = m[3] ?? '';
    if (sep === '+') {
      this.dataHead = { code, text };
      return;
    }
    this.lines.push({ code, sep, text });
    if (sep === ' ') {
      const reply: ControlReply = { code, lines: this.lines };
      this.lines = [];
      this.replyBytes = 0;
      this.onReply(reply);
    }
  }
}

/** The text of a reply's last line, e.g. "OK" or an error message. */
export function replyMessage(reply: ControlReply): string {
  return reply.lines[reply.lines.length - 1]?.text ?? '';
}
