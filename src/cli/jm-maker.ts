#!/usr/bin/env node
/**
 * jm-maker: runs a yield-generating maker (docs/maker.md).
 *   jm-maker start --wallet FILE --network NET [--directory HOST:PORT[,...]] [--transport tor|tcp] …
 * Without --directory it dials the network's directory list (docs/orderbook.md, "Directory lists").
 * Serves direct connections on its own ephemeral onion (tor) or loopback (tcp) unless --no-serve.
 * Password: --password-file, JM_WALLET_PASSWORD (systemd EnvironmentFile), or a prompt.
 * stdout: one status line per coinjoin; logs: JSON on stderr. Exit: 0 ok, 1 failure, 2 bad usage.
 */
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { NickIdentity } from '../client/identity.js';
import { CommitmentBlacklist } from '../maker/commitments.js';
import { DirectChannel } from '../maker/direct-channel.js';
import { Maker } from '../maker/maker.js';
import { makerOnion } from '../maker/onion.js';
import { PoolChannel } from '../maker/pool-channel.js';
import { CliError, addCommonOptions, clientNetwork, commonSchema, dialerFor, logger, openWallet, parseOptions, poolFactory } from '../maker/runtime.js';
import { parseControlTarget, type ControlTarget } from '../transport/tor/control-target.js';
import { CoreMakerWallet, loadMakerBond } from '../maker/wallet-adapter.js';
import { DEFAULT_YIELD_CONFIG } from '../protocol/coinjoin/yield.js';
import { toBitcoinjs } from '../wallet/network.js';

const intText = (name: string, min: number) => z.string().regex(/^\d+$/, `${name} must be a non-negative integer`).transform(Number).refine((n) => n >= min, `${name} must be ≥ ${min}`);
const fraction = (name: string) => z.string().regex(/^\d*\.?\d+$/, `${name} must be a decimal`).transform(Number).refine((n) => n >= 0 && n < 1, `${name} must be in [0, 1)`);

const makerSchema = commonSchema.extend({
  ordertype: z.enum(['reloffer', 'absoffer']).default('reloffer'),
  cjfeeR: z.string().regex(/^0?\.\d{1,8}$/, '--cjfee-r must be a decimal below 1, e.g. 0.00002').default(DEFAULT_YIELD_CONFIG.cjfeeR),
  cjfeeA: intText('--cjfee-a', 0).default(DEFAULT_YIELD_CONFIG.cjfeeA),
  txfee: intText('--txfee', 0).default(DEFAULT_YIELD_CONFIG.txfee),
  minsize: intText('--minsize', 27_300).default(DEFAULT_YIELD_CONFIG.minsize),
  cjfeeFactor: fraction('--cjfee-factor').default(DEFAULT_YIELD_CONFIG.cjfeeFactor),
  txfeeFactor: fraction('--txfee-factor').default(DEFAULT_YIELD_CONFIG.txfeeFactor),
  sizeFactor: fraction('--size-factor').default(DEFAULT_YIELD_CONFIG.sizeFactor),
  algorithm: z.enum(['privacy', 'basic']).default('privacy'),
  commitments: z.string().optional(),
  serve: z.boolean().default(true),
  // port 0 = any free port (the default: tor or the DN is told which)
  serveListen: z.string().default('127.0.0.1:0').transform((v, ctx) => {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(v.trim());
    if (!m || Number(m[2]) > 65535) {
      ctx.addIssue({ code: 'custom', message: `expected HOST:PORT (port 0 = any), got "${v}"` });
      return z.NEVER;
    }
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  }),
  torControl: z.string().default('127.0.0.1:9051').transform((v, ctx): ControlTarget => {
    try {
      return parseControlTarget(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  }),
  torCookieFile: z.string().min(1).optional(),
  torPassword: z.string().min(1).optional(),
});

async function start(raw: unknown): Promise<void> {
  const o = parseOptions(makerSchema, raw);
  // Registered first so a signal during start-up still ends in a clean stop.
  const stopRequested = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  const log = logger('jm-maker', o.logLevel);
  const net = clientNetwork(o, log);
  const w = await openWallet(o, log);
  const core = new CoreMakerWallet(w.wallet, w.sync, w.rpc, { persist: w.save, logger: log });
  const commitments = await CommitmentBlacklist.load(o.commitments ?? `${o.wallet}.commitmentlist`, log);
  const bond = await loadMakerBond(w.wallet, w.rpc);
  if (bond) log.info(bond.describe(), 'announcing fidelity bond');
  else log.info('no confirmed fidelity bond in the wallet: running without one');
  const identity = NickIdentity.random();
  const direct = o.serve ? new DirectChannel({
    identity, network: net.wireNetwork, listen: o.serveListen, logger: log,
    ...(net.transport === 'tor' ? {
      publisher: makerOnion({ logger: log, source: { kind: 'control', target: o.torControl, auth: {
        ...(o.torCookieFile !== undefined ? { cookieFile: o.torCookieFile } : {}),
        ...(o.torPassword !== undefined ? { password: o.torPassword } : {}),
      } } }),
    } : {}),
  }) : null;
  const location = direct ? await direct.listen() : undefined;
  const pools = poolFactory(o, net, log);
  const pool = pools(identity, location !== undefined ? { location } : {});
  const dialer = dialerFor(o, net);
  const channel = new PoolChannel(pool, { anonymousPool: (id, d) => pools(id, { dialer: d }), ...(dialer ? { dialer } : {}), logger: log });
  const maker = new Maker({
    channels: direct ? [channel, direct] : [channel],
    wallet: core, chain: core, commitments, network: toBitcoinjs(w.network), bond, logger: log,
    refreshWallet: () => core.refresh(),
    algorithm: o.algorithm,
    yieldConfig: {
      ...DEFAULT_YIELD_CONFIG, ordertype: o.ordertype, cjfeeR: o.cjfeeR, cjfeeA: o.cjfeeA, txfee: o.txfee, minsize: o.minsize,
      cjfeeFactor: o.cjfeeFactor, txfeeFactor: o.txfeeFactor, sizeFactor: o.sizeFactor,
    },
  });
  maker.on('coinjoin', (e) => {
    process.stdout.write(`coinjoin ${e.status} txid=${e.txid} amount=${e.amount} earned=${e.earned} (cjfee ${e.realCjFee} - txfee ${e.txfee}) mixdepth=${e.mixdepth}->${(e.mixdepth + 1) % core.mixdepthCount} taker=${e.takerNick}\n`);
  });
  maker.on('abandoned', (e) => process.stdout.write(`coinjoin abandoned txid=${e.txid} (never seen; coins unlocked)\n`));
  await maker.start();
  // after the maker's own listener, so the offers are out when this line is printed
  pool.on('connected', ({ dn }) => process.stdout.write(`maker ${maker.nick} announced on ${dn}\n`));
  for (const dn of pool.connectedIds()) process.stdout.write(`maker ${maker.nick} announced on ${dn}\n`);
  process.stdout.write(`maker ${maker.nick} started; serving ${location ?? 'nothing (--no-serve)'}; offers: ${maker.offers.publicBodies().join(' ') || 'none (no mixdepth above minsize)'}\n`);
  await stopRequested;
  log.info('stopping');
  await maker.stop();
  await core.flush();
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('jm-maker').description('JoinMarket maker (yield generator) over directory nodes').exitOverride();
  addCommonOptions(program.command('start').description('run the maker until SIGINT/SIGTERM'))
    .option('--ordertype <reloffer|absoffer>', 'relative or absolute fee offer', 'reloffer')
    .option('--cjfee-r <fraction>', 'relative coinjoin fee', DEFAULT_YIELD_CONFIG.cjfeeR)
    .option('--cjfee-a <sats>', 'absolute coinjoin fee', String(DEFAULT_YIELD_CONFIG.cjfeeA))
    .option('--txfee <sats>', 'our contribution to the miner fee', String(DEFAULT_YIELD_CONFIG.txfee))
    .option('--minsize <sats>', 'smallest coinjoin we accept', String(DEFAULT_YIELD_CONFIG.minsize))
    .option('--cjfee-factor <f>', 'fee randomisation (privacy algorithm)', String(DEFAULT_YIELD_CONFIG.cjfeeFactor))
    .option('--txfee-factor <f>', 'txfee randomisation', String(DEFAULT_YIELD_CONFIG.txfeeFactor))
    .option('--size-factor <f>', 'size randomisation', String(DEFAULT_YIELD_CONFIG.sizeFactor))
    .option('--algorithm <privacy|basic>', 'privacy-enhanced (randomised) or basic offers', 'privacy')
    .option('--commitments <file>', 'used-commitment list (default <wallet>.commitmentlist)')
    .option('--no-serve', 'accept no direct connections (advertise NOT-SERVING-ONION)')
    .option('--serve-listen <host:port>', 'local listener for direct connections (tor mode: the onion points here)', '127.0.0.1:0')
    .option('--tor-control <target>', 'tor control port for our onion (HOST:PORT or unix:PATH)', '127.0.0.1:9051')
    .option('--tor-cookie-file <file>', 'control cookie file (default: the one tor reports)')
    .option('--tor-password <password>', 'control port password (default: cookie authentication)')
    .option('--log-level <level>', 'fatal … trace, silent', 'info')
    .action(start);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    process.stderr.write(`jm-maker: ${(e as Error).message}\n`);
    return e instanceof CliError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv);
