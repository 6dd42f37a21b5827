/**
 * A taker unit-test world on the in-memory bus: honest Maker bots and hostile makers, one
 * fake chain, the taker's own wallet and commitments, and the book the taker reads (makers
 * marked `late` join it after the first offer request).
 */
import { Transaction } from 'bitcoinjs-lib';
import { afterEach } from 'vitest';
import { CommitmentBlacklist } from '../../../src/maker/commitments.js';
import { Maker } from '../../../src/maker/maker.js';
import { DEFAULT_YIELD_CONFIG } from '../../../src/protocol/coinjoin/yield.js';
import type { OrderbookEntry } from '../../../src/protocol/coinjoin/taker-choice.js';
import type { Offer } from '../../../src/protocol/offers.js';
import { TakerCommitments } from '../../../src/taker/commitments.js';
import type { TakerChain, TakerNetwork, TakerWallet } from '../../../src/taker/ports.js';
import { Taker, type CoinjoinPlan, type CoinjoinRequest } from '../../../src/taker/taker.js';
import { HostileMaker, type SigTrick } from '../../helpers/hostile-maker.js';
import { parsedOffer } from '../coinjoin/helpers.js';
import { FakeChain, NET, keyFor, p2wpkhOf } from '../maker/fakes.js';
import { Bus, FakeTakerWallet } from './bus.js';

export const AMOUNT = 1_000_000;
export const TAKER = 'J5takerOOOOOOOOO';

export interface HostileOptions {
  offer?: string;
  sig?: SigTrick;
  /** List the coin of this maker instead of one of its own. */
  copyOf?: string;
  /** Values of its coins (default one of 3,000,000). */
  coins?: number[];
  late?: boolean;
}

export class World {
  readonly chain = new FakeChain();
  readonly bus = new Bus();
  readonly book: OrderbookEntry[] = [];
  readonly stops: Array<() => Promise<void>> = [];
  readonly commitments = TakerCommitments.memory();
  readonly takerWallet = new FakeTakerWallet(this.chain);
  readonly late: OrderbookEntry[] = [];
  readonly wallets = new Map<string, FakeTakerWallet>();
  offerCalls = 0;

  constructor(takerCoins: number[] = [900_000, 800_000]) {
    for (const v of takerCoins) this.takerWallet.addCoin(0, v);
  }

  async honest(nick: string, tamper?: (cmd: string, args: string) => string | null, late = false, cjfeeR = '0.0003'): Promise<void> {
    const wallet = new FakeTakerWallet(this.chain);
    wallet.addCoin(0, 3_000_000);
    const m = new Maker({
      channels: [this.bus.maker(nick, tamper)], wallet, chain: this.chain, commitments: CommitmentBlacklist.memory(), network: NET,
      yieldConfig: { ...DEFAULT_YIELD_CONFIG, cjfeeR, txfee: 50 }, algorithm: 'basic', timeouts: { authMs: 5_000, txMs: 5_000 },
    });
    await m.start();
    this.stops.push(() => m.stop());
    (late ? this.late : this.book).push({ counterparty: nick, offer: m.offers.current[0] as Offer, bondValue: 0 });
  }

  /** A hostile maker with coins of its own, or listing the coin of `copyOf`. */
  async hostile(nick: string, o: HostileOptions = {}): Promise<HostileMaker> {
    const wallet = o.copyOf ? this.wallets.get(o.copyOf)! : new FakeTakerWallet(this.chain);
    if (!o.copyOf) for (const v of o.coins ?? [3_000_000]) wallet.addCoin(0, v);
    this.wallets.set(nick, wallet);
    const offer = o.offer ?? 'sw0reloffer 0 100000 9000000 50 0.0003';
    const h = new HostileMaker({
      channel: this.bus.maker(nick), offer, coins: wallet.coins(0), privateKey: (u) => wallet.privateKey(u), network: NET,
      cjAddress: wallet.freshAddress(1, true), changeAddress: wallet.freshAddress(0, true), sig: o.sig ?? 'honest',
    });
    await h.start();
    this.stops.push(() => h.stop());
    const sp = offer.indexOf(' ');
    (o.late ? this.late : this.book).push({ counterparty: nick, offer: parsedOffer(offer.slice(0, sp), offer.slice(sp + 1)), bondValue: 0 });
    return h;
  }

  taker(o: { confirm?: (p: CoinjoinPlan) => Promise<boolean>; chain?: TakerChain; wallet?: TakerWallet; net?: TakerNetwork } = {}): Taker {
    return new Taker({
      net: o.net ?? this.bus.taker(TAKER), wallet: o.wallet ?? this.takerWallet, chain: o.chain ?? this.chain, commitments: this.commitments, network: NET,
      offers: async () => (this.offerCalls++ === 0 ? [...this.book] : [...this.book, ...this.late]),
      rng: () => 0.5, timeouts: { ioauthMs: 1_000, sigMs: 1_000 }, ...(o.confirm ? { confirm: o.confirm } : {}),
    });
  }

  request(makers = 2): CoinjoinRequest {
    return { amount: AMOUNT, mixdepth: 0, makers, destination: p2wpkhOf(keyFor('dest')).address, satPerVb: 2 };
  }

  /** Inputs of every transaction broadcast. */
  spent(): string[] {
    return this.chain.broadcasts.flatMap((hex) => Transaction.fromHex(hex).ins.map((i) => `${Buffer.from(i.hash).reverse().toString('hex')}:${i.index}`));
  }

  coinsOf(nick: string): string[] {
    return this.wallets.get(nick)!.coins(0).map((c) => `${c.txid}:${c.vout}`);
  }

  stop(): Promise<void[]> {
    return Promise.all(this.stops.map((s) => s()));
  }
}

/** For a test file: makes Worlds and stops every one after each test, passed or failed. */
export function worldsStoppedAfterEach(): (takerCoins?: number[]) => World {
  const worlds: World[] = [];
  afterEach(async () => {
    await Promise.all(worlds.splice(0).map((w) => w.stop()));
  });
  return (takerCoins) => {
    const w = new World(takerCoins);
    worlds.push(w);
    return w;
  };
}
