#!/usr/bin/env node
/**
 * jm-taker: one coinjoin as taker (docs/maker.md, "Taker").
 *   jm-taker coinjoin --amount SATS --mixdepth N --makers K --destination ADDR --wallet FILE
 *                     --network NET [--directory HOST:PORT[,...]] [--rpc-…] [--fee-rate SAT/VB]
 * stdout: the txid and a summary; logs: JSON on stderr. Exit: 0 ok, 1 failure, 2 bad usage.
 */
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { OrderbookWatcher } from '../orderbook/watcher.js';
import { CliError, addCommonOptions, clientNetwork, commonSchema, logger, openWallet, parseOptions, poolFactory } from '../maker/runtime.js';
import { CoreTakerWallet, coreOrderbookBondChain, poolNetwork } from '../taker/adapters.js';
import { TakerCommitments } from '../taker/commitments.js';
import { gatherOffers } from '../taker/offer-gather.js';
import { Taker } from '../taker/taker.js';
import { systemClock } from '../util/clock.js';
import { estimateFeeRate } from '../wallet/fees.js';
import { toBitcoinjs } from '../wallet/network.js';

const int = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.string().regex(/^\d+$/, `${name} must be an integer`).transform(Number).refine((n) => n >= min && n <= max, `${name} must be in [${min}, ${max}]`);

const takerSchema = commonSchema.extend({
  amount: int('--amount', 27_300),
  mixdepth: int('--mixdepth', 0, 99),
  makers: int('--makers', 1, 20).default(4),
  destination: z.string().min(1),
  feeRate: z.string().regex(/^\d+(\.\d+)?$/, '--fee-rate must be sat/vB').transform(Number).optional(),
  wait: int('--wait', 1, 600).default(60),
  attempts: int('--attempts', 1, 10).default(3),
  commitments: z.string().optional(),
});

async function coinjoin(raw: unknown): Promise<void> {
  const o = parseOptions(takerSchema, raw);
  const log = logger('jm-taker', o.logLevel);
  const net = clientNetwork(o, log);
  const w = await openWallet(o, log);
  const core = new CoreTakerWallet(w.wallet, w.rpc, w.save);
  const commitments = await TakerCommitments.load(o.commitments ?? `${o.wallet}.commitments.json`);
  const satPerVb = o.feeRate ?? (await estimateFeeRate(w.rpc)).satPerVb;
  const pool = poolFactory(o, net, log)();
  const watcher = new OrderbookWatcher({ pool, network: w.network.name, chain: coreOrderbookBondChain(w.rpc), logger: log });
  watcher.start();
  pool.start();
  try {
    await pool.whenConnected(net.transport === 'tor' ? 180_000 : 20_000);
    const taker = new Taker({
      net: poolNetwork(pool), wallet: core, chain: core, commitments, network: toBitcoinjs(w.network), logger: log,
      offers: (amount, need) => gatherOffers(watcher, { amount, need: need + 2, waitMs: o.wait * 1000, quietMs: 5_000, clock: systemClock }),
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
  const program = new Command('jm-taker').description('JoinMarket taker: send a coinjoin').exitOverride();
  addCommonOptions(program.command('coinjoin').description('gather offers, choose makers, run one coinjoin and broadcast it'))
    .requiredOption('--amount <sats>', 'coinjoin amount (each equal output)')
    .requiredOption('--mixdepth <n>', 'mixdepth the inputs come from')
    .requiredOption('--destination <addr>', 'where our coinjoin output goes')
    .option('--makers <k>', 'number of makers', '4')
    .option('--fee-rate <sat/vB>', 'miner fee rate (default: node estimate with fallback)')
    .option('--wait <seconds>', 'how long to collect offers', '60')
    .option('--attempts <n>', 'rounds to try, replacing makers that fail', '3')
    .option('--commitments <file>', 'PoDLE commitments file (default <wallet>.commitments.json)')
    .option('--log-level <level>', 'fatal … trace, silent', 'warn')
    .action(coinjoin);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    process.stderr.write(`jm-taker: ${(e as Error).message}\n`);
    return e instanceof CliError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv);
