/**
 * The watcher's HTTP layer on node:http (see docs/decisions.md, "Watcher HTTP layer"):
 * GET / (?unit=btc|sat), /api/v1/orderbook, /api/v1/directories, /api/v1/offers.csv, /health,
 * two static assets and the favicon. Loopback by default; strict headers (CSP without inline
 * script or style); anything else is 404/405.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '../util/logger.js';
import { APP_JS } from './app-script.js';
import { HISTORY_CSS, HISTORY_JS } from './history-view.js';
import type { AmountUnit } from '../wallet/format.js';
import { offersCsv, offersCsvName } from './csv.js';
import { FAVICON_SVG, renderPage } from './page.js';
import { STYLE_CSS } from './page-style.js';
import type { ApiDirectories, ApiHealth, ApiOrderbook } from './schema.js';
import type { CachedDocument } from './snapshot-cache.js';

export interface OrderbookSource {
  orderbook(): ApiOrderbook;
  /** A cached orderbook document (the watcher's); without it every request builds one. */
  snapshot?(): CachedDocument<ApiOrderbook>;
  directories(): ApiDirectories;
  health(): ApiHealth;
}

export interface HttpServerOptions {
  host?: string;
  port: number;
  source: OrderbookSource;
  logger?: Logger;
  /** Browser poll interval, seconds. */
  refreshSeconds?: number;
}

export interface RunningHttpServer {
  address: { host: string; port: number };
  url: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

export async function startHttpServer(o: HttpServerOptions): Promise<RunningHttpServer> {
  const log = o.logger ?? silentLogger();
  const refresh = o.refreshSeconds ?? 10;
  const server = http.createServer((req, res) => {
    try {
      route(req, res);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log.error({ err: message, url: req.url }, 'HTTP handler failed');
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: message }));
      else res.destroy();
    }
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;

  function send(res: http.ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': `${type}; charset=utf-8`, 'Content-Length': Buffer.byteLength(body), ...extra });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }
  const json = (res: http.ServerResponse, status: number, v: unknown): void => send(res, status, 'application/json', JSON.stringify(v), { 'Cache-Control': 'no-store' });

  // The page is rendered once per orderbook snapshot and unit, so a flood of requests costs lookups.
  const pages = new Map<AmountUnit, { snap: CachedDocument<ApiOrderbook>; html: string }>();
  const snapshot = (): CachedDocument<ApiOrderbook> => {
    if (o.source.snapshot) return o.source.snapshot();
    const doc = o.source.orderbook();
    return { doc, builtAt: 0, version: 0, get json() { return JSON.stringify(doc); } };
  };
  const pageHtml = (unit: AmountUnit): string => {
    const snap = snapshot();
    let page = pages.get(unit);
    if (page?.snap !== snap) {
      page = { snap, html: renderPage(snap.doc, o.source.directories(), { refreshSeconds: refresh, unit, now: Date.now() }) };
      pages.set(unit, page);
    }
    return page.html;
  };

  function route(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'application/json', JSON.stringify({ error: 'method not allowed' }), { Allow: 'GET, HEAD' });
      return;
    }
    const [path, query = ''] = (req.url ?? '/').split('?');
    switch (path) {
      case '/':
        send(res, 200, 'text/html', pageHtml(new URLSearchParams(query).get('unit') === 'sat' ? 'sat' : 'btc'), { 'Cache-Control': 'no-store' });
        return;
      case '/api/v1/offers.csv': {
        const doc = snapshot().doc;
        send(res, 200, 'text/csv', offersCsv(doc), { 'Cache-Control': 'no-store', 'Content-Disposition': `attachment; filename="${offersCsvName(doc)}"` });
        return;
      }
      case '/favicon.svg':
        send(res, 200, 'image/svg+xml', FAVICON_SVG, { 'Cache-Control': 'max-age=86400' });
        return;
      case '/favicon.ico':
        res.writeHead(301, { ...SECURITY_HEADERS, Location: '/favicon.svg', 'Content-Length': 0 }).end();
        return;
      case '/api/v1/orderbook':
        send(res, 200, 'application/json', snapshot().json, { 'Cache-Control': 'no-store' });
        return;
      case '/api/v1/directories':
        return json(res, 200, o.source.directories());
      case '/health': {
        const h = o.source.health();
        return json(res, h.status === 'down' ? 503 : 200, h);
      }
      case '/assets/app.js':
        send(res, 200, 'text/javascript', APP_JS + HISTORY_JS, { 'Cache-Control': 'max-age=300' });
        return;
      case '/assets/style.css':
        send(res, 200, 'text/css', STYLE_CSS + HISTORY_CSS, { 'Cache-Control': 'max-age=300' });
        return;
      default:
        json(res, 404, { error: 'not found' });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  log.info({ url: `http://${host}:${a.port}/` }, 'orderbook page listening');
  return {
    address: { host: a.address, port: a.port },
    url: `http://${host}:${a.port}/`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
