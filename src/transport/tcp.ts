/** Plain TCP listener (loopback mode, and the local end of a Tor onion service). */
import net from 'node:net';
import type { InboundSocket, ListenAddress, Listener } from './types.js';

export interface TcpListenerOptions {
  host: string;
  port: number;
  /** Kernel accept queue; large so connection bursts are not refused (capped by somaxconn). */
  backlog?: number;
  /** Called for server-level errors after listening started (e.g. EMFILE on accept). */
  onError?: (err: Error) => void;
}

export const DEFAULT_BACKLOG = 8192;

export class TcpListener implements Listener {
  private server: net.Server | null = null;

  constructor(private readonly opts: TcpListenerOptions) {}

  listen(onConnection: (socket: InboundSocket) => void): Promise<ListenAddress> {
    if (this.server) return Promise.reject(new Error('listener already started'));
    const server = net.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }, onConnection);
    this.server = server;
    return new Promise((resolve, reject) => {
      const fail = (err: Error): void => {
        this.server = null;
        reject(err);
      };
      server.once('error', fail);
      server.listen({ host: this.opts.host, port: this.opts.port, backlog: this.opts.backlog ?? DEFAULT_BACKLOG }, () => {
        server.off('error', fail);
        server.on('error', (err) => this.opts.onError?.(err));
        const a = server.address();
        if (a === null || typeof a === 'string') return reject(new Error('listener has no TCP address'));
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    // net.Server.close() waits for open sockets; the directory closes those itself.
    return new Promise((resolve) => {
      server.close(() => resolve());
    });
  }
}
