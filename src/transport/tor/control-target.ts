/** Where a tor control port lives: TCP host:port or a Unix socket. */
import { z } from 'zod';
import { TorSetupError } from './errors.js';

export type ControlTarget = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

const portSchema = z.coerce.number().int().min(1).max(65535);

/** Parses `HOST:PORT`, `[IPv6]:PORT` or `unix:PATH` (the --tor-control flag syntax). */
export function parseControlTarget(spec: string): ControlTarget {
  if (spec.startsWith('unix:')) {
    const path = spec.slice(5);
    if (path.length === 0) throw new TorSetupError(`--tor-control "${spec}": empty Unix socket path`);
    return { kind: 'unix', path };
  }
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):([0-9]+)$/.exec(spec);
  const port = portSchema.safeParse(m?.[3]);
  const host = m?.[1] ?? m?.[2];
  if (!m || !host || !port.success) {
    throw new TorSetupError(`--tor-control "${spec}": expected HOST:PORT (e.g. 127.0.0.1:9051) or unix:PATH`);
  }
  return { kind: 'tcp', host, port: port.data };
}

export function describeControlTarget(t: ControlTarget): string {
  return t.kind === 'unix' ? `unix:${t.path}` : `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}
