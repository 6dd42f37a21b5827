#!/usr/bin/env node
/**
 * jm-orderbook: watches JoinMarket directories and shows the order book.
 *   jm-orderbook --once --network NET [--directory HOST:PORT[,...]] [--json] [--wait SECONDS]
 *   jm-orderbook serve  --network NET [--directory HOST:PORT[,...]] [--http 127.0.0.1:PORT]
 *   jm-orderbook directories list|check|update (the directory lists; see --help)
 * Without --directory the watcher dials the network's list (docs/orderbook.md, "Directory lists").
 * Logs go to stderr (JSON); stdout carries only the table or JSON. Exit codes: 0 ok,
 * 1 no directory reachable or runtime failure, 2 bad options.
 */
import { Command, CommanderError } from 'commander';
import { pino, type Logger } from 'pino';
import { DirectoryPool } from '../client/directory-pool.js';
import { NickIdentity } from '../client/identity.js';
import type { Dialer } from '../client/dialer.js';
import { dialSocks } from '../transport/socks.js';
import { CoreRpc } from '../wallet/backend/rpc.js';
import { coreBondChain } from '../wallet/backend/bond-verifier.js';
import { OrderbookWatcher } from '../orderbook/watcher.js';
import { startHttpServer } from '../orderbook/http-server.js';
import { renderText } from '../orderbook/terminal.js';
import { ConfigError, resolveConfig, type OrderbookConfig } from '../orderbook/config.js';
import { DIRECTORIES_ENV, LIST_FILE_NAME } from '../client/directory-list.js';
import { CLIENT_DATA_DIR_ENV } from '../util/data-dir.js';
import { directoriesCommand } from './directories-command.js';

const CONFIG_EXIT = 2;

function addCommon(cmd: Command): Command {
  return cmd
    .option('--directory <list>', `directory nodes, HOST:PORT[,HOST:PORT...] (default: ${DIRECTORIES_ENV}, else <data-dir>/${LIST_FILE_NAME}, else the built-in list)`)
    .option('--transport <tcp|tor>', 'tor (through the SOCKS5 port; default) or tcp (default on regtest)')
    .option('--socks <host:port>', "Tor's SOCKS5 port", '127.0.0.1:9050')
    .option('--network <net>', 'mainnet, testnet, signet or regtest (must match the directories)')
    .option('--wire-network <net>', 'network name in the directory handshake, if not --network (testnet meets reference peers on a regtest chain)')
    .option('--data-dir <dir>', `holds ${LIST_FILE_NAME} (default ${CLIENT_DATA_DIR_ENV}, $STATE_DIRECTORY, or ~/.local/share/joinmarket-ts)`)
    .option('--rpc-url <url>', 'Bitcoin Core RPC URL, to verify fidelity bonds on chain')
    .option('--rpc-user <user>', 'RPC user name')
    .option('--rpc-password <password>', 'RPC password')
    .option('--rpc-cookie <file>', 'RPC cookie file (instead of user/password)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'warn');
}

function fail(message: string, code = CONFIG_EXIT): never {
  process.stderr.write(`jm-orderbook: ${message}\n`);
  process.exit(code);
}

function config(raw: Record<string, unknown>): OrderbookConfig {
  try {
    return resolveConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
}

function build(cfg: OrderbookConfig, log: Logger): { pool: DirectoryPool; watcher: OrderbookWatcher } {
  const dialer: Dialer | undefined = cfg.transport === 'tor'
    ? (host, port) => dialSocks({ socksHost: cfg.socks.host, socksPort: cfg.socks.port, host, port, timeoutMs: 90_000, retries: 1 })
    : undefined;
  log.info({ directories: cfg.directories.map((d) => `${d.host}:${d.port}`), from: cfg.directorySource, transport: cfg.transport, wireNetwork: cfg.wireNetwork }, 'directories');
  for (const s of cfg.skippedDirectories) log.warn({ directory: s }, 'not dialling a retired directory');
  const pool = new DirectoryPool({ directories: cfg.directories, identity: NickIdentity.random(), network: cfg.wireNetwork, dialer, logger: log, connectTimeoutMs: cfg.transport === 'tor' ? 120_000 : 15_000 });
  const chain = cfg.rpc ? coreBondChain(new CoreRpc({ url: cfg.rpc.url, auth: cfg.rpc.auth, timeoutMs: 20_000 })) : null;
  const watcher = new OrderbookWatcher({ pool, network: cfg.network, chain, logger: log, refreshIntervalMs: cfg.refreshMs });
  return { pool, watcher };
}

async function runOnce(cfg: OrderbookConfig): Promise<number> {
  const log = pino({ name: 'jm-orderbook', level: cfg.logLevel }, pino.destination(2));
  const { pool, watcher } = build(cfg, log);
  let everConnected = false;
  pool.on('connected', () => (everConnected = true));
  watcher.start();
  pool.start();
  // The collection window: makers answer !orderbook within seconds (minutes over Tor).
  await new Promise((r) => setTimeout(r, cfg.waitMs));
  await watcher.verifyAllBonds();
  const ob = watcher.orderbook();
  const dirs = watcher.directories();
  await watcher.stop();
  await pool.stop();
  if (cfg.json) process.stdout.write(JSON.stringify({ apiVersion: 1, orderbook: ob, directories: dirs.directories }, null, 2) + '\n');
  else process.stdout.write(renderText(ob, dirs));
  if (!everConnected) {
    const reasons = dirs.directories.map((d) => `${d.id}: ${d.lastRejection ?? d.lastError ?? d.state}`).join('; ');
    process.stderr.write(`jm-orderbook: no directory could be reached (${reasons})\n`);
    return 1;
  }
  return 0;
}

async function runServe(cfg: OrderbookConfig): Promise<void> {
  const log = pino({ name: 'jm-orderbook', level: cfg.logLevel === 'warn' ? 'info' : cfg.logLevel }, pino.destination(2));
  const { pool, watcher } = build(cfg, log);
  watcher.start();
  pool.start();
  let http;
  try {
    http = await startHttpServer({ host: cfg.http.host, port: cfg.http.port, source: watcher, logger: log });
  } catch (e) {
    await watcher.stop();
    await pool.stop();
    fail(`cannot listen on ${cfg.http.host}:${cfg.http.port}: ${(e as Error).message}`, 1);
  }
  log.info({ url: http.url, directories: cfg.directories.length, rpc: cfg.rpc !== null }, 'ready');
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    void (async () => {
      await http.close();
      await watcher.stop();
      await pool.stop();
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

async function main(argv: string[]): Promise<void> {
  const program = addCommon(new Command('jm-orderbook'))
    .description('JoinMarket orderbook watcher: --once prints the book and exits; "serve" runs the web page')
    .option('--once', 'collect for --wait seconds, print the book, exit')
    .option('--json', 'with --once: print JSON (schema: docs/orderbook.md) instead of a table')
    .option('--wait <seconds>', 'with --once: collection window in seconds', '15')
    .enablePositionalOptions()
    .exitOverride()
    .action(async (opts: Record<string, unknown>) => {
      if (!opts.once) fail('nothing to do: use --once, or the "serve" command (see --help)');
      process.exitCode = await runOnce(config(opts));
    });
  addCommon(program.command('serve'))
    .description('serve the order book page and JSON API (default http://127.0.0.1:62601/)')
    .option('--http <host:port>', 'listen address of the web page (keep it on loopback)', '127.0.0.1:62601')
    .option('--refresh <minutes>', 'how often to re-request the book from every directory', '15')
    .exitOverride()
    .action(async (opts: Record<string, unknown>) => runServe(config(opts)));
  program.addCommand(directoriesCommand());
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : CONFIG_EXIT);
    throw e;
  }
}

main(process.argv).catch((e: unknown) => {
  process.stderr.write(`jm-orderbook: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
