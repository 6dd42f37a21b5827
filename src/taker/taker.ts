/**
 * The taker: gather offers, drop every offer over the fee limits, choose makers
 * (fidelity-bond weighted with the bondless allowance, one bond counted once), show the plan
 * for confirmation, pick inputs and a fresh PoDLE commitment, run a round; when makers fail or
 * stay silent, retry without them (fresh offers from the book, a new commitment). Then sign our
 * inputs and broadcast. Safe by default: fee limits and miner-fee caps always apply.
 */
import { address as bjsAddress, type Network, type Transaction } from 'bitcoinjs-lib';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import {
  DEFAULT_FEE_LIMITS, REF_BONDLESS_MAKERS_ALLOWANCE, cheapestPerMaker, chooseMakers, distinctMakers, filterOffers,
  withinFeeLimits, type FeeLimits, type OrderbookEntry,
} from '../protocol/coinjoin/taker-choice.js';
import { selectUtxos } from '../protocol/coinjoin/select.js';
import { outpointKey } from '../protocol/coinjoin/utxo.js';
import { cjFeeFor } from '../protocol/offers.js';
import { systemClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { feeFor } from '../wallet/vsize.js';
import type { TakerCommitments } from './commitments.js';
import type { OfferQuery } from './offer-gather.js';
import { choosePodle } from './podle-choice.js';
import type { TakerChain, TakerCoin, TakerNetwork, TakerWallet } from './ports.js';
import { TakerRound, type BuildResult, type RoundTimeouts } from './round.js';
import { buildCoinjoinTx, coinjoinWeight, type MakerPart } from './tx-build.js';

/** REF's absurd_fee_per_kb (350,000 sat/kvB). */
export const DEFAULT_MAX_FEE_RATE = 350;
/** REF's max_sweep_fee_change: the miner fee may exceed its estimate by this fraction. */
export const MINER_FEE_TOLERANCE = 0.8;

export interface CoinjoinRequest {
  amount: number;
  mixdepth: number;
  makers: number;
  destination: string;
  satPerVb: number;
  maxAttempts?: number;
  allowance?: number;
  /** Per-maker coinjoin fee limits (default DEFAULT_FEE_LIMITS). */
  feeLimits?: FeeLimits;
  /** Highest miner fee rate accepted, sat/vB (default 350). */
  maxFeeRate?: number;
  /** Most miner fee we pay, sat (default: the estimate plus MINER_FEE_TOLERANCE). */
  maxMinerFee?: number;
  /** Inputs per maker assumed when sizing our own inputs and the fee estimate. */
  assumedMakerInputs?: number;
}

/** What the user is asked to accept before the first commitment is spent. */
export interface CoinjoinPlan {
  amount: number;
  makers: Array<{ nick: string; cjFee: bigint; txfee: number }>;
  cjFees: bigint;
  satPerVb: number;
  /** Our share of the miner fee as estimated, and the most we will pay. */
  minerFeeEstimate: bigint;
  maxMinerFee: bigint;
  feeLimits: FeeLimits;
}

export interface CoinjoinOutcome {
  txid: string;
  tx: Transaction;
  fee: bigint;
  cjFees: bigint;
  takerChange: bigint;
  makers: Array<{ nick: string; cjFee: bigint; txfee: number; inputs: number }>;
  attempts: number;
  commitments: string[];
}

export interface TakerOptions {
  net: TakerNetwork;
  /** Offer source, e.g. `(q) => gatherOffers(watcher, q, timing)`; asked again before each attempt. */
  offers: (q: OfferQuery) => Promise<OrderbookEntry[]>;
  wallet: TakerWallet;
  chain: TakerChain;
  commitments: TakerCommitments;
  network: Network;
  /** Asked once with the first plan; false cancels before anything is spent. Absent = accept. */
  confirm?: (plan: CoinjoinPlan) => Promise<boolean>;
  clock?: Clock;
  logger?: Logger;
  rng?: () => number;
  randomBytes?: (n: number) => Uint8Array;
  timeouts?: RoundTimeouts;
}

export class Taker {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly rng: () => number;
  private readonly randomBytes: (n: number) => Uint8Array;

  constructor(private readonly o: TakerOptions) {
    this.clock = o.clock ?? systemClock;
    this.log = o.logger ?? silentLogger();
    this.rng = o.rng ?? Math.random;
    this.randomBytes = o.randomBytes ?? ((n) => new Uint8Array(nodeRandomBytes(n)));
  }

  async coinjoin(req: CoinjoinRequest): Promise<CoinjoinOutcome> {
    const destinationScript = this.toScript(req.destination);
    if (!Number.isSafeInteger(req.amount) || req.amount <= 0) throw new Error(`invalid amount ${req.amount}`);
    const maxRate = req.maxFeeRate ?? DEFAULT_MAX_FEE_RATE;
    if (!(req.satPerVb > 0) || req.satPerVb > maxRate) throw new Error(`fee rate ${req.satPerVb} sat/vB is outside (0, ${maxRate}] sat/vB (the miner fee-rate cap)`);
    const limits = req.feeLimits ?? DEFAULT_FEE_LIMITS;
    const ignored = new Set<string>([this.o.net.nick]);
    const usedCommitments: string[] = [];
    const maxAttempts = req.maxAttempts ?? 3;
    let lastReason = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const filter = { amount: req.amount, range: 'inclusive', ignored } as const;
      const usable = (e: Pick<OrderbookEntry, 'counterparty' | 'offer'>) => filterOffers([{ ...e, bondValue: 0 }], filter).length > 0;
      const all = await this.o.offers({ amount: req.amount, need: req.makers, eligible: (e) => usable(e) && withinFeeLimits(e.offer, limits) });
      const eligible = cheapestPerMaker(filterOffers(all, { ...filter, feeLimits: limits }), req.amount);
      const chosen = chooseMakers(eligible, req.makers, this.rng, req.allowance ?? REF_BONDLESS_MAKERS_ALLOWANCE);
      if (!chosen.ok) {
        const over = distinctMakers(filterOffers(all, filter)) - distinctMakers(eligible);
        const dropped = ignored.size - 1;
        const why = [
          over > 0 ? `${over} more over the fee limits` : '',
          dropped > 0 ? `${dropped} left out after the last attempt: ${lastReason}` : '',
        ].filter(Boolean).join('; ');
        throw new Error(`coinjoin failed after ${attempt - 1} attempt(s): ${chosen.reason}${why ? ` (${why})` : ''}`);
      }
      const plan = this.plan(req, chosen.value, limits);
      if (attempt === 1 && this.o.confirm && !(await this.o.confirm(plan))) throw new Error('cancelled: the fees were not accepted');
      if (attempt > 1) this.log.info({ attempt, makers: plan.makers.map((m) => m.nick), cjFees: String(plan.cjFees) }, 'replacement makers');
      const r = await this.attempt(req, chosen.value, plan, destinationScript, usedCommitments);
      if (r.ok) return { ...r.value, attempts: attempt, commitments: usedCommitments };
      lastReason = r.reason;
      if (r.failed.length === 0) throw new Error(`coinjoin failed: ${r.reason}`);
      // makers that signed the abandoned transaction keep its coins locked until they give up
      // on it (ours do), so they sit out the retry rather than time it out
      for (const n of [...r.failed, ...r.signed]) ignored.add(n);
      this.log.warn({ attempt, reason: r.reason, replacing: r.failed, sittingOut: r.signed }, 'retrying without the makers that failed');
    }
    throw new Error(`coinjoin failed after ${maxAttempts} attempts: ${lastReason}`);
  }

  /** Fees of this choice: the makers' fees exactly, our miner-fee share estimated and capped. */
  private plan(req: CoinjoinRequest, chosen: readonly OrderbookEntry[], feeLimits: FeeLimits): CoinjoinPlan {
    const n = chosen.length;
    const estimate = feeFor(coinjoinWeight((req.assumedMakerInputs ?? 3) * n + 3, Array(2 * n + 2).fill(22)), req.satPerVb);
    const makerTxfee = chosen.reduce((s, c) => s + BigInt(c.offer.txfee), 0n);
    const share = estimate > makerTxfee ? estimate - makerTxfee : 0n;
    const cap = req.maxMinerFee !== undefined ? BigInt(req.maxMinerFee) : BigInt(Math.ceil(Number(estimate) * (1 + MINER_FEE_TOLERANCE)));
    const makers = chosen.map((c) => ({ nick: c.counterparty, cjFee: cjFeeFor(c.offer, req.amount), txfee: c.offer.txfee }));
    return {
      amount: req.amount, makers, cjFees: makers.reduce((s, m) => s + m.cjFee, 0n), satPerVb: req.satPerVb,
      minerFeeEstimate: share, maxMinerFee: cap, feeLimits,
    };
  }

  private async attempt(
    req: CoinjoinRequest, chosen: OrderbookEntry[], plan: CoinjoinPlan, destinationScript: Uint8Array, usedCommitments: string[],
  ): Promise<{ ok: true; value: Omit<CoinjoinOutcome, 'attempts' | 'commitments'> } | { ok: false; reason: string; failed: string[]; signed: string[] }> {
    const coins = this.o.wallet.coins(req.mixdepth).filter((c) => c.confirmations >= 1);
    const target = BigInt(req.amount) + plan.cjFees + plan.maxMinerFee;
    const inputs = selectUtxos(coins, Number(target), 'default');
    if (!inputs) throw new Error(`mixdepth ${req.mixdepth} cannot fund ${target} sat (amount + maker fees + the miner-fee cap)`);
    const others = this.o.wallet.coins(req.mixdepth);
    const podle = choosePodle(inputs, others, req.amount, this.o.commitments, (c) => this.o.wallet.privateKey(c), () => this.randomBytes(32));
    if (!podle) throw new Error('no utxo can back a fresh PoDLE commitment (need ≥ 5 confirmations, ≥ 20 % of the amount, unused index 0..2)');
    await this.o.commitments.add(podle.commitmentHex);
    usedCommitments.push(podle.commitmentHex);
    const changeScript = this.toScript(this.o.wallet.freshAddress(req.mixdepth, true));
    const tip = await this.o.chain.tipHeight();
    let fee = 0n;
    let takerChangeValue = 0n;
    const assumed = req.assumedMakerInputs ?? 3;
    const buildTx = (parts: readonly MakerPart[]): BuildResult => {
      const b = buildCoinjoinTx({ takerInputs: inputs, makers: parts, amount: req.amount, destinationScript, changeScript, satPerVb: req.satPerVb, tipHeight: tip, rng: this.rng });
      if (!b.ok) return b;
      if (b.value.takerTxFee > plan.maxMinerFee) {
        // the fee grew with the inputs makers brought: blame those above the assumed count
        const heavy = parts.filter((p) => p.inputs.length > assumed).map((p) => p.nick);
        return { ok: false, reason: `our miner fee ${b.value.takerTxFee} sat would exceed the cap of ${plan.maxMinerFee} sat`, failed: heavy };
      }
      fee = b.value.fee;
      takerChangeValue = b.value.takerChange;
      return { ok: true, tx: b.value.tx };
    };
    const round = new TakerRound({
      makers: chosen.map((c) => ({ nick: c.counterparty, offer: c.offer })),
      amount: req.amount, proof: podle.proof, takerInputs: inputs,
      send: (to, cmd, args) => this.o.net.send(to, cmd, args),
      buildTx, chain: this.o.chain, network: this.o.network, clock: this.clock, log: this.log, randomBytes: this.randomBytes,
      ...(this.o.timeouts ? { timeouts: this.o.timeouts } : {}),
    });
    const off = this.o.net.onPrivmsg((from, commands) => round.onMessage(from, commands));
    let result;
    try {
      result = await round.run();
    } finally {
      off();
    }
    if (!result.ok) return result;
    const tx = result.tx;
    const mine = new Map(inputs.map((c) => [outpointKey(c), c] as const));
    const ours: Array<{ index: number; coin: TakerCoin }> = [];
    tx.ins.forEach((inp, index) => {
      const coin = mine.get(`${Buffer.from(inp.hash).reverse().toString('hex')}:${inp.index}`);
      if (coin) ours.push({ index, coin });
    });
    this.o.wallet.signInputs(tx, ours);
    const txid = await this.o.chain.broadcast(tx.toHex());
    this.log.info({ txid, fee: String(fee) }, 'coinjoin broadcast');
    return {
      ok: true,
      value: {
        txid, tx, fee, cjFees: plan.cjFees, takerChange: takerChangeValue,
        makers: result.makers.map((m) => ({ nick: m.nick, cjFee: cjFeeFor(m.offer, req.amount), txfee: m.offer.txfee, inputs: m.inputs.length })),
      },
    };
  }

  private toScript(addr: string): Uint8Array {
    try {
      return bjsAddress.toOutputScript(addr, this.o.network);
    } catch {
      throw new Error(`"${addr}" is not a valid address for this network`);
    }
  }
}
