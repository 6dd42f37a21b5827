/**
 * Which utxo and NUMS index the taker commits to (coinjoin-protocol.md §6.2): the round's own
 * inputs first, then the rest of the mixdepth; each must have ≥ 5 confirmations and ≥ 20 % of
 * the amount; per utxo the lowest index in 0..2 whose commitment was never sent.
 */
import { bytesToHex } from '../protocol/crypto.js';
import {
  DEFAULT_PODLE_INDICES, TAKER_UTXO_AGE, TAKER_UTXO_AMTPERCENT, generatePodle, podleCommitment, type PodleProof,
} from '../protocol/coinjoin/podle.js';
import { formatUtxo, outpointKey } from '../protocol/coinjoin/utxo.js';
import type { TakerCommitments } from './commitments.js';
import type { TakerCoin } from './ports.js';

export interface ChosenPodle {
  proof: PodleProof;
  commitmentHex: string;
  index: number;
  coin: TakerCoin;
}

export function choosePodle(
  preferred: readonly TakerCoin[],
  others: readonly TakerCoin[],
  amount: number,
  used: TakerCommitments,
  privateKey: (c: TakerCoin) => Uint8Array,
  nonce: () => Uint8Array,
): ChosenPodle | null {
  const minValue = Math.floor((amount * TAKER_UTXO_AMTPERCENT) / 100);
  const seen = new Set<string>();
  for (const coin of [...preferred, ...others]) {
    if (seen.has(outpointKey(coin))) continue;
    seen.add(outpointKey(coin));
    if (coin.confirmations < TAKER_UTXO_AGE || coin.valueSats < minValue) continue;
    const key = privateKey(coin);
    for (const index of DEFAULT_PODLE_INDICES) {
      const proof = generatePodle(key, formatUtxo(coin), index, nonce());
      const commitmentHex = bytesToHex(podleCommitment(proof.P2));
      if (!used.isUsed(commitmentHex)) return { proof, commitmentHex, index, coin };
    }
  }
  return null;
}
