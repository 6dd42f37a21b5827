/** In-memory message bus between real Maker bots and a Taker (no directory), for unit tests. */
import type { Transaction } from 'bitcoinjs-lib';
import { publicKeyOf, signDigestDer, concatBytes } from '../../../src/protocol/crypto.js';
import { splitCommands, type Command } from '../../../src/protocol/offers.js';
import type { InboundMessage } from '../../../src/maker/ports.js';
import type { TakerCoin, TakerNetwork, TakerWallet } from '../../../src/taker/ports.js';
import { FakeChain, FakeChannel, FakeWallet } from '../maker/fakes.js';

type Tamper = (cmd: string, args: string) => string | null;

export class Bus {
  private readonly makers = new Map<string, BusMakerChannel>();
  private readonly takers = new Map<string, Array<(from: string, c: readonly Command[]) => void>>();

  maker(nick: string, tamper?: Tamper): BusMakerChannel {
    const ch = new BusMakerChannel(nick, this, tamper);
    this.makers.set(nick, ch);
    return ch;
  }
  taker(nick: string): TakerNetwork {
    return {
      nick,
      send: (to, cmd, args) => {
        const m = this.makers.get(to);
        if (m) setImmediate(() => m.receive(nick, `!${cmd} ${args}`));
        return true;
      },
      onPrivmsg: (h) => {
        const list = this.takers.get(nick) ?? [];
        list.push(h);
        this.takers.set(nick, list);
        return () => this.takers.set(nick, (this.takers.get(nick) ?? []).filter((x) => x !== h));
      },
    };
  }
  toTaker(from: string, to: string, body: string): void {
    setImmediate(() => {
      for (const h of this.takers.get(to) ?? []) h(from, splitCommands(body));
    });
  }
}

/** The maker's fake channel, with privmsg replies carried over the bus (optionally tampered). */
export class BusMakerChannel extends FakeChannel {
  constructor(nick: string, private readonly bus: Bus, private readonly tamper?: Tamper) {
    super(nick);
  }
  receive(from: string, body: string): void {
    const m: InboundMessage = {
      from, kind: 'priv', commands: splitCommands(body), fromDirectory: false, route: 'bus',
      reply: (cmd, args) => {
        const a = this.tamper ? this.tamper(cmd, args) : args;
        if (a !== null) this.bus.toTaker(this.nick, from, `!${cmd} ${a}`);
        return true;
      },
    };
    for (const h of this.handlers) h(m);
  }
}

/** FakeWallet that also signs (and registers its coins on the fake chain). */
export class FakeTakerWallet extends FakeWallet implements TakerWallet {
  constructor(private readonly chain: FakeChain) {
    super();
  }
  override addCoin(mixdepth: number, valueSats: number, confirmations = 10): TakerCoin {
    const c = super.addCoin(mixdepth, valueSats, confirmations);
    this.chain.utxos.set(`${c.txid}:${c.vout}`, { valueSats, confirmations, scriptPubKey: c.scriptPubKey });
    return c;
  }
  async changeAddress(mixdepth: number): Promise<string> {
    return this.freshAddress(mixdepth, true);
  }
  signInputs(tx: Transaction, inputs: ReadonlyArray<{ index: number; coin: TakerCoin }>): void {
    for (const { index, coin } of inputs) {
      const priv = this.privateKey(coin);
      const pub = publicKeyOf(priv);
      const code = concatBytes(Uint8Array.of(0x76, 0xa9, 0x14), coin.scriptPubKey.subarray(2), Uint8Array.of(0x88, 0xac));
      const der = signDigestDer(tx.hashForWitnessV0(index, code, BigInt(coin.valueSats), 1), priv);
      tx.setWitness(index, [concatBytes(der, Uint8Array.of(1)), pub]);
    }
  }
}
