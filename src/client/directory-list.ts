/**
 * Which directories a client dials. Precedence: `--directory`, then the JM_DIRECTORIES
 * variable, then the user's list file (`<data dir>/directories.json`, per network), then the
 * list built into the package (`directories.json` next to this module). Addresses on the
 * retired list (built-in plus the user file's) are never dialled.
 *
 * The same JSON document format serves the built-in list, the user file and a list fetched by
 * `jm-orderbook directories update`; every copy is validated here before it is used or written.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { NETWORKS, type Network } from '../protocol/handshake.js';
import { isValidOnionV3Host } from '../protocol/onion.js';
import { parseHostPort, type HostPort } from './dialer.js';
import builtin from './directories.json' with { type: 'json' };

export const LIST_FORMAT = 'joinmarket-directories';
export const LIST_FILE_NAME = 'directories.json';
export const DIRECTORIES_ENV = 'JM_DIRECTORIES';
/** A list is a few dozen lines; anything far larger is not one. */
export const MAX_LIST_BYTES = 64 * 1024;
const MAX_PER_NETWORK = 64;
const MAX_RETIRED = 256;

export class DirectoryListError extends Error {
  override readonly name = 'DirectoryListError';
}

export interface ListEntry extends HostPort {
  note?: string;
}
export interface RetiredEntry {
  host: string;
  note?: string;
}
export interface DirectoryList {
  updated?: string;
  comment?: string;
  networks: Partial<Record<Network, ListEntry[]>>;
  retired: RetiredEntry[];
}

const note = z.string().max(200).regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters');
const entry = z.union([z.string().max(300), z.strictObject({ address: z.string().max(300), note: note.optional() })]);
const onionHost = z.string().refine((h) => isValidOnionV3Host(h), 'not a valid v3 onion host (56 base32 chars + .onion, checksum)');

const ListSchema = z.strictObject({
  format: z.literal(LIST_FORMAT, { error: `"format" must be "${LIST_FORMAT}"` }),
  version: z.literal(1, { error: '"version" must be 1' }),
  updated: z.string().regex(/^\d{4}-\d{2}-\d{2}(T[0-9:.]+Z)?$/, 'a date, YYYY-MM-DD').optional(),
  comment: z.string().max(500).optional(),
  networks: z.strictObject(Object.fromEntries(NETWORKS.map((n) => [n, z.array(entry).max(MAX_PER_NETWORK).optional()])) as Record<Network, z.ZodOptional<z.ZodArray<typeof entry>>>),
  retired: z.array(z.strictObject({ host: onionHost, note: note.optional() })).max(MAX_RETIRED).default([]),
});

/** `host[:port]` (port 5222 if omitted), host lowercased; errors name `where`. */
function directoryAddress(address: string, where: string): HostPort {
  try {
    const hp = parseHostPort(address, 5222);
    return { host: hp.host.toLowerCase(), port: hp.port };
  } catch (e) {
    throw new DirectoryListError(`${where}: ${(e as Error).message}`);
  }
}

/**
 * Parses and validates a list document. Public networks take only v3 onion addresses, so a
 * fetched list cannot send anyone to a clearnet host; regtest lists may name any host.
 */
export function parseDirectoryList(text: string, origin: string): DirectoryList {
  if (Buffer.byteLength(text, 'utf8') > MAX_LIST_BYTES) throw new DirectoryListError(`${origin}: larger than ${MAX_LIST_BYTES} bytes; not a directory list`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DirectoryListError(`${origin}: not JSON (${(e as Error).message})`);
  }
  return validateDirectoryList(json, origin);
}

export function validateDirectoryList(json: unknown, origin: string): DirectoryList {
  const r = ListSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new DirectoryListError(`${origin}: ${i ? `${i.path.join('.') || 'document'}: ${i.message}` : 'invalid'}`);
  }
  const networks: DirectoryList['networks'] = {};
  for (const net of NETWORKS) {
    const raw = r.data.networks[net];
    if (raw === undefined) continue;
    const seen = new Set<string>();
    networks[net] = raw.map((e, i) => {
      const where = `${origin}: networks.${net}.${i}`;
      const { address, note: n } = typeof e === 'string' ? { address: e, note: undefined } : e;
      const hp = directoryAddress(address, where);
      if (net !== 'regtest' && !isValidOnionV3Host(hp.host)) throw new DirectoryListError(`${where}: "${address}" is not a v3 onion address (only regtest lists may name other hosts)`);
      const id = `${hp.host}:${hp.port}`;
      if (seen.has(id)) throw new DirectoryListError(`${where}: ${id} listed twice`);
      seen.add(id);
      return n !== undefined ? { ...hp, note: n } : hp;
    });
  }
  return {
    ...(r.data.updated !== undefined ? { updated: r.data.updated } : {}),
    ...(r.data.comment !== undefined ? { comment: r.data.comment } : {}),
    networks,
    retired: r.data.retired.map((x) => ({ ...x, host: x.host.toLowerCase() })),
  };
}

/** The document as written to the user file: validated content only, stable layout. */
export function serializeDirectoryList(l: DirectoryList): string {
  const networks: Record<string, Array<{ address: string; note?: string }>> = {};
  for (const net of NETWORKS) {
    const es = l.networks[net];
    if (es) networks[net] = es.map((e) => ({ address: `${e.host}:${e.port}`, ...(e.note !== undefined ? { note: e.note } : {}) }));
  }
  return JSON.stringify({
    format: LIST_FORMAT, version: 1,
    ...(l.updated !== undefined ? { updated: l.updated } : {}),
    ...(l.comment !== undefined ? { comment: l.comment } : {}),
    networks, retired: l.retired,
  }, null, 2) + '\n';
}

let builtinCache: DirectoryList | null = null;

/** The list shipped in the package. */
export function builtinDirectoryList(): DirectoryList {
  return (builtinCache ??= validateDirectoryList(builtin, 'built-in directory list'));
}

export function userListPath(dataDir: string): string {
  return path.join(dataDir, LIST_FILE_NAME);
}

/** The user's list file, or null if there is none. A file that exists but is invalid is an error. */
export function readUserList(file: string): DirectoryList | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new DirectoryListError(`cannot read ${file}: ${code ?? (e as Error).message}`);
  }
  return parseDirectoryList(text, file);
}

/** Where the chain network alone decides: Tor for every public network, TCP on regtest. */
export function defaultTransport(chainNetwork: string): 'tcp' | 'tor' {
  return chainNetwork === 'regtest' ? 'tcp' : 'tor';
}

export interface DirectorySources {
  /** The wire network: it picks the list. */
  network: Network;
  flag?: string | undefined;
  env?: string | undefined;
  dataDir: string;
  transport: 'tcp' | 'tor';
}

export interface ResolvedDirectories {
  directories: ListEntry[];
  /** "--directory", "JM_DIRECTORIES", the user file's path, or "built-in list". */
  source: string;
  /** Entries of a list skipped because they are retired. */
  skipped: Array<ListEntry & { reason: string }>;
}

function retiredMap(user: DirectoryList | null): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of [...builtinDirectoryList().retired, ...(user?.retired ?? [])]) m.set(r.host, r.note ?? 'retired');
  return m;
}

function parseExplicit(value: string, origin: string, retired: Map<string, string>): ListEntry[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new DirectoryListError(`${origin} is empty`);
  const out = new Map<string, ListEntry>();
  for (const s of items) {
    const hp = directoryAddress(s, origin);
    const why = retired.get(hp.host);
    if (why !== undefined) throw new DirectoryListError(`${origin}: ${hp.host} is a retired directory (${why}) and is never dialled`);
    out.set(`${hp.host}:${hp.port}`, hp);
  }
  return [...out.values()];
}

/** The directories to dial, and where they came from. Reads the user file (small, synchronous). */
export function resolveDirectories(o: DirectorySources): ResolvedDirectories {
  const file = userListPath(o.dataDir);
  // Explicit choices still honour the user file's retired list.
  const user = readUserList(file);
  const retired = retiredMap(user);
  let r: ResolvedDirectories;
  if (o.flag !== undefined) r = { directories: parseExplicit(o.flag, '--directory', retired), source: '--directory', skipped: [] };
  else if (o.env !== undefined && o.env.trim() !== '') r = { directories: parseExplicit(o.env, DIRECTORIES_ENV, retired), source: DIRECTORIES_ENV, skipped: [] };
  else {
    const fromUser = user?.networks[o.network];
    const list = fromUser ?? builtinDirectoryList().networks[o.network] ?? [];
    const source = fromUser ? file : 'built-in list';
    const skipped = list.filter((e) => retired.has(e.host)).map((e) => ({ ...e, reason: `retired: ${retired.get(e.host)!}` }));
    r = { directories: list.filter((e) => !retired.has(e.host)), source, skipped };
    if (r.directories.length === 0) {
      throw new DirectoryListError(`no directories for ${o.network} in the ${fromUser ? `user list ${file}` : 'built-in list'}: give --directory HOST:PORT[,...], set ${DIRECTORIES_ENV}, or list them in ${file}`);
    }
  }
  if (o.transport === 'tcp') {
    const onion = r.directories.find((d) => d.host.endsWith('.onion'));
    if (onion) throw new DirectoryListError(`${onion.host}:${onion.port} (from ${r.source}) is an onion address: use --transport tor`);
  }
  return r;
}

/** Line-by-line differences between two lists ("+"/"-" per network and for the retired list). */
export function diffDirectoryLists(before: DirectoryList | null, after: DirectoryList): string[] {
  const lines: string[] = [];
  const key = (e: HostPort): string => `${e.host}:${e.port}`;
  for (const net of NETWORKS) {
    const a = before?.networks[net];
    const b = after.networks[net];
    if (a === undefined && b === undefined) continue;
    const was = new Map((a ?? []).map((e) => [key(e), e]));
    const now = new Map((b ?? []).map((e) => [key(e), e]));
    for (const [k, e] of was) if (!now.has(k)) lines.push(`- ${net.padEnd(8)} ${k}${e.note ? `  (${e.note})` : ''}`);
    for (const [k, e] of now) if (!was.has(k)) lines.push(`+ ${net.padEnd(8)} ${k}${e.note ? `  (${e.note})` : ''}`);
    if (a !== undefined && b === undefined) lines.push(`- ${net.padEnd(8)} (own list removed: the built-in list applies again)`);
  }
  const rw = new Set((before?.retired ?? []).map((r) => r.host));
  const rn = new Set(after.retired.map((r) => r.host));
  for (const h of rw) if (!rn.has(h)) lines.push(`- retired  ${h}`);
  for (const h of rn) if (!rw.has(h)) lines.push(`+ retired  ${h}`);
  return lines;
}

export interface ClientNetworkOptions {
  /** The chain network (--network). */
  network: string;
  /** The network string of the handshake (--wire-network); default the chain network. */
  wireNetwork?: string | undefined;
  transport?: string | undefined;
  directory?: string | undefined;
  dataDir: string;
}

export interface ClientNetworkSettings extends ResolvedDirectories {
  wireNetwork: Network;
  transport: 'tcp' | 'tor';
}

/** Wire network, transport and directories of a client, from its flags and JM_DIRECTORIES. */
export function resolveClientNetwork(o: ClientNetworkOptions, env: Readonly<Record<string, string | undefined>>): ClientNetworkSettings {
  const wire = o.wireNetwork ?? o.network;
  if (!(NETWORKS as readonly string[]).includes(wire)) throw new DirectoryListError(`--wire-network must be one of ${NETWORKS.join(', ')}`);
  if (o.transport !== undefined && o.transport !== 'tcp' && o.transport !== 'tor') throw new DirectoryListError('--transport must be tcp or tor');
  const transport = (o.transport as 'tcp' | 'tor' | undefined) ?? defaultTransport(o.network);
  const wireNetwork = wire as Network;
  return { wireNetwork, transport, ...resolveDirectories({ network: wireNetwork, flag: o.directory, env: env[DIRECTORIES_ENV], dataDir: o.dataDir, transport }) };
}
