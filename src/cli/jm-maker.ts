#!/usr/bin/env node
/**
 * jm-maker: runs a yield-generating maker (docs/maker.md).
 *   jm-maker start --wallet FILE --directory HOST:PORT[,...] --network NET [--transport tcp|tor] …
 * Password: --password-file, JM_WALLET_PASSWORD (systemd EnvironmentFile), or a prompt.
 * stdout: one status line per coinjoin; logs: JSON on stderr. Exit: 0 ok, 1 failure, 2 bad usage.
 */
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { CommitmentBlacklist } from '../maker/commitments.js';
import { Maker } from '../maker/maker.js';
import { PoolChannel } from '../maker/pool-channel.js';
import { CliError, commonSchema, logger, openWallet, parseOptions, poolFactory } from '../maker/runtime.js';
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
});

async function start(raw: unknown): Promise<void> {
  const o = parseOptions(makerSchema, raw);
  const log = logger('jm-maker', o.logLevel);
  const w = await openWallet(o, log);
  const core = new CoreMakerWallet(w.wallet, w.sync, w.rpc, { persist: w.save, logger: log });
  const commitments = await CommitmentBlacklist.load(o.commitments ?? `${o.wallet}.commitmentlist`, log);
  const bond = await loadMakerBond(w.wallet, w.rpc);
  if (bond) log.info(bond.describe(), 'announcing fidelity bond');
  else log.info('no confirmed fidelity bond in the wallet: running without one');
  const pools = poolFactory(o, log, w.network.name);
  const pool = pools();
  const maker = new Maker({
    channels: [new PoolChannel(pool, { anonymousPool: (id) => pools(id), logger: log })],
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
  process.stdout.write(`maker ${maker.nick} started; offers: ${maker.offers.publicBodies().join(' ') || 'none (no mixdepth above minsize)'}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log.info('stopping');
  await maker.stop();
  await core.flush();
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('jm-maker').description('JoinMarket maker (yield generator) over directory nodes').exitOverride();
  program.command('start').description('run the maker until SIGINT/SIGTERM')
    .requiredOption('--wallet <file>', 'encrypted wallet file (jm-wallet generate)')
    .requiredOption('--directory <list>', 'directory nodes HOST:PORT[,HOST:PORT...]')
    .requiredOption('--network <net>', 'mainnet, testnet, signet or regtest')
    .option('--transport <tcp|tor>', 'reach directories directly (tcp) or through Tor (tor)', 'tcp')
    .option('--socks <host:port>', "Tor's SOCKS5 port", '127.0.0.1:9050')
    .option('--hrp <hrp>', 'bech32 prefix override (test chains)')
    .option('--password-file <file>', 'first line is the wallet password (else JM_WALLET_PASSWORD, else a prompt)')
    .option('--rpc-url <url>', 'Bitcoin Core RPC URL')
    .option('--rpc-user <user>', 'RPC user')
    .option('--rpc-password <password>', 'RPC password (or JM_RPC_PASSWORD)')
    .option('--rpc-cookie-file <file>', 'RPC cookie file')
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
