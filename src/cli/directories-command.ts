/**
 * `jm-orderbook directories list|check|update`: the directory lists every client dials
 * (src/client/directory-list.ts), a handshake check of each directory, and updating the user's
 * list file from a URL over Tor. Tables on stdout, progress and logs on stderr.
 * Exit codes: 0 ok, 1 failure (nothing reachable, fetch failed, not written), 2 bad usage.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { pino } from 'pino';
import { z } from 'zod';
import { checkDirectories, type DirectoryCheck } from '../client/directory-check.js';
import {
  builtinDirectoryList, defaultTransport, diffDirectoryLists, DirectoryListError, DIRECTORIES_ENV, LIST_FILE_NAME, MAX_LIST_BYTES,
  parseDirectoryList, readUserList, resolveDirectories, serializeDirectoryList, userListPath,
} from '../client/directory-list.js';
import { parseHostPort, tcpDialer, type HostPort } from '../client/dialer.js';
import { NETWORKS } from '../protocol/handshake.js';
import { textTable } from '../orderbook/terminal.js';
import { dialSocks } from '../transport/socks.js';
import { torGet, TorHttpError } from '../transport/http-over-tor.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { CLIENT_DATA_DIR_ENV, clientDataDir } from '../util/data-dir.js';

class UsageError extends Error {}
class RunError extends Error {}

const network = z.enum(NETWORKS, { error: `--network must be one of ${NETWORKS.join(', ')}` });
const seconds = (flag: string, max: number) => z.coerce.number({ error: `${flag} must be seconds` }).positive(`${flag} must be > 0`).max(max, `${flag} must be ≤ ${max}`);
const socksAddr = z.string().transform((s, ctx): HostPort => {
  try {
    return parseHostPort(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `--socks: ${(e as Error).message}` });
    return z.NEVER;
  }
});

function parse<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const r = schema.safeParse(raw);
  if (!r.success) throw new UsageError(r.error.issues[0]?.message ?? 'invalid options');
  return r.data;
}

/** Peer-controlled text (MOTD, rejection reasons) reaches a terminal: no control sequences, one line. */
export function printable(s: string, max: number): string {
  const flat = s.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

const ms = (v: number | null): string => (v === null ? '-' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v} ms`);

export function renderCheckTable(rs: DirectoryCheck[]): string {
  return textTable(
    ['directory', 'status', 'connect', 'handshake', 'peers', 'nick-auth', 'features', 'motd'],
    ['l', 'l', 'r', 'r', 'r', 'l', 'l', 'l'],
    rs.map((r) => [
      r.id,
      r.ok ? 'ok' : printable(r.reachable ? r.error ?? 'failed' : `unreachable: ${r.error ?? '?'}`, 60),
      ms(r.connectMs), ms(r.handshakeMs),
      r.peers ? `${r.peers.total} (${r.peers.serving} serving)` : !r.ok ? '-' : r.peerlistError !== null ? 'no answer' : 'n/a',
      !r.ok ? '-' : r.nickAuth ? 'offered' : 'no',
      r.ok ? r.features.join(',') || '-' : '-',
      r.motd === null ? '-' : printable(r.motd, 60) || '-',
    ]),
  );
}

const listOptions = z.object({ network: network.optional(), dataDir: z.string().min(1).optional(), json: z.boolean().default(false) });

function list(raw: unknown): void {
  const o = parse(listOptions, raw);
  const dataDir = clientDataDir(o.dataDir, process.env);
  const nets = o.network ? [o.network] : [...NETWORKS];
  const out = nets.map((net) => {
    try {
      const r = resolveDirectories({ network: net, env: process.env[DIRECTORIES_ENV], dataDir, transport: 'tor' });
      return { network: net, source: r.source, directories: r.directories.map((d) => ({ address: `${d.host}:${d.port}`, note: d.note ?? null })), skipped: r.skipped.map((d) => `${d.host}:${d.port}`), error: null };
    } catch (e) {
      if (!(e instanceof DirectoryListError)) throw e;
      if (/^no directories for /.test(e.message)) return { network: net, source: null, directories: [], skipped: [], error: 'none listed: give --directory' };
      throw new UsageError(e.message);
    }
  });
  const retired = builtinDirectoryList().retired.concat(readUserList(userListPath(dataDir))?.retired ?? []);
  if (o.json) {
    process.stdout.write(JSON.stringify({ userFile: userListPath(dataDir), networks: out, retired }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`user file: ${userListPath(dataDir)}\n`);
  for (const n of out) {
    process.stdout.write(`\n${n.network} (${n.source ?? n.error})\n`);
    for (const d of n.directories) process.stdout.write(`  ${d.address}${d.note ? `  ${d.note}` : ''}\n`);
    for (const s of n.skipped) process.stdout.write(`  ${s}  skipped: retired\n`);
  }
  process.stdout.write(`\nretired (never dialled)\n${retired.map((r) => `  ${r.host}${r.note ? `  ${r.note}` : ''}`).join('\n')}\n`);
}

const checkOptions = z.object({
  network,
  directory: z.string().optional(),
  transport: z.enum(['tcp', 'tor'], { error: '--transport must be tcp or tor' }).optional(),
  socks: socksAddr.default({ host: '127.0.0.1', port: 9050 }),
  dataDir: z.string().min(1).optional(),
  timeout: seconds('--timeout', 600).optional(),
  json: z.boolean().default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
});

async function check(raw: unknown): Promise<number> {
  const o = parse(checkOptions, raw);
  const transport = o.transport ?? defaultTransport(o.network);
  let dirs;
  try {
    dirs = resolveDirectories({ network: o.network, flag: o.directory, env: process.env[DIRECTORIES_ENV], dataDir: clientDataDir(o.dataDir, process.env), transport });
  } catch (e) {
    if (e instanceof DirectoryListError) throw new UsageError(e.message);
    throw e;
  }
  const timeoutMs = Math.round((o.timeout ?? (transport === 'tor' ? 120 : 15)) * 1000);
  const log = pino({ name: 'jm-orderbook', level: o.logLevel }, pino.destination(2));
  const n = dirs.directories.length;
  process.stderr.write(`checking ${n} ${o.network} director${n === 1 ? 'y' : 'ies'} from ${dirs.source} over ${transport === 'tor' ? `Tor (SOCKS ${o.socks.host}:${o.socks.port})` : 'TCP'}, timeout ${timeoutMs / 1000} s\n`);
  let done = 0;
  const results = await checkDirectories(dirs.directories, {
    network: o.network, timeoutMs, logger: log,
    dialerFor: () => {
      if (transport === 'tcp') return tcpDialer;
      // Its own circuit per directory (tor's IsolateSOCKSAuth).
      const isolationId = randomBytes(8).toString('hex');
      return (host, port) => dialSocks({ socksHost: o.socks.host, socksPort: o.socks.port, host, port, timeoutMs, isolationId, retries: 1 });
    },
  }, (r) => process.stderr.write(`[${++done}/${n}] ${r.id}: ${r.ok ? `ok in ${ms(r.handshakeMs)}` : printable(r.error ?? 'failed', 80)}\n`));
  const ok = results.filter((r) => r.ok).length;
  if (o.json) process.stdout.write(JSON.stringify({ apiVersion: 1, network: o.network, checkedAt: new Date().toISOString(), source: dirs.source, directories: results }, null, 2) + '\n');
  else process.stdout.write(`${renderCheckTable(results)}\n\n${ok} of ${n} answered the handshake\n`);
  return ok > 0 ? 0 : 1;
}

const updateOptions = z.object({
  url: z.string({ error: '--url is required' }).min(1),
  socks: socksAddr.default({ host: '127.0.0.1', port: 9050 }),
  dataDir: z.string().min(1).optional(),
  timeout: seconds('--timeout', 600).default(120),
  yes: z.boolean().default(false),
});

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

async function update(raw: unknown): Promise<number> {
  const o = parse(updateOptions, raw);
  const file = userListPath(clientDataDir(o.dataDir, process.env));
  let current;
  try {
    current = readUserList(file);
  } catch (e) {
    // A broken file is replaced; say so.
    process.stderr.write(`note: the current ${file} is unusable (${(e as Error).message}); it will be replaced\n`);
    current = null;
  }
  process.stderr.write(`fetching ${o.url} through Tor (SOCKS ${o.socks.host}:${o.socks.port})…\n`);
  let got;
  try {
    got = await torGet(o.url, { socksHost: o.socks.host, socksPort: o.socks.port, timeoutMs: o.timeout * 1000, maxBytes: MAX_LIST_BYTES });
  } catch (e) {
    if (e instanceof TorHttpError) throw (/^(not a URL|only http|URLs with)/.test(e.message) ? new UsageError(`--url: ${e.message}`) : new RunError(e.message));
    throw e;
  }
  if (got.status !== 200) throw new RunError(`${o.url} answered HTTP ${got.status}`);
  let fetched;
  try {
    fetched = parseDirectoryList(got.body, o.url);
  } catch (e) {
    throw new RunError(`not written: ${(e as Error).message}`);
  }
  const base = current ?? builtinDirectoryList();
  const diff = diffDirectoryLists(base, fetched);
  process.stdout.write(`${file}${current ? '' : ' (none yet; compared with the built-in list)'}\n`);
  if (fetched.updated && base.updated && fetched.updated < base.updated) process.stdout.write(`note: the fetched list (updated ${fetched.updated}) is older than the one in use (${base.updated})\n`);
  if (diff.length === 0 && current) {
    process.stdout.write('no changes\n');
    return 0;
  }
  process.stdout.write(diff.length === 0 ? 'same as the built-in list\n' : `${diff.join('\n')}\n`);
  if (!o.yes) {
    if (!process.stdin.isTTY) {
      process.stderr.write('not written: confirm with --yes (no terminal to ask on)\n');
      return 1;
    }
    if (!(await confirm(`write ${file}? [y/N] `))) {
      process.stderr.write('not written\n');
      return 1;
    }
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, serializeDirectoryList(fetched), { overwrite: true, mode: 0o644 });
  process.stdout.write(`written ${file}\n`);
  return 0;
}

/** Runs an action; usage errors exit 2, failures 1, each with one line on stderr. */
function run(action: (raw: unknown) => number | void | Promise<number | void>): (raw: unknown) => Promise<void> {
  return async (raw) => {
    try {
      process.exitCode = (await action(raw)) ?? 0;
    } catch (e) {
      if (!(e instanceof UsageError || e instanceof RunError || e instanceof DirectoryListError)) throw e;
      process.stderr.write(`jm-orderbook directories: ${e.message}\n`);
      process.exitCode = e instanceof RunError ? 1 : 2;
    }
  };
}

export function directoriesCommand(): Command {
  const dataDir = `directory of ${LIST_FILE_NAME} (default ${CLIENT_DATA_DIR_ENV}, $STATE_DIRECTORY, or ~/.local/share/joinmarket-ts)`;
  const cmd = new Command('directories')
    .description(`the directory lists clients dial without --directory: ${DIRECTORIES_ENV}, else <data-dir>/${LIST_FILE_NAME} (per network), else the built-in list`)
    .exitOverride();
  cmd.command('list').description('show the list in effect for each network and the retired directories')
    .option('--network <net>', 'only this network')
    .option('--data-dir <dir>', dataDir)
    .option('--json', 'JSON instead of text')
    .exitOverride()
    .action(run(list));
  cmd.command('check').description('dial every listed directory, complete a JoinMarket handshake, ask for its peers; print a table')
    .requiredOption('--network <net>', 'mainnet, testnet, signet or regtest: picks the list and is sent in the handshake')
    .option('--directory <list>', 'check these HOST:PORT[,...] instead of the list')
    .option('--transport <tcp|tor>', 'tor (default) or tcp (default on regtest)')
    .option('--socks <host:port>', "Tor's SOCKS5 port", '127.0.0.1:9050')
    .option('--data-dir <dir>', dataDir)
    .option('--timeout <seconds>', 'per directory: connect and handshake (default 120 over Tor, 15 over TCP)')
    .option('--json', 'JSON instead of the table')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'warn')
    .exitOverride()
    .action(run(check));
  cmd.command('update').description(`fetch a list from --url over Tor, validate it, show the changes and write <data-dir>/${LIST_FILE_NAME} after confirmation`)
    .requiredOption('--url <url>', 'http(s) URL of a list in the same JSON format (an .onion URL keeps it inside Tor)')
    .option('--socks <host:port>', "Tor's SOCKS5 port", '127.0.0.1:9050')
    .option('--data-dir <dir>', dataDir)
    .option('--timeout <seconds>', 'for the whole fetch', '120')
    .option('--yes', 'write without asking')
    .exitOverride()
    .action(run(update));
  return cmd;
}
