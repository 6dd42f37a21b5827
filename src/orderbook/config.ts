/** jm-orderbook configuration: command-line values validated with zod into one typed object. */
import { z } from 'zod';
import { parseHostPort, type HostPort } from '../client/dialer.js';
import { NETWORKS } from '../protocol/handshake.js';
import { DirectoryListError, resolveClientNetwork, type ClientNetworkSettings } from '../client/directory-list.js';
import { clientDataDir } from '../util/data-dir.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const hostPort = (flag: string, defaultPort?: number) =>
  z.string().transform((s, ctx): HostPort => {
    try {
      return parseHostPort(s, defaultPort);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `${flag}: ${(e as Error).message}` });
      return z.NEVER;
    }
  });

const loopbackHttp = hostPort('--http').refine((a) => a.port > 0, '--http: port required');

export const RawOptionsSchema = z.object({
  directory: z.string().optional(),
  transport: z.enum(['tcp', 'tor'], { error: '--transport must be tcp or tor' }).optional(),
  wireNetwork: z.enum(NETWORKS, { error: `--wire-network must be one of ${NETWORKS.join(', ')}` }).optional(),
  dataDir: z.string().min(1).optional(),
  socks: z.string().default('127.0.0.1:9050'),
  network: z.enum(NETWORKS, { error: `--network must be one of ${NETWORKS.join(', ')}` }),
  http: z.string().default('127.0.0.1:62601'),
  rpcUrl: z.string().url('--rpc-url must be a URL').optional(),
  rpcUser: z.string().optional(),
  rpcPassword: z.string().optional(),
  rpcCookie: z.string().optional(),
  wait: z.coerce.number({ error: '--wait must be a number of seconds' }).positive('--wait must be > 0').max(3600).default(15),
  refresh: z.coerce.number({ error: '--refresh must be minutes' }).min(1, '--refresh must be at least 1 minute').max(1440).default(15),
  json: z.boolean().default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
});

export interface OrderbookConfig {
  directories: HostPort[];
  /** Where the directories came from ("--directory", "JM_DIRECTORIES", a list file, "built-in list"). */
  directorySource: string;
  /** Listed directories left out because they are retired. */
  skippedDirectories: string[];
  /** The network string of the handshake (--wire-network, default --network). */
  wireNetwork: (typeof NETWORKS)[number];
  dataDir: string;
  transport: 'tcp' | 'tor';
  socks: HostPort;
  network: (typeof NETWORKS)[number];
  http: HostPort;
  rpc: { url: string; auth: { user: string; password: string } | { cookieFile: string } } | null;
  waitMs: number;
  refreshMs: number;
  json: boolean;
  logLevel: z.infer<typeof RawOptionsSchema>['logLevel'];
}

/** Validates commander's option object; throws ConfigError with one readable line. */
export function resolveConfig(raw: Record<string, unknown>, env: Readonly<Record<string, string | undefined>> = process.env): OrderbookConfig {
  const r = RawOptionsSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(r.error.issues[0]?.message ?? 'invalid options');
  const o = r.data;
  const dataDir = clientDataDir(o.dataDir, env);
  let net: ClientNetworkSettings;
  try {
    net = resolveClientNetwork({ network: o.network, wireNetwork: o.wireNetwork, transport: o.transport, directory: o.directory, dataDir }, env);
  } catch (e) {
    if (e instanceof DirectoryListError) throw new ConfigError(e.message);
    throw e;
  }
  const socks = hostPort('--socks').safeParse(o.socks);
  if (!socks.success) throw new ConfigError(socks.error.issues[0]!.message);
  const http = loopbackHttp.safeParse(o.http);
  if (!http.success) throw new ConfigError(http.error.issues[0]!.message);
  let rpc: OrderbookConfig['rpc'] = null;
  if (o.rpcUrl !== undefined) {
    if (o.rpcCookie !== undefined) rpc = { url: o.rpcUrl, auth: { cookieFile: o.rpcCookie } };
    else if (o.rpcUser !== undefined && o.rpcPassword !== undefined) rpc = { url: o.rpcUrl, auth: { user: o.rpcUser, password: o.rpcPassword } };
    else throw new ConfigError('--rpc-url needs --rpc-user and --rpc-password, or --rpc-cookie');
  } else if (o.rpcUser !== undefined || o.rpcPassword !== undefined || o.rpcCookie !== undefined) {
    throw new ConfigError('RPC credentials given without --rpc-url');
  }
  return {
    directories: net.directories.map(({ host, port }) => ({ host, port })), directorySource: net.source,
    skippedDirectories: net.skipped.map((d) => `${d.host}:${d.port} (${d.reason})`), wireNetwork: net.wireNetwork, dataDir,
    transport: net.transport, socks: socks.data, network: o.network, http: http.data, rpc,
    waitMs: Math.round(o.wait * 1000), refreshMs: Math.round(o.refresh * 60_000), json: o.json, logLevel: o.logLevel,
  };
}
