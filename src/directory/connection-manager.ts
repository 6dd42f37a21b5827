/**
 * Admission stage 1 and the byte level: accepts sockets (pending-handshake cap), splits lines,
 * batches writes per event-loop turn, cuts off slow readers and closes connections.
 * Socket listeners are shared functions; a symbol on the socket leads back to its connection.
 */
import type { Logger } from 'pino';
import type { Clock } from '../util/clock.js';
import type { InboundSocket, ListenAddress, Listener } from '../transport/types.js';
import type { DirectoryLimits } from './limits.js';
import { ConnState, PeerConnection } from './peer-connection.js';
import type { DirectoryStats } from './stats.js';
import { errorMessage } from './log-util.js';

export interface ConnectionHandler {
  /** One complete line from a connection that is not closing. */
  onLine(conn: PeerConnection, text: string, now: number): void;
  /** Called once when a connection starts closing (or is gone): unregister it. */
  onRetire(conn: PeerConnection): void;
}

export interface ConnectionManagerOptions {
  listener: Listener;
  clock: Clock;
  logger: Logger;
  limits: Pick<DirectoryLimits, 'maxPending' | 'writeHighWaterBytes' | 'closeGraceMs'>;
  stats: DirectoryStats;
  handler: ConnectionHandler;
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
  private nextId = 1;
  private queue: PeerConnection[] = [];
  private flushScheduled = false;
  private stopping = false;
  private allClosed: (() => void) | null = null;
  private readonly onData: (this: TaggedSocket, chunk: Buffer) => void;
  private readonly onClose: (this: TaggedSocket) => void;
  private readonly onError: (this: TaggedSocket, err: Error) => void;

  constructor(private readonly o: ConnectionManagerOptions) {
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

  start(): Promise<ListenAddress> {
    return this.o.listener.listen((s) => this.accept(s));
  }

  accept(socket: InboundSocket): void {
    if (this.stopping || this.pending.size >= this.o.limits.maxPending) {
      this.o.stats.connectionsRefused++;
      this.o.logger.warn({ remote: `${socket.remoteAddress}:${socket.remotePort}`, pending: this.pending.size }, 'connection refused: too many pending handshakes');
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    const conn = new PeerConnection(this.nextId++, socket, this.o.clock.now());
    (socket as TaggedSocket)[CONN] = conn;
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
    this.all.add(conn);
    this.pending.add(conn);
    this.o.stats.connectionsAccepted++;
    this.o.logger.info({ conn: conn.id, remote: conn.remote }, 'connect');
  }

  private handleData(conn: PeerConnection, chunk: Buffer): void {
    this.o.stats.bytesIn += chunk.length;
    if (conn.state >= ConnState.Closing) return;
    const now = this.o.clock.now();
    for (const ev of conn.splitter.push(chunk)) {
      if (conn.state >= ConnState.Closing) return;
      if (ev.kind === 'oversize') {
        this.close(conn, `oversize line (${ev.bytes} bytes)`, 'oversize');
        return;
      }
      try {
        this.o.handler.onLine(conn, ev.text, now);
      } catch (e) {
        // A bug triggered by one peer's input must not take the directory down.
        this.o.logger.error({ conn: conn.id, err: errorMessage(e) }, 'internal error handling a line');
        this.close(conn, 'internal error', 'internal');
      }
    }
  }

  /** The connection finished its handshake. */
  markReady(conn: PeerConnection): void {
    this.pending.delete(conn);
    conn.state = ConnState.Ready;
  }

  /** Queues a buffer; all queued buffers go out in one write per connection per turn. */
  send(conn: PeerConnection, buf: Buffer): void {
    if (conn.state >= ConnState.Closing) return;
    const p = conn.pending;
    if (p === null) conn.pending = [buf];
    else p.push(buf);
    conn.pendingBytes += buf.length;
    this.o.stats.deliveries++;
    if (!conn.queued) {
      conn.queued = true;
      this.queue.push(conn);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const q = this.queue;
    this.queue = [];
    for (const c of q) {
      c.queued = false;
      this.flushConn(c);
    }
  };

  private flushConn(c: PeerConnection): void {
    const p = c.pending;
    if (p === null || p.length === 0) return;
    const bytes = c.pendingBytes;
    const data = p.length === 1 ? p[0]! : Buffer.concat(p, bytes);
    p.length = 0;
    c.pendingBytes = 0;
    if (c.state >= ConnState.Closed || c.socket.destroyed) return;
    // What is still unsent from earlier turns is what the peer failed to read.
    if (c.socket.writableLength > this.o.limits.writeHighWaterBytes) {
      this.o.stats.slowReaderDisconnects++;
      this.close(c, `slow reader: ${c.socket.writableLength} bytes unsent`, 'slow-reader');
      return;
    }
    this.o.stats.bytesOut += bytes;
    c.socket.write(data);
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
      this.flushConn(conn);
      conn.state = ConnState.Closing;
      conn.closingSince = this.o.clock.now();
      this.closing.add(conn);
      conn.socket.end();
    } else {
      conn.state = ConnState.Closing;
      conn.socket.destroy();
    }
  }

  private retire(conn: PeerConnection): void {
    this.pending.delete(conn);
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
    this.all.delete(conn);
    this.closing.delete(conn);
    this.o.logger.info({ conn: conn.id, remote: conn.remote, nick: conn.nick || undefined, reason: conn.closeReason }, 'disconnect');
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
  }
}
