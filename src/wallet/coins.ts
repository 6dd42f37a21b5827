/**
 * The wallet's coins as the coinjoin bots (maker and taker) use them: spendable P2WPKH coins of
 * one mixdepth with amounts in satoshis, the key of one of them, and a chain lookup of any
 * outpoint through Core's `gettxout` (mempool included).
 */
import { bytesToHex, hexToBytes } from '../protocol/crypto.js';
import { isP2wpkh } from '../protocol/coinjoin/tx-check.js';
import type { Outpoint } from '../protocol/coinjoin/utxo.js';
import type { CoreRpc } from './backend/rpc.js';
import type { Wallet } from './wallet.js';

/** A standard (P2WPKH, never bond) coin of ours; `confirmations` 0 = in the mempool. */
export interface P2wpkhCoin extends Outpoint {
  valueSats: number;
  scriptPubKey: Uint8Array;
  mixdepth: number;
  confirmations: number;
}

/** An outpoint as the chain sees it. */
export interface ChainUtxo {
  valueSats: number;
  scriptPubKey: Uint8Array;
  confirmations: number;
}

/** The wallet's spendable P2WPKH coins of one mixdepth (no bonds, nothing locked or frozen), from the last sync. */
export function spendableP2wpkhCoins(wallet: Wallet, mixdepth: number): P2wpkhCoin[] {
  return wallet.utxos(mixdepth)
    .filter((u) => u.chain !== 2 && !wallet.isUnavailable(u))
    .map((u) => ({ txid: u.txid, vout: u.vout, valueSats: Number(u.valueSat), scriptPubKey: hexToBytes(u.scriptPubKey), mixdepth: u.mixdepth, confirmations: u.confirmations }))
    .filter((c) => isP2wpkh(c.scriptPubKey));
}

/** The private key of one of our P2WPKH coins; throws for anything else (bonds, foreign scripts). */
export function p2wpkhPrivateKey(wallet: Wallet, u: Outpoint & { scriptPubKey: Uint8Array }): Uint8Array {
  const owner = wallet.lookupScript(bytesToHex(u.scriptPubKey));
  if (owner?.kind !== 'p2wpkh') throw new Error(`${u.txid}:${u.vout} is not one of our P2WPKH coins`);
  const k = wallet.keys.key(owner.addr.mixdepth, owner.addr.chain, owner.addr.index).privateKey;
  if (!k) throw new Error('wallet has no private key');
  return Uint8Array.from(k);
}

/** `gettxout txid vout true`: null when the outpoint does not exist or is spent. */
export async function chainUtxo(rpc: CoreRpc, o: Outpoint): Promise<ChainUtxo | null> {
  const r = await rpc.getTxOut(o.txid, o.vout, true);
  return r && { valueSats: Number(r.valueSat), scriptPubKey: hexToBytes(r.scriptPubKey), confirmations: r.confirmations };
}
