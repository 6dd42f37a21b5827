/** /health (JSON) and /metrics (Prometheus) over node:http; meant for a loopback address. */
import http from 'node:http';
import type { Logger } from 'pino';
import type { ListenAddress } from '../transport/types.js';
import { createMetricsRegistry } from './metrics.js';
import { healthBody, type HealthSource } from './health.js';
import { errorMessage } from './log-util.js';

export interface HttpEndpoint {
  address: ListenAddress;
  close(): Promise<void>;
}

export async function startHttpEndpoint(bind: { host: string; port: number }, src: HealthSource, logger: Logger): Promise<HttpEndpoint> {
  const metrics = createMetricsRegistry(src);
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (url === '/health') {
      const body = healthBody(src);
      res.writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    } else if (url === '/metrics') {
      metrics.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        (e: unknown) => {
          logger.error({ err: errorMessage(e) }, 'metrics collection failed');
          res.writeHead(500).end();
        },
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: bind.host, port: bind.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err: err.message }, 'http server error'));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('http endpoint has no TCP address');
  logger.info({ http: `${a.address}:${a.port}` }, 'http endpoint listening');
  return {
    address: { host: a.address, port: a.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
