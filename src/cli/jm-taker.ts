#!/usr/bin/env node
/**
 * jm-taker: one coinjoin as taker (docs/maker.md, "Taker").
 *   jm-taker coinjoin --amount SATS --mixdepth N --makers K --destination ADDR --wallet FILE
 *                     --network NET [--directory HOST:PORT[,...]] [--rpc-…] [--fee-rate SAT/VB]
 * stdout: the txid and a summary; logs: JSON on stderr. Exit: 0 ok, 1 failure, 2 bad usage.
 */
import { z } from 'zod';
import { OrderbookWatcher } from '../orderbook/watcher.js';
import { CoreTakerWallet, poolNetwork } from '../taker/adapters.js';
import { coreBondChain } from '../wallet/backend/bond-verifier.js';
import { TakerCommitments } from '../taker/commitments.js';
import { gatherOffers } from '../taker/offer-gather.js';
import { Taker } from '../taker/taker.js';
import { systemClock } from '../util/clock.js';
import { estimateFeeRate } from '../wallet/fees.js';
import { toBitcoinjs } from '../wallet/network.js';
import { intIn } from './config/values.js';
import { LOG_LEVEL, addOptions, parseOptions, required, type OptionDef } from './options.js';
import { cliProgram, runCli } from './program.js';
import { BOT_OPTIONS, clientNetwork, logger, openWallet, outputScript, poolFactory, walletSetup } from './runtime.js';

const TAKER_OPTIONS = {
  ...BOT_OPTIONS,
  amount: required({ flags: '--amount <sats>', help: 'coinjoin amount (each equal output)', value: intIn(27_300, 21e14) }),
  mixdepth: required({ flags: '--mixdepth <n>', help: 'mixdepth the inputs come from', value: intIn(0, 99) }),
  destination: required({ flags: '--destination <address>', help: 'where our coinjoin output goes', value: z.string().trim().min(1) }),
  makers: { flags: '--makers <k>', help: 'number of makers', value: intIn(1, 20), default: '4' },
  feeRate: { flags: '--fee-rate <sat/vB>', help: 'miner fee rate (default: node estimate with fallback)', value: z.string().trim().regex(/^\d+(\.\d+)?$/, 'expected sat/vB, e.g. 2 or 1.5').transform(Number) },
  wait: { flags: '--wait <seconds>', help: 'how long to collect offers', value: intIn(1, 600), default: '60' },
  attempts: { flags: '--attempts <n>', help: 'rounds to try, replacing makers that fail', value: intIn(1, 10), default: '3' },
  commitments: { flags: '--commitments <file>', help: 'PoDLE commitments file (default <wallet>.commitments.json)', value: z.string().min(1) },
  logLevel: { ...LOG_LEVEL, default: 'warn' },
} as const satisfies Record<string, OptionDef>;

async function coinjoin(raw: Record<string, unknown>): Promise<void> {
  const o = parseOptions(TAKER_OPTIONS, raw);
  const setup = walletSetup(o);
  outputScript('--destination', o.destination, setup.network);
  const log = logger('jm-taker', o.logLevel);
  const net = clientNetwork(o, log);
  const w = await openWallet(o, log, setup);
  const core = new CoreTakerWallet(w.wallet, w.rpc, w.save);
  const commitments = await TakerCommitments.load(o.commitments ?? `${o.wallet}.commitments.json`);
  const satPerVb = o.feeRate ?? (await estimateFeeRate(w.rpc)).satPerVb;
  const pool = poolFactory(o, net, log)();
  const watcher = new OrderbookWatcher({ pool, network: w.network.name, chain: coreBondChain(w.rpc), logger: log });
  watcher.start();
  pool.start();
  try {
    await pool.whenConnected(net.transport === 'tor' ? 180_000 : 20_000);
    const taker = new Taker({
      net: poolNetwork(pool), wallet: core, chain: core, commitments, network: toBitcoinjs(w.network), logger: log,
      offers: (q) => gatherOffers(watcher, q, { waitMs: o.wait * 1000, quietMs: 2_000, clock: systemClock, logger: log }),
    });
    const r = await taker.coinjoin({ amount: o.amount, mixdepth: o.mixdepth, makers: o.makers, destination: o.destination, satPerVb, maxAttempts: o.attempts });
    await w.save();
    process.stdout.write(`${r.txid}\n`);
    process.stdout.write(`amount=${o.amount} makers=${r.makers.length} cjfees=${r.cjFees} minerfee=${r.fee} change=${r.takerChange} attempts=${r.attempts}\n`);
  } finally {
    await watcher.stop();
    await pool.stop();
  }
}

export async function main(argv: string[]): Promise<number> {
  const program = cliProgram('jm-taker', 'JoinMarket taker: send a coinjoin');
  addOptions(program.command('coinjoin').description('gather offers, choose makers, run one coinjoin and broadcast it'), TAKER_OPTIONS).action(coinjoin);
  return runCli(program, argv);
}

process.exitCode = await main(process.argv);
