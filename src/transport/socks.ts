/**
 * Raw TCP through tor's SOCKS5 port. The destination host (a .onion) goes to tor as a name and is
 * never resolved locally. Retries only the failures that mean "not reachable yet" (descriptor not
 * yet published, circuit timeout); distinct identities get distinct circuits via SOCKS auth
 * (tor's IsolateSOCKSAuth, on by default).
 */
import type net from 'node:net';
import { SocksClient, type SocksClientOptions } from 'socks';
import { z } from 'zod';
import { systemClock, type Clock } from '../util/clock.js';

export interface DialSocksOptions {
  socksHost: string;
  socksPort: number;
  host: string;
  port: number;
  /** Per attempt: SOCKS handshake plus tor's circuit building (default 60 s). */
  timeoutMs?: number;
  /** Streams with different ids never share a circuit. */
  isolationId?: string;
  /** Extra attempts after a retryable failure (default 0). */
  retries?: number;
  /** First backoff delay, doubled per attempt (default 1 s), capped at maxBackoffMs (default 10 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  clock?: Clock;
  /** Aborts the dial (including backoff waits). */
  signal?: AbortSignal;
  /** Clock time after which no attempt runs: each attempt's timeout is cut to it, no retry starts past it. */
  deadline?: number;
}

export class SocksDialError extends Error {
  constructor(
    message: string,
    /** SOCKS5 reply name ("HostUnreachable", "TTLExpired", ...) when the proxy answered. */
    readonly reply: string | undefined,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SocksDialError';
  }
}

const RETRYABLE = new Set(['HostUnreachable', 'TTLExpired']);

const optionsSchema = z.object({
  socksHost: z.string().min(1),
  socksPort: z.number().int().min(1).max(65535),
  host: z.string().min(1).max(255).regex(/^[A-Za-z0-9.-]+$|^\[?[0-9A-Fa-f:.]+\]?$/, 'not a host name or address'),
  port: z.number().int().min(1).max(65535),
  timeoutMs: z.number().int().positive().optional(),
  isolationId: z.string().min(1).max(255).optional(),
  retries: z.number().int().min(0).max(100).optional(),
});

function socksReplyOf(err: unknown): string | undefined {
  const m = /rejected connection - (\w+)/.exec(err instanceof Error ? err.message : '');
  return m?.[1];
}

function delay(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(t);
      reject(new SocksDialError('dial aborted', undefined, 0));
    };
    const t = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Opens a TCP stream to host:port through a SOCKS5 proxy (tor). */
export async function dialSocks(opts: DialSocksOptions): Promise<net.Socket> {
  const checked = optionsSchema.safeParse({
    socksHost: opts.socksHost,
    socksPort: opts.socksPort,
    host: opts.host,
    port: opts.port,
    timeoutMs: opts.timeoutMs,
    isolationId: opts.isolationId,
    retries: opts.retries,
  });
  if (!checked.success) throw new SocksDialError(`invalid SOCKS dial options: ${z.prettifyError(checked.error)}`, undefined, 0);
  const clock = opts.clock ?? systemClock;
  const retries = opts.retries ?? 0;
  const where = `${opts.host}:${opts.port} via SOCKS ${opts.socksHost}:${opts.socksPort}`;
  const request: SocksClientOptions = {
    proxy: {
      host: opts.socksHost,
      port: opts.socksPort,
      type: 5,
      ...(opts.isolationId !== undefined ? { userId: `jm-${opts.isolationId}`, password: opts.isolationId } : {}),
    },
    command: 'connect',
    destination: { host: opts.host, port: opts.port },
    timeout: opts.timeoutMs ?? 60_000,
  };
  let backoff = opts.backoffMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw new SocksDialError(`dial to ${where} aborted`, undefined, attempt - 1);
    if (opts.deadline !== undefined) {
      const left = opts.deadline - clock.now();
      if (left <= 0) throw new SocksDialError(`cannot reach ${where} before the deadline (${attempt - 1} attempt(s))`, undefined, attempt - 1);
      request.timeout = Math.min(opts.timeoutMs ?? 60_000, left);
    }
    try {
      const { socket } = await SocksClient.createConnection(request);
      return socket;
    } catch (err) {
      const reply = socksReplyOf(err);
      const msg = err instanceof Error ? err.message : String(err);
      if (!reply || !RETRYABLE.has(reply) || attempt > retries) {
        const hint = /ECONNREFUSED/.test(msg) ? ' (is tor running with this SocksPort?)' : '';
        throw new SocksDialError(`cannot reach ${where} after ${attempt} attempt(s): ${msg}${hint}`, reply, attempt, { cause: err });
      }
      await delay(clock, opts.deadline === undefined ? backoff : Math.min(backoff, Math.max(0, opts.deadline - clock.now())), opts.signal);
      backoff = Math.min(backoff * 2, opts.maxBackoffMs ?? 10_000);
    }
  }
}
