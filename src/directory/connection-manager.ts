/**
 * Admission stage 1 and the byte level: accepts sockets (pending-handshake cap: a newcomer at
 * the cap closes the oldest pending socket; above half of it the handshake deadline is short), splits lines,
 * batches writes per event-loop turn, cuts off slow readers and closes connections.
 * Socket listeners are shared functions; a symbol on the socket leads back to its connection.
 *
 * Broadcasts (to every ready connection) are collected per turn and written as one shared
 * Buffer to each ready connection that got nothing else. A connection that also gets direct
 * sends, sent one of the broadcasts, or became ready mid-turn is "mixed": it copies the turn's
 * broadcasts into its own queue in order (catchUp), so its byte order is what it would be with
 * one queue per connection.
 *
 * A peer more than the soft mark behind is skipped by peers' broadcasts and gets no relayed
 * privmsgs (the router asks hasRoom; both counted) instead of being cut, and is cut only when
 * it takes nothing for the stall time: what other peers send cannot get it cut. The DN's own
 * output (notices, replies to its requests) still queues up to the high-water mark, and a peer
 * over that is cut as before.
 */
import type { Logger } from 'pino';
import type { Clock } from '../util/clock.js';
import type { InboundSocket, ListenAddress, Listener } from '../transport/types.js';
import type { DirectoryLimits } from './limits.js';
import { ConnState, PeerConnection } from './peer-connection.js';
import type { DirectoryStats } from './stats.js';
import { errorMessage } from './log-util.js';
import { InputGuard } from './input-guard.js';
import { OutputGuard } from './output-guard.js';
import { LogThrottle } from '../util/log-throttle.js';

export interface ConnectionHandler {
  /** One complete line (bytes without terminator) from a connection that is not closing. */
  onLine(conn: PeerConnection, data: Buffer, now: number): void;
  /** Called once when a connection starts closing (or is gone): unregister it. */
  onRetire(conn: PeerConnection): void;
}

export interface ConnectionManagerOptions {
  listener: Listener;
  clock: Clock;
  logger: Logger;
  limits: Pick<
    DirectoryLimits,
    | 'maxPending' | 'handshakeTimeoutMs' | 'handshakePressureTimeoutMs' | 'connectionLogLinesPerMin'
    | 'writeHighWaterBytes' | 'writeSoftMarkBytes' | 'slowReaderStallMs' | 'closeGraceMs' | 'lineTimeoutMs' | 'inputBudgetBytes' | 'outputBudgetBytes'
  >;
  stats: DirectoryStats;
  handler: ConnectionHandler;
  /**
   * Recipients of broadcasts: exactly the ready connections (the registry's dense array; it
   * may change between turns, and shrinks while a flush closes slow readers).
   */
  audience: readonly PeerConnection[];
}

const CONN = Symbol('jm.connection');
type TaggedSocket = InboundSocket & { [CONN]?: PeerConnection };

export class ConnectionManager {
  /** Every open connection. */
  readonly all = new Set<PeerConnection>();
  /** Connections that have not finished their handshake. */
  readonly pending = new Set<PeerConnection>();
  /** Connections that were ended gracefully and wait for the peer's FIN. */
  readonly closing = new Set<PeerConnection>();
  /** Unterminated lines: bytes held, line deadline, DN-wide budget. */
  readonly input: InputGuard;
  /** Unsent private output: DN-wide budget. */
  readonly output: OutputGuard;
  private nextId = 1;
  private queue: PeerConnection[] = [];
  private flushScheduled = false;
  /** This turn's broadcast lines and their senders (null: from the directory itself). */
  private lines: Buffer[] = [];
  private froms: Array<PeerConnection | null> = [];
  private linesBytes = 0;
  /** This turn's lines from the directory itself (never skipped), and their concat once needed. */
  private dnLines = 0;
  private dnOnly: Buffer | null = null;
  /** Connections now skipped by broadcasts (over the soft mark). */
  private readonly lagging = new Set<PeerConnection>();
  /** Current turn; a connection with `mixedTurn === turn` is flushed from its own queue. */
  private turn = 1;
  private stopping = false;
  /** Peer-driven log lines (connects, disconnects, evictions): counted beyond a burst. */
  private readonly log: LogThrottle;
  private allClosed: (() => void) | null = null;
  private readonly onData: (this: TaggedSocket, chunk: Buffer) => void;
  private readonly onClose: (this: TaggedSocket) => void;
  private readonly onError: (this: TaggedSocket, err: Error) => void;

  constructor(private readonly o: ConnectionManagerOptions) {
    this.input = new InputGuard(o.limits);
    this.output = new OutputGuard(o.limits);
    this.log = new LogThrottle(o.logger, undefined, o.clock);
    const self = this;
    this.onData = function (chunk) {
      const c = this[CONN];
      if (c) self.handleData(c, chunk);
    };
    this.onClose = function () {
      const c = this[CONN];
      if (c) self.finalize(c);
    };
    this.onError = function (err) {
      const c = this[CONN];
      if (c && !c.closeReason) c.closeReason = `socket error: ${(err as NodeJS.ErrnoException).code ?? err.message}`;
    };
  }

  /** Peers now over the soft mark, skipped by broadcasts. */
  get laggingPeers(): number {
    return this.lagging.size;
  }

  start(): Promise<ListenAddress> {
    return this.o.listener.listen((s) => this.accept(s));
  }

  accept(socket: InboundSocket): void {
    if (this.stopping) {
      this.o.stats.connectionsRefused++;
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    const now = this.o.clock.now();
    if (this.pending.size >= this.o.limits.maxPending) this.evictOldestPending(now);
    else if (this.underPressure) this.expirePending(now);
    const conn = new PeerConnection(this.nextId++, socket, now);
    (socket as TaggedSocket)[CONN] = conn;
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
    this.all.add(conn);
    this.pending.add(conn);
    this.o.stats.connectionsAccepted++;
    this.log.note('info', 'connect', { conn: conn.id, remote: conn.remote }, 'connect', this.o.limits.connectionLogLinesPerMin);
  }

  /** More than half of maxPending sockets await a handshake: the short deadline applies. */
  get underPressure(): boolean {
    return this.pending.size * 2 > this.o.limits.maxPending;
  }

  /** The handshake deadline now (shorter under pressure). */
  handshakeDeadlineMs(): number {
    const l = this.o.limits;
    return this.underPressure && l.handshakePressureTimeoutMs > 0 ? Math.min(l.handshakeTimeoutMs || Infinity, l.handshakePressureTimeoutMs) : l.handshakeTimeoutMs;
  }

  /** The cap is full: the oldest pending connection makes room (it had the longest to handshake). */
  private evictOldestPending(now: number): void {
    const oldest = this.pending.values().next().value;
    if (oldest === undefined) return;
    this.o.stats.pendingEvicted++;
    this.log.note('warn', 'pending-evicted', { conn: oldest.id, remote: oldest.remote, ageMs: now - oldest.connectedAt, pending: this.pending.size },
      'pending-handshake cap reached: closed the oldest connection without a handshake');
    this.close(oldest, `evicted: ${this.o.limits.maxPending} connections awaiting a handshake, this the oldest`, 'pending-evicted');
  }

  /**
   * Closes pending connections past the handshake deadline, oldest first (the set is in accept
   * order, so the scan stops at the first one still in time). Nick-auth exchanges have their own.
   */
  private expirePending(now: number): void {
    const deadline = this.handshakeDeadlineMs();
    if (deadline <= 0) return;
    let skipped = 0;
    for (const c of this.pending) {
      if (now - c.connectedAt < deadline) return;
      if (c.auth === null) this.close(c, this.handshakeTimeoutReason(deadline), 'handshake-timeout');
      else if (++skipped > 64) return; // the sweep ends those; an accept never scans far past them
    }
  }

  handshakeTimeoutReason(deadline: number): string {
    return deadline < this.o.limits.handshakeTimeoutMs ? `handshake timeout (${deadline} ms under pressure)` : 'handshake timeout';
  }

  private handleData(conn: PeerConnection, chunk: Buffer): void {
    this.o.stats.bytesIn += chunk.length;
    if (conn.state >= ConnState.Closing) return;
    const now = this.o.clock.now();
    const capacity = conn.splitter.capacity;
    const events = conn.splitter.pushBytes(chunk);
    this.input.track(conn, capacity, events.length > 0, now);
    if (this.input.overBudget) this.shedInput();
    for (const ev of events) {
      if (conn.state >= ConnState.Closing) return;
      if (ev.kind === 'oversize') {
        this.close(conn, `oversize line (${ev.bytes} bytes)`, 'oversize');
        return;
      }
      try {
        this.o.handler.onLine(conn, ev.data, now);
      } catch (e) {
        // A bug triggered by one peer's input must not take the directory down.
        this.o.logger.error({ conn: conn.id, err: errorMessage(e) }, 'internal error handling a line');
        this.close(conn, 'internal error', 'internal');
      }
    }
  }

  /** Cuts the connections with the oldest unterminated lines until the total is in budget. */
  private shedInput(): void {
    const before = this.input.heldBytes;
    let n = 0;
    for (const c of this.input.toShed()) {
      n++;
      this.close(c, `input budget: line unfinished for ${this.o.clock.now() - c.lineStartedAt} ms while ${this.input.heldBytes} bytes were held`, 'input-budget');
    }
    this.o.logger.warn({ heldBytes: before, budget: this.o.limits.inputBudgetBytes, cut: n }, 'input budget exceeded: cut the oldest unfinished lines');
  }

  /** Closes connections whose current line is older than the line timeout (heartbeat sweep). */
  expireLines(now: number): void {
    for (const c of this.input.expired(now)) {
      this.close(c, `line not completed within ${this.o.limits.lineTimeoutMs} ms (${c.splitter.bufferedBytes} bytes held)`, 'line-timeout');
    }
  }

  /** The connection finished its handshake. */
  markReady(conn: PeerConnection): void {
    this.pending.delete(conn);
    this.mix(conn); // skips the broadcasts made before it joined
    conn.state = ConnState.Ready;
  }

  /**
   * Queues a buffer; all queued buffers go out in one write per connection per turn. A
   * connection already over the high-water mark is cut instead.
   */
  send(conn: PeerConnection, buf: Buffer): void {
    if (conn.state >= ConnState.Closing) return;
    this.mix(conn);
    this.catchUp(conn);
    if (conn.state >= ConnState.Closing || this.cutSlowReader(conn)) return;
    this.enqueue(conn, buf);
    this.o.stats.deliveries++;
  }

  /**
   * Whether a peer's queue has room for a relayed privmsg: not over the soft mark. A peer over
   * it is lagging (broadcasts skip it too) and is cut only once it has taken nothing for the
   * stall time, so another peer's privmsgs cannot get it cut by filling its queue.
   */
  hasRoom(conn: PeerConnection): boolean {
    const soft = this.o.limits.writeSoftMarkBytes;
    if (soft === 0 || conn.state !== ConnState.Ready || unsent(conn) <= soft) return true;
    this.lag(conn, 0);
    return false;
  }

  /** Cuts a connection whose unsent output (socket buffer + this turn's queue) is over the high-water mark. */
  private cutSlowReader(c: PeerConnection): boolean {
    const bytes = unsent(c);
    if (bytes <= this.o.limits.writeHighWaterBytes) return false;
    this.o.stats.slowReaderDisconnects++;
    this.close(c, `slow reader: ${bytes} bytes unsent`, 'slow-reader');
    return true;
  }

  /** Queues a buffer for every ready connection except `from` (which may be null). */
  broadcast(buf: Buffer, from: PeerConnection | null): void {
    const n = this.o.audience.length;
    if (n === 0 || (n === 1 && this.o.audience[0] === from)) return;
    this.lines.push(buf);
    this.froms.push(from);
    this.linesBytes += buf.length;
    if (from === null) this.dnLines++;
    this.o.stats.deliveries += from !== null && from.state === ConnState.Ready ? n - 1 : n;
    // The sender must not get its own line: it takes the per-connection path this turn.
    if (from !== null && from.state === ConnState.Ready) this.mix(from);
    this.schedule();
  }

  /** Moves a connection to the per-connection path for this turn. */
  private mix(conn: PeerConnection): void {
    if (conn.mixedTurn === this.turn) return;
    conn.mixedTurn = this.turn;
    // A ready connection has been in the audience for every broadcast of this turn so far.
    conn.lineCursor = conn.state === ConnState.Ready ? 0 : this.lines.length;
    if (!conn.queued) {
      conn.queued = true;
      this.queue.push(conn);
      this.schedule();
    }
  }

  /**
   * Copies the turn's broadcasts this connection has not yet queued (not its own) into its
   * queue, cutting it when that takes it over the high-water mark (unless it is closing anyway).
   */
  private catchUp(conn: PeerConnection, check = true): void {
    const end = this.lines.length;
    const soft = check ? this.o.limits.writeSoftMarkBytes : 0;
    for (let i = conn.lineCursor; i < end; i++) {
      const from = this.froms[i];
      if (from === conn) continue;
      if (from !== null && soft > 0) {
        if (unsent(conn) > soft) {
          if (this.lag(conn, 1)) return;
          continue;
        }
        if (conn.lagging) this.unlag(conn);
      }
      if (check && this.cutSlowReader(conn)) return;
      this.enqueue(conn, this.lines[i]!);
    }
    conn.lineCursor = end;
  }

  /**
   * A peer over the soft mark is skipped by `n` broadcast lines. It is cut once it has taken
   * none of its output for the stall time (returns true): a peer that reads, however slowly,
   * stays and gets the broadcasts made after it caught up.
   */
  private lag(c: PeerConnection, n: number): boolean {
    const now = this.o.clock.now();
    if (!c.lagging) {
      c.lagging = true;
      this.lagging.add(c);
      c.lagSince = now;
      c.lagSent = c.written - c.socket.writableLength;
    } else if (this.stalled(c, now)) return true;
    this.o.stats.broadcastSkipped += n;
    this.o.stats.deliveries -= n;
    return false;
  }

  /** Notes a lagging peer's progress; cuts it (true) when it has taken nothing for the stall time. */
  private stalled(c: PeerConnection, now: number): boolean {
    const sent = c.written - c.socket.writableLength;
    if (sent > c.lagSent) {
      c.lagSince = now;
      c.lagSent = sent;
      return false;
    }
    const stallMs = this.o.limits.slowReaderStallMs;
    if (stallMs === 0 || now - c.lagSince < stallMs) return false;
    this.o.stats.slowReaderDisconnects++;
    this.close(c, `slow reader: took no output for ${now - c.lagSince} ms with ${unsent(c)} bytes unsent`, 'slow-reader');
    return true;
  }

  private unlag(c: PeerConnection): void {
    c.lagging = false;
    this.lagging.delete(c);
  }

  /**
   * Heartbeat sweep: lagging peers that caught up are no longer lagging; those that took
   * nothing for the stall time are cut even when no broadcast came since.
   */
  expireStalled(now: number): void {
    const soft = this.o.limits.writeSoftMarkBytes;
    for (const c of [...this.lagging]) {
      if (unsent(c) <= soft) this.unlag(c);
      else this.stalled(c, now);
    }
  }

  /** The turn's lines from the directory itself, for peers that skip the others. */
  private dnOnlyBuffer(): Buffer {
    if (this.dnOnly === null) {
      const own: Buffer[] = [];
      for (let i = 0; i < this.lines.length; i++) if (this.froms[i] === null) own.push(this.lines[i]!);
      this.dnOnly = own.length === 1 ? own[0]! : Buffer.concat(own);
    }
    return this.dnOnly;
  }

  private enqueue(conn: PeerConnection, buf: Buffer): void {
    const p = conn.pending;
    if (p === null) conn.pending = [buf];
    else p.push(buf);
    conn.pendingBytes += buf.length;
    this.output.recount(conn);
  }

  private schedule(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const q = this.queue;
    this.queue = [];
    const lines = this.lines;
    for (const c of q) {
      c.queued = false;
      if (c.state === ConnState.Ready) this.catchUp(c);
      if (c.state < ConnState.Closing) this.flushConn(c);
    }
    if (lines.length > 0) {
      const shared = lines.length === 1 ? lines[0]! : Buffer.concat(lines, this.linesBytes);
      const turn = this.turn;
      const a = this.o.audience;
      const soft = this.o.limits.writeSoftMarkBytes;
      // Backwards: closing a slow reader swaps the last (already visited) peer into its slot.
      for (let i = a.length - 1; i >= 0; i--) {
        const c = a[i]!;
        if (c.mixedTurn === turn || c.state !== ConnState.Ready) continue;
        // Not mixed: nothing else queued this turn, so the socket holds all that is unsent.
        if (soft > 0 && c.socket.writableLength > soft) this.skipShared(c);
        else {
          if (c.lagging) this.unlag(c);
          this.write(c, shared, shared.length, true);
        }
      }
      this.lines = [];
      this.froms = [];
      this.linesBytes = 0;
      this.dnLines = 0;
      this.dnOnly = null;
    }
    this.turn++;
    if (this.output.overBudget) this.shedOutput();
  };

  /** A lagging peer gets only the directory's own lines of the turn. */
  private skipShared(c: PeerConnection): void {
    if (this.lag(c, this.lines.length - this.dnLines) || this.dnLines === 0) return;
    const own = this.dnOnlyBuffer();
    this.write(c, own, own.length, true);
  }

  /** Cuts the connections holding the most unsent private output until the total is in budget. */
  private shedOutput(): void {
    const before = this.output.total;
    const victims = this.output.toShed();
    for (const c of victims) this.close(c, `output budget: ${c.counted} bytes unsent`, 'output-budget');
    if (victims.length > 0) this.o.logger.warn({ unsentBytes: before, budget: this.o.limits.outputBudgetBytes, cut: victims.length }, 'output budget exceeded: cut the largest queues');
  }

  private flushConn(c: PeerConnection): void {
    const p = c.pending;
    if (p === null || p.length === 0) return;
    const bytes = c.pendingBytes;
    const data = p.length === 1 ? p[0]! : Buffer.concat(p, bytes);
    p.length = 0;
    c.pendingBytes = 0;
    this.write(c, data, bytes, false);
  }

  private write(c: PeerConnection, data: Buffer, bytes: number, shared: boolean): void {
    if (c.state >= ConnState.Closed || c.socket.destroyed) return;
    // What is still unsent from earlier turns is what the peer failed to read.
    if (c.state < ConnState.Closing && this.cutSlowReader(c)) return;
    this.o.stats.bytesOut += bytes;
    c.socket.write(data);
    if (c.state < ConnState.Closing) this.output.wrote(c, bytes, shared);
  }

  /**
   * Starts closing a connection. With `graceful`, queued output (e.g. a rejection reply) is
   * flushed and the socket ended; otherwise it is destroyed at once.
   */
  close(conn: PeerConnection, reason: string, kind: string, graceful = false): void {
    if (conn.state >= ConnState.Closing) return;
    conn.closeReason ||= reason;
    this.o.stats.countDisconnect(kind);
    this.retire(conn);
    if (graceful) {
      if (conn.state === ConnState.Ready) {
        this.mix(conn);
        this.catchUp(conn, false);
      }
      // Closing first: the last flush is not checked against the high-water mark.
      conn.state = ConnState.Closing;
      this.flushConn(conn);
      conn.closingSince = this.o.clock.now();
      this.closing.add(conn);
      conn.socket.end();
    } else {
      conn.state = ConnState.Closing;
      conn.socket.destroy();
    }
    this.output.forget(conn);
  }

  private retire(conn: PeerConnection): void {
    if (conn.lagging) this.unlag(conn);
    this.pending.delete(conn);
    this.input.release(conn);
    this.o.handler.onRetire(conn);
  }

  /** Destroys gracefully closed sockets whose peer never closed its side. */
  reapClosing(now: number): void {
    for (const c of this.closing) if (now - c.closingSince >= this.o.limits.closeGraceMs) c.socket.destroy();
  }

  private finalize(conn: PeerConnection): void {
    if (conn.state === ConnState.Closed) return;
    if (conn.state < ConnState.Closing) {
      conn.closeReason ||= 'peer closed';
      this.o.stats.countDisconnect('peer-closed');
      this.retire(conn);
    }
    conn.state = ConnState.Closed;
    conn.pending = null;
    conn.pendingBytes = 0;
    this.output.forget(conn);
    this.all.delete(conn);
    this.closing.delete(conn);
    this.log.note('info', conn.nick ? 'disconnect' : 'disconnect-unregistered', { conn: conn.id, remote: conn.remote, nick: conn.nick || undefined, reason: conn.closeReason }, 'disconnect', this.o.limits.connectionLogLinesPerMin);
    if (this.all.size === 0 && this.allClosed) this.allClosed();
  }

  /** Stops accepting, ends every connection and resolves when all sockets are closed. */
  async stop(timeoutMs = 2_000): Promise<void> {
    this.stopping = true;
    const listenerClosed = this.o.listener.close();
    if (this.all.size > 0) {
      const done = new Promise<void>((resolve) => (this.allClosed = resolve));
      for (const c of [...this.all]) this.close(c, 'directory shutting down', 'shutdown', true);
      // Real timer on purpose: shutdown must finish even when tests drive a manual clock.
      let t: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (t = setTimeout(resolve, timeoutMs)));
      await Promise.race([done, timeout]);
      clearTimeout(t);
      for (const c of [...this.all]) c.socket.destroy();
      if (this.all.size > 0) await done;
    }
    await listenerClosed;
    this.log.close();
  }
}

/** A connection's output not yet taken by the peer: the socket's buffer plus this turn's queue. */
function unsent(c: PeerConnection): number {
  return c.socket.writableLength + c.pendingBytes;
}
