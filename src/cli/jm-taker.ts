#!/usr/bin/env node
/**
 * jm-taker: one coinjoin as taker (docs/maker.md, "Taker").
 *   jm-taker coinjoin --amount SATS --mixdepth N --makers K --destination ADDR --wallet FILE
 *                     --network NET [--directory HOST:PORT[,...]] [--rpc-…] [--fee-rate SAT/VB]
 *                     [--max-cj-fee-abs SATS] [--max-cj-fee-rel FRACTION] [--max-fee-rate SAT/VB]
 *                     [--max-miner-fee SATS] [--yes]
 * The chosen makers and fees are shown on stderr and confirmed before anything is spent.
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
import { DEFAULT_FEE_LIMITS, type FeeLimits } from '../protocol/coinjoin/taker-choice.js';
import { parseDecimal } from '../protocol/offers.js';
import type { CoinjoinPlan } from '../taker/taker.js';
import { formatBtc } from '../wallet/format.js';
import { intIn } from './config/values.js';
import { DESTINATION, FEE_RATE, LOG_LEVEL, MAX_FEE_RATE, MIXDEPTH, YES, addOptions, parseOptions, required, type OptionDef } from './options.js';
import { UsageError, cliProgram, runCli } from './program.js';
import { askYesNo, assertCanConfirm } from './prompt.js';
import { BOT_OPTIONS, clientNetwork, logger, openWallet, outputScript, poolFactory, walletSetup } from './runtime.js';

/** A decimal fraction below 1, kept exact (text for display, ratio for the comparison). */
const fraction = z.string().trim().transform((t, ctx) => {
  const d = parseDecimal(t);
  if (!d.ok || d.value.ratio.num >= d.value.ratio.den) {
    ctx.addIssue({ code: 'custom', message: 'expected a decimal fraction below 1, e.g. 0.001' });
    return z.NEVER;
  }
  return d.value;
});

const TAKER_OPTIONS = {
  ...BOT_OPTIONS,
  amount: required({ flags: '--amount <sats>', help: 'coinjoin amount (each equal output)', value: intIn(27_300, 21e14) }),
  mixdepth: { ...MIXDEPTH, help: 'mixdepth the inputs come from' },
  destination: { ...DESTINATION, help: 'where our coinjoin output goes' },
  makers: { flags: '--makers <k>', help: 'number of makers', value: intIn(1, 20), default: '4' },
  feeRate: FEE_RATE,
  maxFeeRate: MAX_FEE_RATE,
  maxCjFeeAbs: { flags: '--max-cj-fee-abs <sats>', help: 'most an absolute-fee maker may charge', value: intIn(0, 21e14), default: String(DEFAULT_FEE_LIMITS.abs) },
  maxCjFeeRel: { flags: '--max-cj-fee-rel <fraction>', help: 'highest relative fee a maker may charge (0.001 = 0.1 %)', value: fraction, default: '0.001' },
  maxMinerFee: { flags: '--max-miner-fee <sats>', help: 'most miner fee we pay (default: the estimate plus 80 %)', value: intIn(0, 21e14) },
  yes: { ...YES, help: 'do not ask: accept the plan, and any replacement makers, within the per-maker fee limits and the miner-fee cap (required when not on a terminal)' },
  wait: { flags: '--wait <seconds>', help: 'how long to collect offers', value: intIn(1, 600), default: '60' },
  attempts: { flags: '--attempts <n>', help: 'rounds to try, replacing makers that fail', value: intIn(1, 10), default: '3' },
  sentCommitments: {
    flags: '--sent-commitments <file>', value: z.string().min(1),
    help: "PoDLE commitments this taker has sent, never sent again (the reference's commitments.json; default <wallet>.commitments.json)",
  },
  logLevel: { ...LOG_LEVEL, default: 'warn' },
} as const satisfies Record<string, OptionDef>;

async function coinjoin(raw: Record<string, unknown>): Promise<void> {
  const o = parseOptions(TAKER_OPTIONS, raw);
  assertCanConfirm(o.yes, 'the fees');
  if (o.feeRate !== undefined && o.feeRate > o.maxFeeRate) throw new UsageError(`--fee-rate ${o.feeRate} is above --max-fee-rate ${o.maxFeeRate} sat/vB`);
  const setup = walletSetup(o);
  outputScript('--destination', o.destination, setup.network);
  const log = logger('jm-taker', o.logLevel);
  const net = clientNetwork(o, log);
  const w = await openWallet(o, log, setup);
  const core = new CoreTakerWallet(w.wallet, w.rpc, w.save);
  const commitments = await TakerCommitments.load(o.sentCommitments ?? `${o.wallet}.commitments.json`);
  const satPerVb = o.feeRate ?? (await estimateFeeRate(w.rpc, { maxSatPerVb: o.maxFeeRate })).satPerVb;
  const feeLimits: FeeLimits = { abs: o.maxCjFeeAbs, rel: o.maxCjFeeRel.ratio };
  const pool = poolFactory(o, net, log)();
  const watcher = new OrderbookWatcher({ pool, network: w.network.name, chain: coreBondChain(w.rpc), logger: log });
  watcher.start();
  pool.start();
  try {
    await pool.whenConnected(net.transport === 'tor' ? 180_000 : 20_000);
    const taker = new Taker({
      net: poolNetwork(pool), wallet: core, chain: core, commitments, network: toBitcoinjs(w.network), logger: log,
      offers: (q) => gatherOffers(watcher, q, { waitMs: o.wait * 1000, quietMs: 2_000, clock: systemClock, logger: log }),
      confirm: (p) => {
        process.stderr.write(describePlan(p, o.maxCjFeeRel.text));
        return askYesNo(o.yes, p.accepted ? 'Go ahead with these makers?' : 'Go ahead with this coinjoin?');
      },
    });
    const r = await taker.coinjoin({
      amount: o.amount, mixdepth: o.mixdepth, makers: o.makers, destination: o.destination, satPerVb, maxAttempts: o.attempts,
      feeLimits, maxFeeRate: o.maxFeeRate, ...(o.maxMinerFee !== undefined ? { maxMinerFee: o.maxMinerFee } : {}),
    });
    await w.save();
    process.stdout.write(`${r.txid}\n`);
    process.stdout.write(`amount=${o.amount} makers=${r.makers.length} cjfees=${r.cjFees} minerfee=${r.fee} change=${r.takerChange} attempts=${r.attempts}\n`);
  } finally {
    await watcher.stop();
    await pool.stop();
  }
}

/** The plan as the user sees it before confirming (stderr; stdout stays the result). */
function describePlan(p: CoinjoinPlan, relText: string): string {
  const rows = p.makers.map((m) => `  ${m.nick}  fee ${formatBtc(m.cjFee)}  (pays ${formatBtc(m.txfee)} of the miner fee)`);
  const before = p.accepted
    ? [`attempt ${p.attempt}: the replacement makers cost more than accepted before (makers' fees ${formatBtc(p.accepted.cjFees)}, miner fee at most ${formatBtc(p.accepted.maxMinerFee)})`]
    : [];
  return [
    ...before,
    `coinjoin of ${formatBtc(p.amount)} with ${p.makers.length} maker(s):`, ...rows,
    `  makers' fees total  ${formatBtc(p.cjFees)}`,
    `  our miner fee       about ${formatBtc(p.minerFeeEstimate)} at ${p.satPerVb} sat/vB (our ${p.takerInputs} input(s)), at most ${formatBtc(p.maxMinerFee)}`,
    `  limits per maker    ${formatBtc(p.feeLimits.abs)} (absolute fee), ${relText} of the amount (relative fee)`,
    '  a retry with other makers goes ahead unasked only within these totals',
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const program = cliProgram('jm-taker', 'JoinMarket taker: send a coinjoin');
  addOptions(program.command('coinjoin').description('gather offers, choose makers, run one coinjoin and broadcast it'), TAKER_OPTIONS).action(coinjoin);
  return runCli(program, argv);
}

process.exitCode = await main(process.argv);
