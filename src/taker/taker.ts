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
import { ASSUMED_MAKER_INPUTS, MinerFeeBudget, makerWeight, ourShare, takerWeight } from './fee-budget.js';
import type { OfferQuery } from './offer-gather.js';
import { choosePodle } from './podle-choice.js';
import type { TakerChain, TakerCoin, TakerNetwork, TakerWallet } from './ports.js';
import { TakerRound, type BuildResult, type RoundTimeouts } from './round.js';
import { buildCoinjoinTx, type MakerPart } from './tx-build.js';

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
}

/** The fees the user accepted: no later attempt goes over them without asking again. */
export interface AcceptedFees {
  cjFees: bigint;
  maxMinerFee: bigint;
}

/**
 * What the user is asked to accept before the first commitment is spent, and again before a
 * retry whose replacement makers would cost more than `accepted` (in makers' fees or the
 * miner-fee cap).
 */
export interface CoinjoinPlan {
  amount: number;
  makers: Array<{ nick: string; cjFee: bigint; txfee: number }>;
  cjFees: bigint;
  satPerVb: number;
  /** Our inputs (the estimate counts them, and ASSUMED_MAKER_INPUTS per maker). */
  takerInputs: number;
  /** Our share of the miner fee as estimated, and the most we will pay. */
  minerFeeEstimate: bigint;
  maxMinerFee: bigint;
  feeLimits: FeeLimits;
  attempt: number;
  /** What was accepted for an earlier attempt; null for the first plan. */
  accepted: AcceptedFees | null;
}

interface Funded {
  plan: CoinjoinPlan;
  inputs: TakerCoin[];
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
  /**
   * Asked with the first plan, and with a replacement plan that costs more than the one accepted;
   * false cancels before the next commitment is spent. Absent = accept (the limits and caps still apply).
   */
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
    let accepted: AcceptedFees | null = null;
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
      const funded = this.fund(req, chosen.value, limits, destinationScript.length, attempt, accepted);
      const plan = funded.plan;
      // asked before the first commitment, and again only when a replacement goes over what was accepted
      if (accepted === null || plan.cjFees > accepted.cjFees || plan.maxMinerFee > accepted.maxMinerFee) {
        if (this.o.confirm && !(await this.o.confirm(plan))) {
          throw new Error(accepted === null ? 'cancelled: the fees were not accepted' : "cancelled: the replacement makers' fees were not accepted");
        }
        accepted = { cjFees: plan.cjFees, maxMinerFee: plan.maxMinerFee };
      }
      if (attempt > 1) this.log.info({ attempt, makers: plan.makers.map((m) => m.nick), cjFees: String(plan.cjFees) }, 'replacement makers');
      const r = await this.attempt(req, chosen.value, funded, destinationScript, usedCommitments);
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

  /**
   * Our inputs and the fees of this choice: the makers' fees exactly, our miner-fee share
   * estimated from our real inputs (and ASSUMED_MAKER_INPUTS per maker) and capped. The cap is
   * part of what the inputs must cover, and a default cap grows with our inputs, so the two are
   * settled together. A replacement's default cap stays within the cap accepted before when its
   * estimate fits under it. Refuses (before any commitment) a cap below the estimate.
   */
  private fund(
    req: CoinjoinRequest, chosen: readonly OrderbookEntry[], feeLimits: FeeLimits, destinationLen: number, attempt: number, accepted: AcceptedFees | null,
  ): Funded {
    const coins = this.o.wallet.coins(req.mixdepth).filter((c) => c.confirmations >= 1);
    const n = chosen.length;
    const makerTxfee = chosen.reduce((s, c) => s + BigInt(c.offer.txfee), 0n);
    const makers = chosen.map((c) => ({ nick: c.counterparty, cjFee: cjFeeFor(c.offer, req.amount), txfee: c.offer.txfee }));
    const cjFees = makers.reduce((s, m) => s + m.cjFee, 0n);
    for (let k = 1; ; ) {
      const weight = takerWeight(k, destinationLen) + n * makerWeight(ASSUMED_MAKER_INPUTS);
      const estimate = ourShare(weight, req.satPerVb, makerTxfee);
      let cap = req.maxMinerFee !== undefined ? BigInt(req.maxMinerFee) : BigInt(Math.ceil(Number(feeFor(weight, req.satPerVb)) * (1 + MINER_FEE_TOLERANCE)));
      if (req.maxMinerFee === undefined && accepted && cap > accepted.maxMinerFee && estimate <= accepted.maxMinerFee) cap = accepted.maxMinerFee;
      const target = BigInt(req.amount) + cjFees + cap;
      const inputs = selectUtxos(coins, Number(target), 'default');
      if (!inputs) throw new Error(`mixdepth ${req.mixdepth} cannot fund ${target} sat (amount + makers' fees + the miner-fee cap)`);
      if (inputs.length > k) {
        k = inputs.length; // more of our inputs than estimated: a larger fee, maybe a larger target
        continue;
      }
      if (estimate > cap) {
        throw new Error(`the miner-fee cap of ${cap} sat is below our estimated share of ${estimate} sat (our ${inputs.length} input(s), ${n} maker(s) with ${ASSUMED_MAKER_INPUTS} inputs each, ${req.satPerVb} sat/vB); nothing was spent`);
      }
      return {
        inputs,
        plan: {
          amount: req.amount, makers, cjFees, satPerVb: req.satPerVb, takerInputs: inputs.length,
          minerFeeEstimate: estimate, maxMinerFee: cap, feeLimits, attempt, accepted,
        },
      };
    }
  }

  private async attempt(
    req: CoinjoinRequest, chosen: OrderbookEntry[], funded: Funded, destinationScript: Uint8Array, usedCommitments: string[],
  ): Promise<{ ok: true; value: Omit<CoinjoinOutcome, 'attempts' | 'commitments'> } | { ok: false; reason: string; failed: string[]; signed: string[] }> {
    const { plan, inputs } = funded;
    const others = this.o.wallet.coins(req.mixdepth);
    const podle = choosePodle(inputs, others, req.amount, this.o.commitments, (c) => this.o.wallet.privateKey(c), () => this.randomBytes(32));
    if (!podle) throw new Error('no utxo can back a fresh PoDLE commitment (need ≥ 5 confirmations, ≥ 20 % of the amount, unused index 0..2)');
    // everything that can fail on our side happens before the commitment is spent
    const changeScript = this.toScript(await this.o.wallet.changeAddress(req.mixdepth));
    const tip = await this.o.chain.tipHeight();
    await this.o.commitments.add(podle.commitmentHex);
    usedCommitments.push(podle.commitmentHex);
    const budget = new MinerFeeBudget({
      satPerVb: req.satPerVb, cap: plan.maxMinerFee, ownWeight: takerWeight(inputs.length, destinationScript.length, changeScript.length),
      makers: chosen.map((c) => ({ nick: c.counterparty, txfee: c.offer.txfee })),
    });
    let fee = 0n;
    let takerChangeValue = 0n;
    const buildTx = (parts: readonly MakerPart[]): BuildResult => {
      const over = budget.check(parts, 0);
      if (over) return { ok: false, ...over };
      const b = buildCoinjoinTx({ takerInputs: inputs, makers: parts, amount: req.amount, destinationScript, changeScript, satPerVb: req.satPerVb, tipHeight: tip, rng: this.rng });
      if (!b.ok) return b;
      // the budget counted our change output: dropping it as dust only lowers the fee
      if (b.value.takerTxFee > plan.maxMinerFee) return { ok: false, reason: `internal: our miner fee ${b.value.takerTxFee} sat is over the cap of ${plan.maxMinerFee} sat`, failed: [] };
      fee = b.value.fee;
      takerChangeValue = b.value.takerChange;
      return { ok: true, tx: b.value.tx };
    };
    const round = new TakerRound({
      makers: chosen.map((c) => ({ nick: c.counterparty, offer: c.offer })),
      amount: req.amount, proof: podle.proof, takerInputs: inputs,
      send: (to, cmd, args) => this.o.net.send(to, cmd, args),
      buildTx, checkParts: (ready, pending) => budget.check(ready, pending),
      chain: this.o.chain, network: this.o.network, clock: this.clock, log: this.log, randomBytes: this.randomBytes,
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
    let txid: string;
    try {
      txid = await this.o.chain.broadcast(tx.toHex());
    } catch (e) {
      throw new Error(`coinjoin signed by every maker but our node refused to broadcast it: ${(e as Error).message}`);
    }
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
