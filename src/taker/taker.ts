/**
 * The taker: gather offers, choose makers (fidelity-bond weighted with the bondless
 * allowance), pick inputs and a fresh PoDLE commitment, run a round; when makers fail or stay
 * silent, retry without them with a new commitment. Then sign our inputs and broadcast.
 */
import { address as bjsAddress, type Network, type Transaction } from 'bitcoinjs-lib';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import {
  REF_BONDLESS_MAKERS_ALLOWANCE, cheapestPerMaker, chooseMakers, filterOffers, type OrderbookEntry,
} from '../protocol/coinjoin/taker-choice.js';
import { selectUtxos } from '../protocol/coinjoin/select.js';
import { outpointKey } from '../protocol/coinjoin/utxo.js';
import { cjFeeFor, type Ratio } from '../protocol/offers.js';
import { systemClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { feeFor } from '../wallet/vsize.js';
import type { TakerCommitments } from './commitments.js';
import { choosePodle } from './podle-choice.js';
import type { TakerChain, TakerCoin, TakerNetwork, TakerWallet } from './ports.js';
import { TakerRound, type RoundTimeouts } from './round.js';
import { buildCoinjoinTx, coinjoinWeight, type MakerPart } from './tx-build.js';

export interface CoinjoinRequest {
  amount: number;
  mixdepth: number;
  makers: number;
  destination: string;
  satPerVb: number;
  maxAttempts?: number;
  allowance?: number;
  maxCjFeeAbs?: number;
  maxCjFeeRel?: Ratio;
  /** Inputs per maker assumed when sizing our own inputs. */
  assumedMakerInputs?: number;
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
  /** Offer source, e.g. `(amount, need) => gatherOffers(watcher, …)`. */
  offers: (amount: number, need: number) => Promise<OrderbookEntry[]>;
  wallet: TakerWallet;
  chain: TakerChain;
  commitments: TakerCommitments;
  network: Network;
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
    const all = await this.o.offers(req.amount, req.makers);
    const ignored = new Set<string>([this.o.net.nick]);
    const usedCommitments: string[] = [];
    const maxAttempts = req.maxAttempts ?? 3;
    let lastReason = 'no attempt made';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const eligible = cheapestPerMaker(filterOffers(all, {
        amount: req.amount, range: 'inclusive', ignored,
        ...(req.maxCjFeeAbs !== undefined && req.maxCjFeeRel !== undefined ? { maxCjFeeAbs: req.maxCjFeeAbs, maxCjFeeRel: req.maxCjFeeRel } : {}),
      }), req.amount);
      const chosen = chooseMakers(eligible, req.makers, this.rng, req.allowance ?? REF_BONDLESS_MAKERS_ALLOWANCE);
      if (!chosen.ok) throw new Error(`coinjoin failed after ${attempt - 1} attempt(s): ${chosen.reason}${attempt > 1 ? ` (last: ${lastReason})` : ''}`);
      const r = await this.attempt(req, chosen.value, destinationScript, usedCommitments);
      if (r.ok) return { ...r.value, attempts: attempt, commitments: usedCommitments };
      lastReason = r.reason;
      if (r.failed.length === 0) throw new Error(`coinjoin failed: ${r.reason}`);
      for (const n of r.failed) ignored.add(n);
      this.log.warn({ attempt, reason: r.reason, replacing: r.failed }, 'retrying without unresponsive makers');
    }
    throw new Error(`coinjoin failed after ${maxAttempts} attempts: ${lastReason}`);
  }

  private async attempt(
    req: CoinjoinRequest, chosen: OrderbookEntry[], destinationScript: Uint8Array, usedCommitments: string[],
  ): Promise<{ ok: true; value: Omit<CoinjoinOutcome, 'attempts' | 'commitments'> } | { ok: false; reason: string; failed: string[] }> {
    const offers = chosen.map((c) => c.offer);
    const coins = this.o.wallet.coins(req.mixdepth).filter((c) => c.confirmations >= 1);
    const guessInputs = (req.assumedMakerInputs ?? 3) * chosen.length + 3;
    const guessFee = feeFor(coinjoinWeight(guessInputs, Array(2 * chosen.length + 2).fill(22)), req.satPerVb);
    const cjFees = offers.reduce((s, o) => s + cjFeeFor(o, req.amount), 0n);
    const target = BigInt(req.amount) + cjFees + guessFee;
    const inputs = selectUtxos(coins, Number(target), 'default');
    if (!inputs) throw new Error(`mixdepth ${req.mixdepth} cannot fund ${target} sat (amount + maker fees + estimated miner fee)`);
    const others = this.o.wallet.coins(req.mixdepth);
    const podle = choosePodle(inputs, others, req.amount, this.o.commitments, (c) => this.o.wallet.privateKey(c), () => this.randomBytes(32));
    if (!podle) throw new Error('no utxo can back a fresh PoDLE commitment (need ≥ 5 confirmations, ≥ 20 % of the amount, unused index 0..2)');
    await this.o.commitments.add(podle.commitmentHex);
    usedCommitments.push(podle.commitmentHex);
    const changeScript = this.toScript(this.o.wallet.freshAddress(req.mixdepth, true));
    const tip = await this.o.chain.tipHeight();
    let fee = 0n;
    let takerChangeValue = 0n;
    const round = new TakerRound({
      makers: chosen.map((c) => ({ nick: c.counterparty, offer: c.offer })),
      amount: req.amount,
      proof: podle.proof,
      takerInputs: inputs,
      send: (to, cmd, args) => this.o.net.send(to, cmd, args),
      buildTx: (parts: readonly MakerPart[]) => {
        const b = buildCoinjoinTx({ takerInputs: inputs, makers: parts, amount: req.amount, destinationScript, changeScript, satPerVb: req.satPerVb, tipHeight: tip, rng: this.rng });
        if (!b.ok) return b;
        fee = b.value.fee;
        takerChangeValue = b.value.takerChange;
        return { ok: true, tx: b.value.tx };
      },
      chain: this.o.chain,
      network: this.o.network,
      clock: this.clock,
      log: this.log,
      randomBytes: this.randomBytes,
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
        txid, tx, fee, cjFees, takerChange: takerChangeValue,
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
