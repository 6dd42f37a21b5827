#!/usr/bin/env node
/**
 * jm-directory: runs a JoinMarket directory node in the foreground. Logs one `"msg":"ready"`
 * line when it accepts peers and exits 0 on SIGTERM/SIGINT after closing every connection.
 * Configuration errors print one line naming the key and exit 2.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { createLogger } from '../util/logger.js';
import { DirectoryServer } from '../directory/server.js';
import { packageVersion } from '../directory/version.js';
import { CONFIG_EXIT_CODE, ConfigError } from './config/errors.js';
import { DIRECTORY_OPTIONS, envName, fromCli, fromEnv, fromJoinmarketCfg, resolveDirectoryConfig, type DirectoryConfig } from './config/directory-config.js';

function fail(message: string, code = CONFIG_EXIT_CODE): never {
  process.stderr.write(`jm-directory: ${message}\n`);
  process.exit(code);
}

function parseArgs(argv: string[]): DirectoryConfig {
  const program = new Command('jm-directory')
    .description('JoinMarket directory node (onion message channel relay)')
    .version(packageVersion())
    .option('--config <file>', `read [MESSAGING:onion] and [BLOCKCHAIN] from a reference joinmarket.cfg (env ${'JM_DIRECTORY_CONFIG'})`)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.split('\n')[0] + '\n') });
  for (const s of DIRECTORY_OPTIONS) program.option(s.flag, `${s.help} (env ${envName(s.key)})`);
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
  return resolveDirectoryConfig(cfgLayer, fromEnv(process.env), fromCli(opts));
}

async function main(): Promise<void> {
  let cfg: DirectoryConfig;
  try {
    cfg = parseArgs(process.argv);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  if (cfg.transport === 'tor') fail('--transport tor is not yet available in this build; use --transport tcp (loopback mode)');

  const logger = createLogger({ name: 'jm-directory', level: cfg.logLevel });
  const server = new DirectoryServer({
    network: cfg.network,
    mode: 'loopback',
    listen: cfg.listen,
    motd: cfg.motd,
    limits: cfg.limits,
    logger,
    ...(cfg.publicLocation !== null ? { publicLocation: cfg.publicLocation } : {}),
    ...(cfg.http !== null ? { http: cfg.http } : {}),
  });
  try {
    await server.start();
  } catch (e) {
    logger.fatal({ err: (e as Error).message }, 'cannot start');
    process.exitCode = 1;
    await server.stop().catch(() => undefined);
    return;
  }
  const addr = server.address!;
  const ready = (obj: Record<string, unknown>): void => {
    // Scripts wait for this line, so it is printed even when --log-level hides info.
    if (logger.isLevelEnabled('info')) logger.info(obj, 'ready');
    else process.stdout.write(JSON.stringify({ level: 30, time: Date.now(), name: 'jm-directory', ...obj, msg: 'ready' }) + '\n');
  };
  ready(
    {
      listen: `${addr.host}:${addr.port}`,
      port: addr.port,
      transport: cfg.transport,
      network: server.network,
      nick: server.nick,
      location: server.publicLocation,
      http: server.httpAddress ? `${server.httpAddress.host}:${server.httpAddress.port}` : undefined,
    },
  );

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, peers: server.registry.size }, 'shutting down');
    server.stop().then(
      () => {
        logger.info('stopped');
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
}

main().catch((e: unknown) => {
  process.stderr.write(`jm-directory: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
