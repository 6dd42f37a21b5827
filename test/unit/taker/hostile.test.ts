/**
 * The taker against hostile makers on the in-memory bus: absurd fees are never filled, a
 * cancelled confirmation spends nothing, a high-S or wrong-amount `!sig` is refused and its
 * maker replaced from the current book, makers listing one input are both dropped, caps on the
 * miner fee hold, and stray or repeated messages cannot disturb a round.
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { CommitmentBlacklist } from '../../../src/maker/commitments.js';
import { Maker } from '../../../src/maker/maker.js';
import { DEFAULT_YIELD_CONFIG } from '../../../src/protocol/coinjoin/yield.js';
import type { OrderbookEntry } from '../../../src/protocol/coinjoin/taker-choice.js';
import { parseOffer, type Offer } from '../../../src/protocol/offers.js';
import { TakerCommitments } from '../../../src/taker/commitments.js';
import { Taker, type CoinjoinPlan } from '../../../src/taker/taker.js';
import { HostileMaker, type SigTrick } from '../../helpers/hostile-maker.js';
import { FakeChain, NET, keyFor, p2wpkhOf } from '../maker/fakes.js';
import { Bus, FakeTakerWallet } from './bus.js';

const AMOUNT = 1_000_000;
const TAKER = 'J5takerOOOOOOOOO';

function offerOf(text: string): Offer {
  const sp = text.indexOf(' ');
  const r = parseOffer(text.slice(0, sp), text.slice(sp + 1).split(' '));
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

class World {
  readonly chain = new FakeChain();
  readonly bus = new Bus();
  readonly book: OrderbookEntry[] = [];
  readonly stops: Array<() => Promise<void>> = [];
  readonly commitments = TakerCommitments.memory();
  readonly takerWallet = new FakeTakerWallet(this.chain);
  /** Entries that join the book only after the first offer request (a maker arriving late). */
  readonly late: OrderbookEntry[] = [];
  readonly wallets = new Map<string, FakeTakerWallet>();
  offerCalls = 0;

  constructor() {
    this.takerWallet.addCoin(0, 900_000);
    this.takerWallet.addCoin(0, 800_000);
  }

  async honest(nick: string, tamper?: (cmd: string, args: string) => string | null, late = false): Promise<void> {
    const wallet = new FakeTakerWallet(this.chain);
    wallet.addCoin(0, 3_000_000);
    const m = new Maker({
      channels: [this.bus.maker(nick, tamper)], wallet, chain: this.chain, commitments: CommitmentBlacklist.memory(), network: NET,
      yieldConfig: { ...DEFAULT_YIELD_CONFIG, cjfeeR: '0.0003', txfee: 50 }, algorithm: 'basic', timeouts: { authMs: 5_000, txMs: 5_000 },
    });
    await m.start();
    this.stops.push(() => m.stop());
    (late ? this.late : this.book).push({ counterparty: nick, offer: m.offers.current[0] as Offer, bondValue: 0 });
  }

  /** A hostile maker with a coin of its own, or listing the coin of `copyOf`. */
  async hostile(nick: string, o: { offer?: string; sig?: SigTrick; copyOf?: string } = {}): Promise<HostileMaker> {
    const wallet = o.copyOf ? this.wallets.get(o.copyOf)! : new FakeTakerWallet(this.chain);
    if (!o.copyOf) wallet.addCoin(0, 3_000_000);
    this.wallets.set(nick, wallet);
    const offer = o.offer ?? 'sw0reloffer 0 100000 9000000 50 0.0003';
    const h = new HostileMaker({
      channel: this.bus.maker(nick), offer, coins: wallet.coins(0), privateKey: (u) => wallet.privateKey(u), network: NET,
      cjAddress: wallet.freshAddress(1, true), changeAddress: wallet.freshAddress(0, true), sig: o.sig ?? 'honest',
    });
    await h.start();
    this.stops.push(() => h.stop());
    this.book.push({ counterparty: nick, offer: offerOf(offer), bondValue: 0 });
    return h;
  }

  taker(o: { confirm?: (p: CoinjoinPlan) => Promise<boolean> } = {}): Taker {
    return new Taker({
      net: this.bus.taker(TAKER), wallet: this.takerWallet, chain: this.chain, commitments: this.commitments, network: NET,
      offers: async () => (this.offerCalls++ === 0 ? [...this.book] : [...this.book, ...this.late]),
      rng: () => 0.5, timeouts: { ioauthMs: 1_000, sigMs: 1_000 }, ...(o.confirm ? { confirm: o.confirm } : {}),
    });
  }

  request(makers = 2) {
    return { amount: AMOUNT, mixdepth: 0, makers, destination: p2wpkhOf(keyFor('dest')).address, satPerVb: 2 };
  }

  /** Inputs of every transaction broadcast. */
  spent(): string[] {
    return this.chain.broadcasts.flatMap((hex) => Transaction.fromHex(hex).ins.map((i) => `${Buffer.from(i.hash).reverse().toString('hex')}:${i.index}`));
  }

  stop(): Promise<void[]> {
    return Promise.all(this.stops.map((s) => s()));
  }
}

describe('Taker against hostile makers', () => {
  it('never fills an offer over the fee limits and spends no commitment on the attempt', async () => {
    const w = new World();
    const greedy = await w.hostile('J5greedyOOOOOOOO', { offer: 'sw0absoffer 0 100000 9000000 0 5000000' });
    await w.honest('J5makerAOOOOOOOO');
    const e = await w.taker().coinjoin(w.request(2)).catch((x: Error) => x);
    await w.stop();
    expect((e as Error).message).toMatch(/need 2 makers, only 1 offer \(1 more over the fee limits\)/);
    expect(greedy.fills).toEqual([]);
    expect(w.commitments.size).toBe(0);
    expect(w.chain.broadcasts).toEqual([]);
  });

  it('shows the plan first; a refusal stops before any commitment or !fill', async () => {
    const w = new World();
    await w.honest('J5makerAOOOOOOOO');
    await w.honest('J5makerBOOOOOOOO');
    const plans: CoinjoinPlan[] = [];
    const e = await w.taker({ confirm: async (p) => (plans.push(p), false) }).coinjoin(w.request(2)).catch((x: Error) => x);
    await w.stop();
    expect((e as Error).message).toMatch(/cancelled/);
    expect(plans).toHaveLength(1);
    expect(plans[0]!.cjFees).toBe(600n); // 2 × 0.0003 × 1,000,000
    expect(plans[0]!.maxMinerFee > plans[0]!.minerFeeEstimate).toBe(true);
    expect(plans[0]!.feeLimits.abs).toBe(500);
    expect(w.commitments.size).toBe(0);
  });

  it('refuses a high-S !sig, blames that maker and completes with makers that joined the book meanwhile', async () => {
    const w = new World();
    const h = await w.hostile('J5highsOOOOOOOOO', { sig: 'high-s' });
    await w.honest('J5makerAOOOOOOOO');
    await w.honest('J5makerCOOOOOOOO', undefined, true);
    await w.honest('J5makerDOOOOOOOO', undefined, true);
    const hostileCoins = w.wallets.get('J5highsOOOOOOOOO')!.coins(0).map((c) => `${c.txid}:${c.vout}`);
    const r = await w.taker().coinjoin(w.request(2));
    await w.stop();
    expect(w.spent().filter((i) => hostileCoins.includes(i))).toEqual([]);
    expect(h.signedFor).toEqual([TAKER]); // it did answer, with a high-S signature
    expect(r.attempts).toBe(2);
    // A signed the abandoned transaction (its coins stay locked), so it sits the retry out
    expect(r.makers.map((m) => m.nick).sort()).toEqual(['J5makerCOOOOOOOO', 'J5makerDOOOOOOOO']);
    expect(w.chain.broadcasts).toHaveLength(1);
    expect(r.commitments).toHaveLength(2);
  });

  it('refuses a signature over a wrong amount; with no replacement nothing is broadcast', async () => {
    const w = new World();
    await w.hostile('J5wrongOOOOOOOOO', { sig: 'wrong-amount' });
    await w.honest('J5makerAOOOOOOOO');
    const e = await w.taker().coinjoin(w.request(2)).catch((x: Error) => x);
    await w.stop();
    expect((e as Error).message).toMatch(/need 2 makers, only 0 offer \(2 left out after the last attempt: J5wrongOOOOOOOOO: signature matches none of its unsigned inputs\)/);
    expect(w.chain.broadcasts).toEqual([]);
  });

  it('two makers listing the same input are both dropped', async () => {
    const w = new World();
    await w.hostile('J5copyAOOOOOOOOO');
    await w.hostile('J5copyBOOOOOOOOO', { copyOf: 'J5copyAOOOOOOOOO' }); // lists A's coin: which one lies is unknowable
    const e = await w.taker().coinjoin(w.request(2)).catch((x: Error) => x);
    await w.stop();
    expect((e as Error).message).toMatch(/need 2 makers, only 0 offer \(2 left out after the last attempt: input [0-9a-f]{64}:0 listed by both J5copy[AB]OOOOOOOOO and J5copy[AB]OOOOOOOOO\)/);
  });

  it('caps the miner fee: rate before anything, amount before the transaction is sent', async () => {
    const w = new World();
    await w.honest('J5makerAOOOOOOOO');
    await w.honest('J5makerBOOOOOOOO');
    const t = w.taker();
    await expect(t.coinjoin({ ...w.request(2), satPerVb: 351 })).rejects.toThrow(/fee rate 351 sat\/vB is outside \(0, 350\]/);
    expect(w.commitments.size).toBe(0);
    await expect(t.coinjoin({ ...w.request(2), maxMinerFee: 100 })).rejects.toThrow(/our miner fee \d+ sat would exceed the cap of 100 sat/);
    await w.stop();
    expect(w.chain.broadcasts).toEqual([]);
  });

  it('a stray !sig before !tx and a repeated !ioauth are ignored; the round completes', async () => {
    const w = new World();
    const noisy = (cmd: string, args: string): string | null => {
      if (cmd === 'pubkey') w.bus.toTaker('J5makerAOOOOOOOO', TAKER, `!sig ${'A'.repeat(40)}`);
      if (cmd === 'ioauth') w.bus.toTaker('J5makerAOOOOOOOO', TAKER, `!ioauth ${args}`);
      return args;
    };
    await w.honest('J5makerAOOOOOOOO', noisy);
    await w.honest('J5makerBOOOOOOOO');
    const r = await w.taker().coinjoin(w.request(2));
    await w.stop();
    expect(r.attempts).toBe(1);
    expect(w.chain.broadcasts).toHaveLength(1);
  });
});
