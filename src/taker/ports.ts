/** What a taker needs from its wallet and the chain; adapted from Wallet/CoreRpc in wallet-adapter.ts. */
import type { Transaction } from 'bitcoinjs-lib';
import type { Command } from '../protocol/offers.js';
import type { MakerUtxo } from '../protocol/coinjoin/tx-check.js';
import type { Outpoint } from '../protocol/coinjoin/utxo.js';

/** A standard P2WPKH coin of ours (never a bond). */
export interface TakerCoin extends MakerUtxo {
  mixdepth: number;
  confirmations: number;
}

export interface TakerWallet {
  readonly mixdepthCount: number;
  coins(mixdepth: number): TakerCoin[];
  /** A fresh change address of the mixdepth, handed out only once its index is saved (no reuse after a crash). */
  changeAddress(mixdepth: number): Promise<string>;
  /** Key of one of our coins (the PoDLE commitment needs it). */
  privateKey(coin: MakerUtxo): Uint8Array;
  /** Signs our inputs (BIP143 P2WPKH, SIGHASH_ALL) in place. */
  signInputs(tx: Transaction, inputs: ReadonlyArray<{ index: number; coin: TakerCoin }>): void;
}

export interface ChainUtxo {
  valueSats: number;
  scriptPubKey: Uint8Array;
  confirmations: number;
}

export interface TakerChain {
  getUtxo(o: Outpoint): Promise<ChainUtxo | null>;
  broadcast(rawHex: string): Promise<string>;
  tipHeight(): Promise<number>;
}

/** Signed privmsgs to makers, and every verified privmsg addressed to us. */
export interface TakerNetwork {
  readonly nick: string;
  send(to: string, cmd: string, args: string): boolean;
  onPrivmsg(h: (from: string, commands: readonly Command[]) => void): () => void;
}
