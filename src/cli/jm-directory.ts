#!/usr/bin/env node
/**
 * jm-directory: runs a JoinMarket directory node in the foreground. Logs one `"msg":"ready"`
 * line when it accepts peers and exits 0 on SIGTERM/SIGINT after closing every connection.
 * Configuration errors print one line naming the key and exit 2. With --transport tor the ready
 * line (with an `onion` field) comes only after tor reports the descriptor uploaded; Tor failures
 * print one line and exit 1.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { CommanderError } from 'commander';
import { createLogger, type Logger } from '../util/logger.js';
import { systemClock } from '../util/clock.js';
import { DirectoryServer, type DirectoryServerOptions } from '../directory/server.js';
import type { OnionLocationPublisher } from '../directory/onion-publisher.js';
import { CONFIG_EXIT_CODE, ConfigError } from './config/errors.js';
import { cliProgram } from './program.js';
import { DIRECTORY_OPTIONS, envName, fromCli, fromEnv, fromJoinmarketCfg, resolveDirectoryConfig, type DirectoryConfig } from './config/directory-config.js';
import { TOR_OPTIONS, resolveTorConfig, torEnvName, torFromCli, torFromEnv, type TorConfig } from './config/tor-config.js';

function fail(message: string, code = CONFIG_EXIT_CODE): never {
  process.stderr.write(`jm-directory: ${message}\n`);
  process.exit(code);
}

interface ParsedArgs {
  cfg: DirectoryConfig;
  tor: TorConfig | null;
}

function parseArgs(argv: string[]): ParsedArgs {
  const program = cliProgram('jm-directory', 'JoinMarket directory node (onion message channel relay)')
    .option('--config <file>', `read [MESSAGING:onion] and [BLOCKCHAIN] from a reference joinmarket.cfg (env ${'JM_DIRECTORY_CONFIG'})`);
  for (const s of DIRECTORY_OPTIONS) program.option(s.flag, `${s.help} (env ${envName(s.key)})`);
  for (const s of TOR_OPTIONS) program.option(s.flag, `${s.help} (env ${torEnvName(s.key)})`);
  try {
    program.parse(argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : CONFIG_EXIT_CODE);
    throw e;
  }
  const opts = program.opts<Record<string, unknown>>();
  const configFile = typeof opts.config === 'string' ? opts.config : process.env.JM_DIRECTORY_CONFIG;
  let cfgLayer = {};
  if (configFile !== undefined && configFile !== '') {
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (e) {
      throw new ConfigError('--config', `cannot read ${configFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    cfgLayer = fromJoinmarketCfg(text, 'joinmarket.cfg');
  }
  const cfg = resolveDirectoryConfig(cfgLayer, fromEnv(process.env), fromCli(opts));
  const tor = resolveTorConfig(cfg, process.env, torFromEnv(process.env), torFromCli(opts));
  return { cfg, tor: cfg.transport === 'tor' ? tor : null };
}

/** Tor setup and start-up failures: one line on stderr, details in the log. */
function failStart(logger: Logger, e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  logger.fatal({ err: message }, 'cannot start');
  process.stderr.write(`jm-directory: ${message.split('\n')[0]}\n`);
  process.exitCode = 1;
}

/**
 * The onion publisher for --transport tor (chooses control port, HiddenServiceDir or managed tor).
 * Loaded on demand: tcp mode should not pay for the Tor modules at start-up.
 */
async function onionPublisher(tor: TorConfig, logger: Logger): Promise<OnionLocationPublisher> {
  const [{ chooseTorSource }, { OnionLocationPublisher }] = await Promise.all([
    import('./config/tor-source.js'),
    import('../directory/onion-publisher.js'),
  ]);
  const { source, description } = await chooseTorSource(tor);
  logger.info({ tor: description }, 'tor mode');
  if (source.kind !== 'hidden-service-dir') {
    await mkdir(tor.dataDir, { recursive: true, mode: 0o700 });
    await mkdir(path.dirname(tor.keyFile), { recursive: true, mode: 0o700 });
  }
  return new OnionLocationPublisher({
    source,
    ...(source.kind !== 'hidden-service-dir' ? { keyFile: tor.keyFile } : {}),
    logger,
    clock: systemClock,
  });
}

async function main(): Promise<void> {
  let args: ParsedArgs;
  try {
    args = parseArgs(process.argv);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  const { cfg, tor } = args;
  const logger = createLogger({ name: 'jm-directory', level: cfg.logLevel, buffered: true });
  const common: DirectoryServerOptions = {
    network: cfg.network,
    motd: cfg.motd,
    limits: cfg.limits,
    nickAuth: cfg.nickAuth,
    locationProofs: cfg.locationProofs,
    logger,
    ...(cfg.http !== null ? { http: cfg.http } : {}),
  };
  let server: DirectoryServer;
  if (tor) {
    let publisher: OnionLocationPublisher;
    try {
      publisher = await onionPublisher(tor, logger);
    } catch (e) {
      return failStart(logger, e);
    }
    server = new DirectoryServer({ ...common, mode: 'onion', listen: tor.listen, locationPublisher: publisher });
  } else {
    server = new DirectoryServer({
      ...common,
      mode: 'loopback',
      listen: cfg.listen,
      ...(cfg.publicLocation !== null ? { publicLocation: cfg.publicLocation } : {}),
    });
  }
  // A signal during a slow start (tor bootstrap) must still stop tor and exit.
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, peers: server.registry.size }, 'shutting down');
    server.stop().then(
      () => {
        logger.info('stopped');
        logger.flush();
        process.exitCode = 0;
        // Everything is closed; this only guards against a stray handle keeping us alive.
        setTimeout(() => process.exit(0), 2_000).unref();
      },
      (e: unknown) => {
        logger.error({ err: String(e) }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    await server.start();
  } catch (e) {
    if (stopping) return;
    stopping = true;
    failStart(logger, e);
    await server.stop().catch(() => undefined);
    return;
  }
  if (stopping) return;
  const addr = server.address!;
  const ready = (obj: Record<string, unknown>): void => {
    // Scripts wait for this line, so it is printed at once even when --log-level hides info.
    if (logger.isLevelEnabled('info')) {
      logger.info(obj, 'ready');
      logger.flush();
    } else process.stdout.write(JSON.stringify({ level: 30, time: Date.now(), name: 'jm-directory', ...obj, msg: 'ready' }) + '\n');
  };
  ready(
    {
      listen: `${addr.host}:${addr.port}`,
      port: addr.port,
      transport: cfg.transport,
      network: server.network,
      nick: server.nick,
      location: server.publicLocation,
      ...(tor ? { onion: server.publicLocation } : {}),
      http: server.httpAddress ? `${server.httpAddress.host}:${server.httpAddress.port}` : undefined,
    },
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`jm-directory: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
