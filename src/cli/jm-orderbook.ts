#!/usr/bin/env node
/**
 * jm-orderbook: watches JoinMarket directories and shows the order book.
 *   jm-orderbook [once] --network NET [--directory HOST:PORT[,...]] [--json] [--wait SECONDS]
 *   jm-orderbook serve  --network NET [--directory HOST:PORT[,...]] [--http 127.0.0.1:PORT]
 *   jm-orderbook directories list|check|update (the directory lists; see --help)
 * Without --directory the watcher dials the network's list (docs/orderbook.md, "Directory lists").
 * Logs go to stderr (JSON); stdout carries only the table or JSON. Exit codes: 0 ok,
 * 1 no directory reachable or runtime failure, 2 bad options.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { pino, type Logger } from 'pino';
import { DirectoryPool } from '../client/directory-pool.js';
import { NickIdentity } from '../client/identity.js';
import type { ClientNetworkSettings } from '../client/directory-list.js';
import { CoreRpc } from '../wallet/backend/rpc.js';
import { coreBondChain } from '../wallet/backend/bond-verifier.js';
import { resolveRpc } from '../wallet/config.js';
import { getNetwork } from '../wallet/network.js';
import { OrderbookWatcher } from '../orderbook/watcher.js';
import { DEFAULT_BOOK_LIMITS } from '../orderbook/book.js';
import { intIn } from './config/values.js';
import { startHttpServer } from '../orderbook/http-server.js';
import { renderText } from '../orderbook/terminal.js';
import {
  CLIENT_NETWORK_OPTIONS, HTTP_LISTEN, JSON_OUTPUT, LOG_LEVEL, NETWORK, RPC_OPTIONS, addOptions, networkRequiredExcept, parseOptions, type OptionDefs, type ParsedOptions,
} from './options.js';
import { UsageError, cliProgram, runCli } from './program.js';
import { addDirectoriesCommand } from './directories-command.js';
import { clientNetwork, dialerFor, rpcFlags } from './runtime.js';

/** Options of every subcommand (given before or after its name); --network is required by once, serve and directories check. */
const GLOBAL = {
  network: networkRequiredExcept('except by directories list and update'),
  ...CLIENT_NETWORK_OPTIONS,
  ...RPC_OPTIONS,
  logLevel: { flags: LOG_LEVEL.flags, help: `${LOG_LEVEL.help} (default: info for serve, else warn)`, value: LOG_LEVEL.value },
  // The book's bounds against flooding makers (docs/orderbook.md, "Limits").
  maxOffersPerMaker: { flags: '--max-offers-per-maker <n>', help: 'offers kept per nick; a new oid replaces its stalest', value: intIn(1, 1_000), default: String(DEFAULT_BOOK_LIMITS.maxOffersPerMaker) },
  maxOffers: { flags: '--max-offers <n>', help: 'offers kept in all; beyond, the makers holding the most lose theirs first', value: intIn(1, 1_000_000), default: String(DEFAULT_BOOK_LIMITS.maxOffers) },
  maxNicks: { flags: '--max-nicks <n>', help: 'nicks kept in all; nicks without offers or bond go first', value: intIn(1, 1_000_000), default: String(DEFAULT_BOOK_LIMITS.maxNicks) },
} as const satisfies OptionDefs;
/** What once and serve parse: the global options with --network required. */
const WATCH = { ...GLOBAL, network: NETWORK } as const satisfies OptionDefs;
const ONCE = {
  once: { flags: '--once', help: 'accepted for compatibility: printing once is what this command does', value: z.boolean(), hidden: true },
  json: { ...JSON_OUTPUT, help: 'print JSON (schema: docs/orderbook.md) instead of a table' },
  wait: { flags: '--wait <seconds>', help: 'how long to collect offers before printing, in seconds', value: z.coerce.number('expected seconds').positive('must be > 0').max(3600, 'must be at most 3600'), default: '15' },
} as const satisfies OptionDefs;
const SERVE = {
  http: { ...HTTP_LISTEN, help: 'listen address of the web page (keep it on loopback; port 0 = any, the URL is printed)', default: '127.0.0.1:62601' },
  refresh: { flags: '--refresh <minutes>', help: 'how often to re-request the book from every directory', value: z.coerce.number('expected minutes').min(1, 'must be at least 1 minute').max(1440, 'must be at most 1440'), default: '15' },
} as const satisfies OptionDefs;

type Globals = ParsedOptions<typeof WATCH>;

/** Bond verification through Core when any RPC option is given (URL default: the network's RPC port). */
function rpcFor(o: Globals): CoreRpc | null {
  if (o.rpcUrl === undefined && o.rpcUser === undefined && o.rpcPassword === undefined && o.rpcCookieFile === undefined) return null;
  try {
    const r = resolveRpc(getNetwork(o.network), rpcFlags(o), {});
    return new CoreRpc({ url: r.url, auth: r.auth, timeoutMs: r.timeoutMs });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function logger(level: Globals['logLevel'] & string): Logger {
  return pino({ name: 'jm-orderbook', level }, pino.destination(2));
}

function build(o: Globals, net: ClientNetworkSettings, rpc: CoreRpc | null, log: Logger, refreshMs?: number): { pool: DirectoryPool; watcher: OrderbookWatcher } {
  const dns = net.directories.map(({ host, port }) => ({ host, port }));
  const pool = new DirectoryPool({
    directories: dns, identity: NickIdentity.random(), network: net.wireNetwork, dialer: dialerFor(o, net), logger: log,
    connectTimeoutMs: net.transport === 'tor' ? 120_000 : 15_000, nickAuth: { mode: o.nickAuth },
  });
  const chain = rpc ? coreBondChain(rpc) : null;
  const bookLimits = { maxOffersPerMaker: o.maxOffersPerMaker, maxOffers: o.maxOffers, maxNicks: o.maxNicks };
  const watcher = new OrderbookWatcher({ pool, network: o.network, chain, logger: log, bookLimits, ...(refreshMs !== undefined ? { refreshIntervalMs: refreshMs } : {}) });
  return { pool, watcher };
}

async function runOnce(o: Globals, once: ParsedOptions<typeof ONCE>): Promise<void> {
  const rpc = rpcFor(o);
  const log = logger(o.logLevel ?? 'warn');
  const { pool, watcher } = build(o, clientNetwork(o, log), rpc, log);
  let everConnected = false;
  pool.on('connected', () => (everConnected = true));
  watcher.start();
  pool.start();
  // The collection window: makers answer !orderbook within seconds (minutes over Tor).
  await new Promise((r) => setTimeout(r, once.wait * 1000));
  await watcher.verifyAllBonds();
  const ob = watcher.orderbook();
  const dirs = watcher.directories();
  await watcher.stop();
  await pool.stop();
  if (once.json) process.stdout.write(JSON.stringify({ apiVersion: 1, orderbook: ob, directories: dirs.directories }, null, 2) + '\n');
  else process.stdout.write(renderText(ob, dirs));
  if (!everConnected) {
    const reasons = dirs.directories.map((d) => `${d.id}: ${d.lastRejection ?? d.lastError ?? d.state}`).join('; ');
    throw new Error(`no directory could be reached (${reasons})`);
  }
}

async function runServe(o: Globals, serve: ParsedOptions<typeof SERVE>): Promise<void> {
  const rpc = rpcFor(o);
  const log = logger(o.logLevel ?? 'info');
  const net = clientNetwork(o, log);
  const { pool, watcher } = build(o, net, rpc, log, serve.refresh * 60_000);
  watcher.start();
  pool.start();
  let http;
  try {
    http = await startHttpServer({ host: serve.http.host, port: serve.http.port, source: watcher, logger: log });
  } catch (e) {
    await watcher.stop();
    await pool.stop();
    throw new Error(`cannot listen on ${serve.http.host}:${serve.http.port}: ${(e as Error).message}`);
  }
  log.info({ url: http.url, directories: net.directories.length, rpc: rpc !== null }, 'ready');
  // Whatever the log level: the one line a user (or a script) needs.
  process.stdout.write(`jm-orderbook: serving ${http.url}\n`);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const stopAll = async (): Promise<void> => {
      await http.close();
      await watcher.stop();
      await pool.stop();
    };
    stopAll().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`jm-orderbook: error while stopping: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

function cli(): Command {
  const program = addOptions(cliProgram('jm-orderbook', 'JoinMarket orderbook watcher: print the book once, or serve it as a web page'), GLOBAL);
  addOptions(program.command('once', { isDefault: true }).description('collect offers for --wait seconds, print the book, exit (the default command)'), ONCE)
    .action(async (_o: unknown, cmd: Command) => runOnce(parseOptions(WATCH, cmd.optsWithGlobals()), parseOptions(ONCE, cmd.opts())));
  addOptions(program.command('serve').description('serve the order book page and JSON API (default http://127.0.0.1:62601/)'), SERVE)
    .action(async (_o: unknown, cmd: Command) => runServe(parseOptions(WATCH, cmd.optsWithGlobals()), parseOptions(SERVE, cmd.opts())));
  addDirectoriesCommand(program);
  return program;
}

process.exitCode = await runCli(cli(), process.argv);
