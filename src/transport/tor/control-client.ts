/**
 * Minimal tor control-port client: strict FIFO reply matching, async events on an emitter,
 * per-command timeouts, typed errors. Commands are serialised by tor, so the n-th reply
 * always belongs to the n-th command sent.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Clock, Timer } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import {
  TorControlClosedError,
  TorControlProtocolError,
  TorControlReplyError,
  TorControlTimeoutError,
} from './errors.js';
import { describeControlTarget, type ControlTarget } from './control-target.js';
import { ReplyParser, replyMessage, type ControlReply, type ReplyLine } from './reply-parser.js';

export interface TorEvent {
  /** Event name, e.g. "HS_DESC", "STATUS_CLIENT". */
  type: string;
  /** Rest of the first line after the event name. */
  text: string;
  lines: ReplyLine[];
}

export interface ControlClientOptions {
  clock: Clock;
  logger: Logger;
  /** Default per-command timeout. */
  commandTimeoutMs?: number;
}

interface Pending {
  command: string;
  resolve: (r: ControlReply) => void;
  reject: (e: Error) => void;
  timer: Timer | undefined;
  /** Timed out already: its reply is still consumed (FIFO) but dropped. */
  abandoned: boolean;
}

type ClientEvents = { event: [TorEvent]; close: [Error | undefined] };

/** First word of a command, for error messages (never the arguments: they may hold secrets). */
function verb(command: string): string {
  return command.split(' ', 1)[0] ?? command;
}

export class TorControlClient extends EventEmitter<ClientEvents> {
  private readonly queue: Pending[] = [];
  private readonly parser: ReplyParser;
  private readonly timeoutMs: number;
  private closeError: Error | undefined;
  private isClosed = false;

  constructor(
    private readonly socket: Duplex,
    private readonly opts: ControlClientOptions,
  ) {
    super();
    this.timeoutMs = opts.commandTimeoutMs ?? 30_000;
    this.parser = new ReplyParser((r) => this.onReply(r));
    socket.on('data', (chunk: Buffer) => {
      try {
        this.parser.push(chunk);
      } catch (err) {
        this.fail(err instanceof Error ? err : new TorControlProtocolError(String(err)));
      }
    });
    socket.on('error', (err) => {
      this.closeError ??= new TorControlClosedError(`tor control connection failed: ${err.message}`, { cause: err });
    });
    socket.on('close', () => this.onClose());
  }

  /** Opens a control connection (not yet authenticated). */
  static connect(target: ControlTarget, opts: ControlClientOptions & { connectTimeoutMs?: number }): Promise<TorControlClient> {
    const where = describeControlTarget(target);
    return new Promise((resolve, reject) => {
      const socket =
        target.kind === 'unix' ? net.connect({ path: target.path }) : net.connect({ host: target.host, port: target.port });
      const timer = opts.clock.setTimeout(() => {
        socket.destroy();
        reject(new TorControlTimeoutError(`timed out connecting to tor control port ${where}`));
      }, opts.connectTimeoutMs ?? 10_000);
      socket.once('error', (err: NodeJS.ErrnoException) => {
        opts.clock.clearTimeout(timer);
        const hint = err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? ' (is tor running with ControlPort/ControlSocket enabled?)' : '';
        reject(new TorControlClosedError(`cannot connect to tor control port ${where}: ${err.message}${hint}`, { cause: err }));
      });
      socket.once('connect', () => {
        opts.clock.clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new TorControlClient(socket, opts));
      });
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Number of commands awaiting a reply (including timed-out ones whose reply is still due). */
  get pendingCount(): number {
    return this.queue.length;
  }

  /**
   * Sends one command line and resolves with its reply; rejects with TorControlReplyError on 4xx/5xx,
   * TorControlTimeoutError, or TorControlClosedError.
   */
  command(line: string, opts: { timeoutMs?: number } = {}): Promise<ControlReply> {
    if (/[\r\n]/.test(line)) return Promise.reject(new TorControlProtocolError('control command must be a single line'));
    if (this.isClosed) {
      return Promise.reject(this.closeError ?? new TorControlClosedError(`tor control connection is closed (${verb(line)})`));
    }
    return new Promise((resolve, reject) => {
      const p: Pending = { command: verb(line), resolve, reject, timer: undefined, abandoned: false };
      const ms = opts.timeoutMs ?? this.timeoutMs;
      p.timer = this.opts.clock.setTimeout(() => {
        p.abandoned = true;
        p.timer = undefined;
        reject(new TorControlTimeoutError(`no reply from tor to ${p.command} within ${ms} ms`));
      }, ms);
      this.queue.push(p);
      this.socket.write(`${line}\r\n`);
    });
  }

  /** Closes the connection (QUIT if possible); pending commands are rejected. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    const closed = new Promise<void>((r) => this.once('close', () => r()));
    this.command('QUIT', { timeoutMs: 2000 }).catch(() => undefined);
    const t = this.opts.clock.setTimeout(() => this.socket.destroy(), 2000);
    this.socket.end();
    await closed;
    this.opts.clock.clearTimeout(t);
  }

  /** Drops the connection at once (tests, fatal errors). */
  destroy(): void {
    this.socket.destroy();
  }

  private onReply(reply: ControlReply): void {
    if (reply.code >= 600 && reply.code < 700) {
      const first = reply.lines[0]?.text ?? '';
      const sp = first.indexOf(' ');
      const event: TorEvent = {
        type: sp < 0 ? first : first.slice(0, sp),
        text: sp < 0 ? '' : first.slice(sp + 1),
        lines: reply.lines,
      };
      this.emit('event', event);
      return;
    }
    const p = this.queue.shift();
    if (!p) {
      this.fail(new TorControlProtocolError(`unsolicited control reply: ${reply.code} ${replyMessage(reply)}`));
      return;
    }
    if (p.timer !== undefined) this.opts.clock.clearTimeout(p.timer);
    if (p.abandoned) return;
    if (reply.code >= 400) p.reject(new TorControlReplyError(p.command, reply.code, replyMessage(reply)));
    else p.resolve(reply);
  }

  private fail(err: Error): void {
    this.opts.logger.warn({ err: err.message }, 'tor control connection error; closing');
    this.closeError ??= err;
    this.socket.destroy();
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const err = this.closeError ?? new TorControlClosedError('tor control connection closed');
    for (const p of this.queue.splice(0)) {
      if (p.timer !== undefined) this.opts.clock.clearTimeout(p.timer);
      if (!p.abandoned) p.reject(new TorControlClosedError(`tor control connection closed before ${p.command} was answered`, { cause: err }));
    }
    this.emit('close', this.closeError);
  }
}
