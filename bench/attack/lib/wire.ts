/**
 * Raw TCP peers for the attack runner: they speak the wire protocol byte by byte (so they can
 * also break it), count what they receive without keeping it, and record when and how the
 * directory closed them. Thousands of them fit in one process.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { encodeEnvelope } from '../../../src/protocol/framing.js';
import { buildClientHandshake } from '../../../src/protocol/handshake.js';
import { MsgType } from '../../../src/protocol/message-types.js';
import { nickFromPubkeyHex } from '../../../src/protocol/nick.js';
import { NOT_SERVING_ONION } from '../../../src/protocol/onion.js';

/** What peers must never receive: a line longer than this (before CRLF) is over every receiver's limit. */
export const MAX_EMIT_BYTES = 39_998;

/** A fresh, well-formed nick (no key behind it; the directory never checks one). */
export function randomNick(): string {
  return nickFromPubkeyHex(randomBytes(33).toString('hex'));
}

export function handshakeLine(nick: string, network: string, location = NOT_SERVING_ONION): string {
  return encodeEnvelope(MsgType.HANDSHAKE, buildClientHandshake({ nick, network, location }));
}

export interface Waiter {
  pred: (line: string) => boolean;
  resolve: (line: string | null) => void;
  timer: NodeJS.Timeout;
}

export class RawPeer {
  readonly t0 = performance.now();
  /** performance.now() when the socket closed; null while open. */
  closedAt: number | null = null;
  /** We closed it (not the directory). */
  closedByUs = false;
  /** Handshake outcome: null until the 795 arrives. */
  accepted: boolean | null = null;
  lines = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** Longest line received (bytes before the terminator). */
  maxLine = 0;
  /** Lines received longer than MAX_EMIT_BYTES. */
  oversizeLines = 0;
  /** Lines received longer than 8 KiB (relayed attack lines; honest traffic is short). */
  bigLines = 0;
  /** Occurrences of `pattern` in what arrived (set `pattern` first; a split across reads is missed). */
  pattern: Buffer | null = null;
  matches = 0;
  readonly closed: Promise<void>;
  /** Bytes of the unterminated line so far, its start while a waiter may want it, and whether it ends in CR. */
  private partial = 0;
  private carry: Buffer | null = null;
  private partialEndsCr = false;
  private readonly waiters: Waiter[] = [];

  private constructor(readonly socket: net.Socket, readonly nick: string) {
    socket.on('data', (c: Buffer) => this.onData(c));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.closedAt = performance.now();
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.resolve(null);
        }
        resolve();
      });
    });
  }

  /** Opens a socket; resolves once connected (or rejects). */
  static open(port: number, nick = randomNick(), noDelay = true): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port, noDelay }, () => {
        s.off('error', reject);
        resolve(new RawPeer(s, nick));
      });
      s.once('error', reject);
    });
  }

  /** Opens a socket and completes a handshake; `accepted` says how it went. */
  static async joined(port: number, network: string, nick = randomNick(), location?: string, timeoutMs = 10_000): Promise<RawPeer> {
    const p = await RawPeer.open(port, nick);
    await p.handshake(network, location, timeoutMs);
    return p;
  }

  get open(): boolean {
    return this.closedAt === null;
  }

  get closedByDirectory(): boolean {
    return this.closedAt !== null && !this.closedByUs;
  }

  /** Sends the reference handshake; resolves with accepted (false on rejection, close or timeout). */
  async handshake(network: string, location?: string, timeoutMs = 10_000): Promise<boolean> {
    this.write(handshakeLine(this.nick, network, location));
    return this.awaitHandshake(timeoutMs);
  }

  /** Waits for the directory's 795 (after a handshake the caller wrote itself). */
  async awaitHandshake(timeoutMs = 10_000): Promise<boolean> {
    const line = await this.waitFor((l) => l.startsWith(`{"type": ${MsgType.DN_HANDSHAKE},`), timeoutMs);
    this.accepted = line !== null && /\\"accepted\\": true/.test(line);
    return this.accepted;
  }

  write(data: string | Buffer): boolean {
    if (this.closedAt !== null || this.socket.destroyed) return false;
    this.bytesOut += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    return this.socket.write(data);
  }

  send(type: number, line: string): boolean {
    return this.write(encodeEnvelope(type, line));
  }

  pubmsg(body: string): boolean {
    return this.send(MsgType.PUBMSG, `${this.nick}!PUBLIC!${body}`);
  }

  /** Stops reading: the kernel buffers fill, then the directory's output to us queues up. */
  stopReading(): void {
    this.socket.pause();
  }

  /** Reads at a limited pace, like a peer behind Tor: after each chunk (≤ 64 KB), a pause of `ms`. */
  pace(ms: number): void {
    this.socket.on('data', () => {
      this.socket.pause();
      setTimeout(() => this.socket.resume(), ms);
    });
  }

  /**
   * Reads at about `bytesPerSec`: after each chunk, a pause as long as the chunk takes at that
   * rate. Unlike pace(), many small writes cost no more than one big one (a link's limit is bytes).
   */
  paceBytes(bytesPerSec: number): void {
    this.socket.on('data', (chunk: Buffer) => {
      this.socket.pause();
      setTimeout(() => this.socket.resume(), (chunk.length * 1000) / bytesPerSec);
    });
  }

  /** Resolves with the first received line (up to 64 KiB, no terminator) matching pred, or null on timeout/close. */
  waitFor(pred: (line: string) => boolean, timeoutMs = 10_000): Promise<string | null> {
    if (this.closedAt !== null) return Promise.resolve(null);
    return new Promise((resolve) => {
      const w: Waiter = { pred, resolve, timer: setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(null);
      }, timeoutMs) };
      this.waiters.push(w);
    });
  }

  /** PING → PONG: everything the directory sent before it has arrived. Null if it never came. */
  async roundTrip(timeoutMs = 5_000): Promise<number | null> {
    const t = performance.now();
    this.send(MsgType.PING, '');
    const l = await this.waitFor((x) => x === `{"type": ${MsgType.PONG}, "line": ""}`, timeoutMs);
    return l === null ? null : performance.now() - t;
  }

  close(): void {
    if (this.closedAt === null) this.closedByUs = true;
    this.socket.destroy();
  }

  /** Graceful end (FIN), for peers that leave politely. */
  end(): void {
    if (this.closedAt === null) this.closedByUs = true;
    this.socket.end();
  }

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    if (this.pattern) for (let i = chunk.indexOf(this.pattern); i !== -1; i = chunk.indexOf(this.pattern, i + 1)) this.matches++;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      let len = this.partial + (nl - start);
      const hasCr = nl > start ? chunk[nl - 1] === 13 : this.partialEndsCr;
      if (hasCr) len--;
      this.lines++;
      if (len > this.maxLine) this.maxLine = len;
      if (len > MAX_EMIT_BYTES) this.oversizeLines++;
      if (len > 8_192) this.bigLines++;
      if (this.waiters.length > 0 && len <= 65_536) {
        const bytes = this.carry ? Buffer.concat([this.carry, chunk.subarray(start, nl)]) : chunk.subarray(start, nl);
        this.deliver(bytes.toString('utf8', 0, len));
      }
      this.partial = 0;
      this.carry = null;
      this.partialEndsCr = false;
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.length - start;
      this.partial += rest;
      this.partialEndsCr = chunk[chunk.length - 1] === 13;
      // Keep the start of a long line only while someone may want it.
      if (this.waiters.length > 0 && this.partial <= 65_536) this.carry = this.carry ? Buffer.concat([this.carry, chunk.subarray(start)]) : Buffer.from(chunk.subarray(start));
      else this.carry = null;
    }
  }

  private deliver(line: string): void {
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i]!;
      if (!w.pred(line)) continue;
      this.waiters.splice(i, 1);
      clearTimeout(w.timer);
      w.resolve(line);
      return;
    }
  }
}

/** Opens `n` peers `parallel` at a time with `open`; failures are counted, not thrown. */
export async function openMany<T>(n: number, parallel: number, open: (i: number) => Promise<T>): Promise<{ ok: T[]; failed: number }> {
  const ok: T[] = [];
  let failed = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      try {
        ok.push(await open(i));
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
  return { ok, failed };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
