/**
 * One HTTP(S) GET through tor's SOCKS5 port (socks-proxy-agent, `socks5h`: the host name goes
 * to tor, never to a local resolver, so .onion URLs work and nothing leaks). Bounded: one
 * overall deadline, a body cap, no redirects followed (the caller names the new URL).
 */
import http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { SocksProxyAgent } from 'socks-proxy-agent';

export interface TorGetOptions {
  socksHost: string;
  socksPort: number;
  timeoutMs: number;
  maxBytes: number;
  /** Streams with another id never share a circuit (tor's IsolateSOCKSAuth); default a fresh one. */
  isolationId?: string;
}

export interface TorGetResult {
  status: number;
  contentType: string | null;
  body: string;
}

export class TorHttpError extends Error {
  override readonly name = 'TorHttpError';
}

export function parseHttpUrl(s: string): URL {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new TorHttpError(`not a URL: "${s}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TorHttpError(`only http: and https: URLs, not "${u.protocol}"`);
  if (u.username !== '' || u.password !== '') throw new TorHttpError('URLs with credentials are not accepted');
  return u;
}

export function torGet(url: string, o: TorGetOptions): Promise<TorGetResult> {
  const u = parseHttpUrl(url);
  const isolation = encodeURIComponent(o.isolationId ?? randomBytes(8).toString('hex'));
  const agent = new SocksProxyAgent(`socks5h://${isolation}:x@${o.socksHost.includes(':') ? `[${o.socksHost}]` : o.socksHost}:${o.socksPort}`);
  const get = u.protocol === 'https:' ? https.get : http.get;
  return new Promise<TorGetResult>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, r?: TorGetResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      agent.destroy();
      if (err) reject(err);
      else resolve(r!);
    };
    const req = get(u, { agent, headers: { Accept: 'application/json', 'User-Agent': 'joinmarket-ts' } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        finish(new TorHttpError(`HTTP ${status}: redirected to ${String(res.headers.location ?? '?').slice(0, 200)}; give that URL instead`));
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > o.maxBytes) {
        finish(new TorHttpError(`the response is ${declared} bytes, more than the ${o.maxBytes} accepted`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > o.maxBytes) finish(new TorHttpError(`the response is larger than the ${o.maxBytes} bytes accepted`));
        else chunks.push(c);
      });
      res.on('end', () => finish(null, { status, contentType: res.headers['content-type'] ?? null, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => finish(new TorHttpError(`reading the response failed: ${e.message}`)));
    });
    req.on('error', (e) => finish(new TorHttpError(`cannot fetch ${u.origin} through Tor (SOCKS ${o.socksHost}:${o.socksPort}): ${e.message}`)));
    const timer = setTimeout(() => finish(new TorHttpError(`no complete answer from ${u.origin} within ${Math.round(o.timeoutMs / 1000)} s`)), o.timeoutMs);
  });
}
