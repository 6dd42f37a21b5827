/**
 * The narrow collaborators a maker needs (wallet, chain, message channel). The real Wallet,
 * CoreRpc and DirectoryPool are adapted to these in wallet-adapter.ts / pool-channel.ts; unit
 * tests use fakes.
 */
import type { Command } from '../protocol/offers.js';
import type { MakerUtxo } from '../protocol/coinjoin/tx-check.js';
import type { Outpoint } from '../protocol/coinjoin/utxo.js';

/** A spendable standard (P2WPKH, never bond) coin of our wallet. */
export interface MakerCoin extends MakerUtxo {
  mixdepth: number;
  /** 0 = unconfirmed. */
  confirmations: number;
}

export interface MakerWallet {
  readonly mixdepthCount: number;
  /** Our P2WPKH coins in a mixdepth that are neither frozen nor locked. */
  coins(mixdepth: number): MakerCoin[];
  /** A never-used address (internal = change branch); reserved so it is not handed out twice. */
  freshAddress(mixdepth: number, internal: boolean): string;
  /** Private key of one of our P2WPKH coins; throws for anything else. */
  privateKey(utxo: MakerUtxo): Uint8Array;
  lock(utxos: readonly Outpoint[]): void;
  unlock(utxos: readonly Outpoint[]): void;
}

/** `gettxout` with include_mempool=true. */
export interface UtxoInfo {
  valueSats: number;
  scriptPubKey: Uint8Array;
  confirmations: number;
}

export type TxStatus = 'unseen' | 'mempool' | 'confirmed';

export interface MakerChain {
  getUtxo(o: Outpoint): Promise<UtxoInfo | null>;
  /** Where the tx is, judged by one of its outputs (`gettxout txid vout true`). */
  txStatus(txid: string, vout: number): Promise<TxStatus>;
  broadcast(rawHex: string): Promise<string>;
  tipHeight(): Promise<number>;
}

/** One message as any channel (directory or direct connection) delivers it. */
export interface InboundMessage {
  from: string;
  kind: 'pub' | 'priv';
  commands: Command[];
  /** The directory's own `!orderbook` probe. */
  fromDirectory: boolean;
  /** Where it came from (directory id or direct connection id), for logs and limits. */
  route: string;
  /** Signed privmsg back to `from` through the same route. */
  reply(cmd: string, args: string): boolean;
  /** A public message on the route this came through (directories; a direct connection has none). */
  announce?(body: string): boolean;
}

/**
 * Where a nick's coinjoin with us stands: no session, a session waiting for `!auth` (anyone can
 * open one with a fresh nick and a random commitment), or one past `!auth` (the taker proved a
 * confirmed coin). `since`: when the session started.
 */
export type SessionStage = { stage: 'none' } | { stage: 'waiting' | 'proven'; since: number };

export interface MakerChannel {
  readonly nick: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  onMessage(h: (m: InboundMessage) => void): () => void;
  /** Called with a per-route announcer when a route (re)connects, so offers can be re-sent there. */
  onRouteUp(h: (announce: (body: string) => void) => void): () => void;
  /** Public message on every route. */
  announce(body: string): void;
  /** Public message from a throwaway identity (commitment gossip, `!hp2`). */
  announceAnonymously(body: string): Promise<void>;
  /** The maker tells a channel how to look up a nick's session (to rank its connections). */
  setSessionView?(view: (nick: string) => SessionStage): void;
}

/** Our fidelity bond, if any: a proof for one taker (fresh certificate as the chain moves on). */
export interface MakerBond {
  proofFor(takerNick: string, makerNick: string): Promise<string>;
  describe(): { txid: string; vout: number; locktime: number; valueSats: number };
}
