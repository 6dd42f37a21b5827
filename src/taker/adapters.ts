/**
 * The real components behind the taker's ports: DirectoryPool as TakerNetwork, Wallet +
 * Bitcoin Core as TakerWallet/TakerChain.
 */
import type { Transaction } from 'bitcoinjs-lib';
import type { DirectoryPool } from '../client/directory-pool.js';
import type { MakerUtxo } from '../protocol/coinjoin/tx-check.js';
import type { Outpoint } from '../protocol/coinjoin/utxo.js';
import type { CoreRpc } from '../wallet/backend/rpc.js';
import { chainUtxo, p2wpkhPrivateKey, spendableP2wpkhCoins } from '../wallet/coins.js';
import { INTERNAL } from '../wallet/hd.js';
import type { Wallet } from '../wallet/wallet.js';
import type { ChainUtxo, TakerChain, TakerCoin, TakerNetwork, TakerWallet } from './ports.js';

export function poolNetwork(pool: DirectoryPool): TakerNetwork {
  return {
    get nick() {
      return pool.nick;
    },
    send: (to, cmd, args) => pool.sendPrivmsg(to, cmd, args).ok,
    onPrivmsg: (h) => pool.on('privmsg', (m) => h(m.from, m.commands)),
  };
}

export class CoreTakerWallet implements TakerWallet, TakerChain {
  constructor(readonly wallet: Wallet, readonly rpc: CoreRpc, private readonly persist?: () => Promise<void>) {}

  get mixdepthCount(): number {
    return this.wallet.mixdepthCount;
  }

  coins(mixdepth: number): TakerCoin[] {
    return spendableP2wpkhCoins(this.wallet, mixdepth);
  }

  async changeAddress(mixdepth: number): Promise<string> {
    const a = this.wallet.nextAddress(mixdepth, INTERNAL);
    await this.persist?.();
    return a.address;
  }

  privateKey(u: MakerUtxo): Uint8Array {
    return p2wpkhPrivateKey(this.wallet, u);
  }

  signInputs(tx: Transaction, inputs: ReadonlyArray<{ index: number; coin: TakerCoin }>): void {
    this.wallet.signInputs(tx, inputs.map(({ index, coin }) => ({ index, valueSat: BigInt(coin.valueSats), scriptPubKey: coin.scriptPubKey })));
  }

  getUtxo(o: Outpoint): Promise<ChainUtxo | null> {
    return chainUtxo(this.rpc, o);
  }

  broadcast(rawHex: string): Promise<string> {
    return this.rpc.sendRawTransaction(rawHex);
  }

  tipHeight(): Promise<number> {
    return this.rpc.getBlockCount();
  }
}
