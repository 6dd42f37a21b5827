/**
 * `oid_to_order` (coinjoin-protocol.md §8.1): which mixdepth pays for a fill, which coins,
 * and where the cj output and our change go. Only confirmed (≥ minConfs) unlocked coins count.
 */
import type { Offer } from '../protocol/offers.js';
import { selectUtxos, type MergeAlgorithm } from '../protocol/coinjoin/select.js';
import { candidateMixdepths, cjOutputMixdepth, pickInputMixdepth, requiredMakerInput } from '../protocol/coinjoin/yield.js';
import type { MakerCoin, MakerWallet } from './ports.js';

export interface OrderInputs {
  mixdepth: number;
  /** The first one is the auth utxo (a standard P2WPKH coin). */
  coins: MakerCoin[];
  cjAddress: string;
  changeAddress: string;
}

export interface OrderPolicy {
  mode: 'privacy' | 'basic';
  merge: MergeAlgorithm;
  minConfs: number;
}

export const DEFAULT_ORDER_POLICY: OrderPolicy = { mode: 'privacy', merge: 'default', minConfs: 1 };

export function spendableCoins(wallet: MakerWallet, mixdepth: number, minConfs: number): MakerCoin[] {
  return wallet.coins(mixdepth).filter((c) => c.confirmations >= minConfs);
}

/** Confirmed balance per mixdepth (offers and input choice use the same view). */
export function spendableBalances(wallet: MakerWallet, minConfs: number): number[] {
  return Array.from({ length: wallet.mixdepthCount }, (_, md) => spendableCoins(wallet, md, minConfs).reduce((s, c) => s + c.valueSats, 0));
}

/** Picks coins for `amount` under `offer`; null when no mixdepth can pay. Addresses are reserved only on success. */
export function selectOrderInputs(wallet: MakerWallet, offer: Offer, amount: number, policy: OrderPolicy = DEFAULT_ORDER_POLICY): OrderInputs | null {
  const required = requiredMakerInput(offer, amount);
  const n = wallet.mixdepthCount;
  let candidates = candidateMixdepths(spendableBalances(wallet, policy.minConfs), required);
  while (candidates.length > 0) {
    const md = pickInputMixdepth(candidates, n, policy.mode);
    if (md === null) return null;
    const picked = selectUtxos(spendableCoins(wallet, md, policy.minConfs), Number(required), policy.merge);
    if (picked && picked.length > 0) {
      return {
        mixdepth: md,
        coins: picked,
        cjAddress: wallet.freshAddress(cjOutputMixdepth(md, n), true),
        changeAddress: wallet.freshAddress(md, true),
      };
    }
    candidates = candidates.filter((c) => c !== md);
  }
  return null;
}
