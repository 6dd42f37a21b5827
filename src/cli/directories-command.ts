/**
 * `jm-orderbook directories list|check|update`: the directory lists every client dials
 * (src/client/directory-list.ts), a handshake check of each directory, and updating the user's
 * list file from a URL over Tor. Tables on stdout, progress and logs on stderr.
 * Exit codes: 0 ok, 1 failure (nothing reachable, fetch failed, not written), 2 bad usage (also: update
 * off a terminal without --yes or --dry-run, refused before fetching).
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { z } from 'zod';
import { checkDirectories, type DirectoryCheck } from '../client/directory-check.js';
import {
  builtinDirectoryList, defaultTransport, diffDirectoryLists, DirectoryListError, DIRECTORIES_ENV, LIST_FILE_NAME, MAX_LIST_BYTES,
  parseDirectoryList, readUserList, resolveDirectories, serializeDirectoryList, userListPath,
} from '../client/directory-list.js';
import { tcpDialer } from '../client/dialer.js';
import { NETWORKS } from '../protocol/handshake.js';
import { textTable } from '../orderbook/terminal.js';
import { dialSocks } from '../transport/socks.js';
import { torGet, TorHttpError } from '../transport/http-over-tor.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { clientDataDir } from '../util/data-dir.js';
import { CLIENT_NETWORK_OPTIONS, JSON_OUTPUT, LOG_LEVEL, NETWORK, YES, addOptions, httpUrl, parseOptions, type OptionDefs, type ParsedOptions } from './options.js';
import { UsageError } from './program.js';
import { askYesNo, assertCanConfirm } from './prompt.js';

const seconds = (max: number) => z.coerce.number('expected seconds').positive('must be > 0').max(max, `must be at most ${max}`);
const { directory, transport, socks, dataDir } = CLIENT_NETWORK_OPTIONS;
const JSON_INSTEAD = { ...JSON_OUTPUT, help: 'JSON instead of text' };

/** Peer-controlled text (MOTD, rejection reasons) reaches a terminal: no control sequences, one line. */
export function printable(s: string, max: number): string {
  const flat = s.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

const ms = (v: number | null): string => (v === null ? '-' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v} ms`);

function nickAuthCell(a: DirectoryCheck['nickAuth']): string {
  if (a.offered === null) return '-';
  if (!a.offered) return 'no';
  return a.verified ? 'verified' : a.error !== null ? 'failed' : 'offered';
}

export function renderCheckTable(rs: DirectoryCheck[]): string {
  return textTable(
    ['directory', 'status', 'connect', 'handshake', 'peers', 'nick-auth', 'features', 'motd'],
    ['l', 'l', 'r', 'r', 'r', 'l', 'l', 'l'],
    rs.map((r) => [
      r.id,
      r.ok ? 'ok' : printable(r.reachable ? r.error ?? 'failed' : `unreachable: ${r.error ?? '?'}`, 60),
      ms(r.connectMs), ms(r.handshakeMs),
      r.peers ? `${r.peers.total} (${r.peers.serving} serving)` : !r.ok ? '-' : r.peerlistError !== null ? 'no answer' : 'n/a',
      nickAuthCell(r.nickAuth),
      r.ok ? r.features.join(',') || '-' : '-',
      r.motd === null ? '-' : printable(r.motd, 60) || '-',
    ]),
  );
}

const LIST_OWN = { json: JSON_INSTEAD } as const satisfies OptionDefs;
const LIST = { network: { ...NETWORK, required: false }, dataDir, ...LIST_OWN } as const satisfies OptionDefs;

function list(o: ParsedOptions<typeof LIST>): void {
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

const CHECK_OWN = {
  timeout: { flags: '--timeout <seconds>', help: 'per directory: connect and handshake (default 120 over Tor, 15 over TCP)', value: seconds(600) },
  json: { ...JSON_INSTEAD, help: 'JSON instead of the table' },
} as const satisfies OptionDefs;
const CHECK = { network: NETWORK, directory, transport, socks, dataDir, logLevel: { ...LOG_LEVEL, default: 'warn' }, ...CHECK_OWN } as const satisfies OptionDefs;

async function check(o: ParsedOptions<typeof CHECK>): Promise<void> {
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
      // A fresh descriptor or a busy intro point answers HostUnreachable for a while: retry until
      // the deadline, and let no attempt outlive it (the command exits when the table is out).
      return (host, port) => dialSocks({
        socksHost: o.socks.host, socksPort: o.socks.port, host, port, timeoutMs, isolationId,
        retries: 100, backoffMs: 1000, maxBackoffMs: 5000, deadline: Date.now() + timeoutMs,
      });
    },
  }, (r) => process.stderr.write(`[${++done}/${n}] ${r.id}: ${r.ok ? `ok in ${ms(r.handshakeMs)}` : printable(r.error ?? 'failed', 80)}\n`));
  const ok = results.filter((r) => r.ok).length;
  if (o.json) process.stdout.write(JSON.stringify({ apiVersion: 1, network: o.network, checkedAt: new Date().toISOString(), source: dirs.source, directories: results }, null, 2) + '\n');
  else process.stdout.write(`${renderCheckTable(results)}\n\n${ok} of ${n} answered the handshake\n`);
  if (ok === 0) throw new Error('no directory answered the handshake');
}

const UPDATE_OWN = {
  url: {
    flags: '--url <url>', help: 'http(s) URL of a list in the same JSON format (an .onion URL keeps it inside Tor)',
    value: httpUrl('http://<onion>/directories.json', { credentials: false }), required: true,
  },
  timeout: { flags: '--timeout <seconds>', help: 'for the whole fetch', value: seconds(600), default: '120' },
  dryRun: { flags: '--dry-run', help: 'fetch and show the changes, write nothing', value: z.boolean() },
  yes: { ...YES, help: 'write without asking (required when not on a terminal, except with --dry-run)' },
} as const satisfies OptionDefs;
const UPDATE = { socks, dataDir, ...UPDATE_OWN } as const satisfies OptionDefs;

async function update(o: ParsedOptions<typeof UPDATE>): Promise<void> {
  // off a terminal without --yes nobody could confirm the write: refuse before fetching anything
  if (!o.dryRun) assertCanConfirm(o.yes, 'writing the list');
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
    if (e instanceof TorHttpError) throw new Error(e.message);
    throw e;
  }
  if (got.status !== 200) throw new Error(`${o.url} answered HTTP ${got.status}`);
  let fetched;
  try {
    fetched = parseDirectoryList(got.body, o.url);
  } catch (e) {
    throw new Error(`not written: ${(e as Error).message}`);
  }
  const base = current ?? builtinDirectoryList();
  const diff = diffDirectoryLists(base, fetched);
  process.stdout.write(`${file}${current ? '' : ' (none yet; compared with the built-in list)'}\n`);
  if (fetched.updated && base.updated && fetched.updated < base.updated) process.stdout.write(`note: the fetched list (updated ${fetched.updated}) is older than the one in use (${base.updated})\n`);
  if (diff.length === 0 && current) {
    process.stdout.write('no changes\n');
    return;
  }
  process.stdout.write(diff.length === 0 ? 'same as the built-in list\n' : `${diff.join('\n')}\n`);
  if (o.dryRun) {
    process.stdout.write('not written (--dry-run)\n');
    return;
  }
  if (!(await askYesNo(o.yes, `write ${file}?`))) throw new Error('not written');
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, serializeDirectoryList(fetched), { overwrite: true, mode: 0o644 });
  process.stdout.write(`written ${file}\n`);
}

/** A directory-list problem in what the user gave is a usage error (exit 2). */
function usage<D extends OptionDefs>(defs: D, run: (o: ParsedOptions<D>) => void | Promise<void>): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    const cmd = args[args.length - 1] as Command;
    try {
      await run(parseOptions(defs, cmd.optsWithGlobals()));
    } catch (e) {
      throw e instanceof DirectoryListError ? new UsageError(e.message) : e;
    }
  };
}

/**
 * `directories list|check|update` under `parent`, which defines the options they share with the
 * watcher (--network, --directory, --transport, --socks, --data-dir, --log-level: jm-orderbook's
 * global options); each subcommand adds only its own.
 */
export function addDirectoriesCommand(parent: Command): void {
  const cmd = parent.command('directories')
    .description(`the directory lists clients dial without --directory: ${DIRECTORIES_ENV}, else <data-dir>/${LIST_FILE_NAME} (per network), else the built-in list`);
  addOptions(cmd.command('list').description('show the list in effect for each network (or --network) and the retired directories'), LIST_OWN).action(usage(LIST, list));
  addOptions(cmd.command('check').description('dial every listed directory (or --directory), complete a JoinMarket handshake, ask for its peers; print a table'), CHECK_OWN).action(usage(CHECK, check));
  addOptions(cmd.command('update').description(`fetch a list from --url over Tor, validate it, show the changes and write <data-dir>/${LIST_FILE_NAME} after confirmation`), UPDATE_OWN).action(usage(UPDATE, update));
}
