#!/usr/bin/env node
/**
 * jm-maker: runs a yield-generating maker (docs/maker.md).
 *   jm-maker start --wallet FILE --network NET [--directory HOST:PORT[,...]] [--transport tor|tcp] …
 * Without --directory it dials the network's directory list (docs/orderbook.md, "Directory lists").
 * Serves direct connections on its own ephemeral onion (tor) or loopback (tcp) unless --no-serve.
 * Password: --password-file, JM_WALLET_PASSWORD (systemd EnvironmentFile), or a prompt.
 * stdout: one status line per coinjoin; logs: JSON on stderr. Exit: 0 ok, 1 failure, 2 bad usage.
 */
import { z } from 'zod';
import { NickIdentity } from '../client/identity.js';
import { CommitmentBlacklist, DEFAULT_COMMITMENT_LIMITS } from '../maker/commitments.js';
import { DEFAULT_DIRECT_LIMITS, DirectChannel } from '../maker/direct-channel.js';
import { DEFAULT_MAKER_LIMITS, Maker } from '../maker/maker.js';
import { makerOnion } from '../maker/onion.js';
import { PoolChannel } from '../maker/pool-channel.js';
import { CoreMakerWallet, loadMakerBond } from '../maker/wallet-adapter.js';
import { DEFAULT_YIELD_CONFIG } from '../protocol/coinjoin/yield.js';
import { toBitcoinjs } from '../wallet/network.js';
import { hostPort, intIn } from './config/values.js';
import { TOR_CONTROL_OPTIONS, addOptions, parseOptions, type OptionDef } from './options.js';
import { cliProgram, runCli } from './program.js';
import { BOT_OPTIONS, clientNetwork, dialerFor, logger, openWallet, poolFactory, walletSetup } from './runtime.js';

const fraction = z.string().trim().regex(/^\d*\.?\d+$/, 'expected a decimal').transform(Number).refine((n) => n >= 0 && n < 1, 'must be in [0, 1)');
const sats = (min: number) => intIn(min);
const d = DEFAULT_YIELD_CONFIG;

const MAKER_OPTIONS = {
  ...BOT_OPTIONS,
  ordertype: { flags: '--ordertype <reloffer|absoffer>', help: 'relative or absolute fee offer', value: z.enum(['reloffer', 'absoffer'], 'expected reloffer or absoffer'), default: 'reloffer' },
  cjfeeR: { flags: '--cjfee-r <fraction>', help: 'relative coinjoin fee', value: z.string().trim().regex(/^0?\.\d{1,8}$/, 'expected a decimal below 1, e.g. 0.00002'), default: d.cjfeeR },
  cjfeeA: { flags: '--cjfee-a <sats>', help: 'absolute coinjoin fee', value: sats(0), default: String(d.cjfeeA) },
  txfee: { flags: '--txfee <sats>', help: 'our contribution to the miner fee', value: sats(0), default: String(d.txfee) },
  minsize: { flags: '--minsize <sats>', help: 'smallest coinjoin we accept', value: sats(27_300), default: String(d.minsize) },
  cjfeeFactor: { flags: '--cjfee-factor <f>', help: 'fee randomisation (privacy algorithm)', value: fraction, default: String(d.cjfeeFactor) },
  txfeeFactor: { flags: '--txfee-factor <f>', help: 'txfee randomisation', value: fraction, default: String(d.txfeeFactor) },
  sizeFactor: { flags: '--size-factor <f>', help: 'size randomisation', value: fraction, default: String(d.sizeFactor) },
  algorithm: { flags: '--algorithm <privacy|basic>', help: 'privacy-enhanced (randomised) or basic offers', value: z.enum(['privacy', 'basic'], 'expected privacy or basic'), default: 'privacy' },
  commitmentList: {
    flags: '--commitment-list <file>', value: z.string().min(1),
    help: "PoDLE commitments this maker refuses: used in its coinjoins or announced by !hp2 (the reference's commitmentlist; default <wallet>.commitmentlist)",
  },
  serve: { flags: '--no-serve', help: 'accept no direct connections (advertise NOT-SERVING-ONION)', value: z.boolean() , default: true },
  // port 0 = any free port (the default: tor or the DN is told which)
  serveListen: { flags: '--serve-listen <host:port>', help: 'local listener for direct connections (tor mode: the onion points here; port 0 = any)', value: hostPort, default: '127.0.0.1:0' },
  // flood limits (docs/security.md, maker); the per-nick shares are fixed
  maxSessions: { flags: '--max-sessions <n>', help: 'coinjoin sessions past !auth at once (each holds coins); when all are taken a !fill gets !error', value: intIn(1, 100_000), default: String(DEFAULT_MAKER_LIMITS.maxSessions) },
  orderbookPerMin: { flags: '--orderbook-per-min <n>', help: 'private !orderbook replies per minute over all nicks (a sixth kept for directory probes and direct connections); past it askers get a public announcement every few seconds', value: intIn(2, 1_000_000), default: String(DEFAULT_MAKER_LIMITS.orderbookGlobal) },
  fillsPerMin: { flags: '--fills-per-min <n>', help: 'coinjoin session starts per minute over all nicks (a tenth kept for takers that proved a coin with us); as many sessions may wait for !auth at once', value: intIn(2, 1_000_000), default: String(DEFAULT_MAKER_LIMITS.fillsGlobal) },
  maxCommitments: { flags: '--max-commitments <n>', help: 'entries kept in the commitment list (gossip evicted before our own)', value: intIn(1_000, 100_000_000), default: String(DEFAULT_COMMITMENT_LIMITS.maxEntries) },
  commitmentMaxAge: { flags: '--commitment-max-age <days>', help: 'forget commitments learnt from !hp2 gossip after this many days', value: intIn(1, 36_500), default: String(DEFAULT_COMMITMENT_LIMITS.gossipMaxAgeMs / 86_400_000) },
  maxDirect: { flags: '--max-direct <n>', help: 'direct connections at once (when full, a newcomer replaces the least valuable: no handshake, then no coinjoin in progress)', value: intIn(1, 100_000), default: String(DEFAULT_DIRECT_LIMITS.maxConnections) },
  ...TOR_CONTROL_OPTIONS,
} as const satisfies Record<string, OptionDef>;

async function start(raw: Record<string, unknown>): Promise<void> {
  const o = parseOptions(MAKER_OPTIONS, raw);
  const setup = walletSetup(o);
  // Registered first so a signal during start-up still ends in a clean stop.
  const stopRequested = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  const log = logger('jm-maker', o.logLevel);
  const net = clientNetwork(o, log);
  const w = await openWallet(o, log, setup);
  const core = new CoreMakerWallet(w.wallet, w.sync, w.rpc, { persist: w.save, logger: log });
  const commitments = await CommitmentBlacklist.load(o.commitmentList ?? `${o.wallet}.commitmentlist`, log, { maxEntries: o.maxCommitments, gossipMaxAgeMs: o.commitmentMaxAge * 86_400_000 });
  const bond = await loadMakerBond(w.wallet, w.rpc);
  if (bond) log.info(bond.describe(), 'announcing fidelity bond');
  else log.info('no confirmed fidelity bond in the wallet: running without one');
  const identity = NickIdentity.random();
  const direct = o.serve ? new DirectChannel({
    identity, network: net.wireNetwork, listen: o.serveListen, logger: log, limits: { maxConnections: o.maxDirect },
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
    limits: {
      maxSessions: o.maxSessions,
      orderbookGlobal: o.orderbookPerMin, orderbookReserve: Math.floor(o.orderbookPerMin / 6),
      // a session waits for !auth at most a minute: room for a minute's budget drops none early
      fillsGlobal: o.fillsPerMin, fillsReserve: Math.floor(o.fillsPerMin / 10), maxWaitingSessions: o.fillsPerMin,
    },
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
  await commitments.close();
  await core.flush();
}

export async function main(argv: string[]): Promise<number> {
  const program = cliProgram('jm-maker', 'JoinMarket maker (yield generator) over directory nodes');
  addOptions(program.command('start').description('run the maker until SIGINT/SIGTERM'), MAKER_OPTIONS).action(start);
  return runCli(program, argv);
}

process.exitCode = await main(process.argv);
