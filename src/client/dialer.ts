/** How a client reaches a directory: plain TCP (loopback tests) or Tor's SOCKS5 port. */
import net from 'node:net';

export type Dialer = (host: string, port: number) => Promise<net.Socket>;

/** Plain TCP; resolves once connected. Timeouts are applied by the caller. */
export const tcpDialer: Dialer = (host, port) =>
  new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const onError = (err: Error): void => {
      sock.destroy();
      reject(err);
    };
    sock.once('error', onError);
    sock.once('connect', () => {
      sock.off('error', onError);
      resolve(sock);
    });
  });

export interface HostPort {
  host: string;
  port: number;
}

/** Parses "host:port" (IPv6 in brackets allowed). Throws a readable error. */
export function parseHostPort(s: string, defaultPort?: number): HostPort {
  const t = s.trim();
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s\[\]]+))(?::([0-9]{1,5}))?$/.exec(t);
  if (!m) throw new Error(`not a HOST:PORT: "${s}"`);
  const host = m[1] ?? m[2]!;
  const port = m[3] !== undefined ? Number(m[3]) : defaultPort;
  if (port === undefined) throw new Error(`missing port in "${s}"`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad port in "${s}"`);
  return { host, port };
}
