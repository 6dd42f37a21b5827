/**
 * Our share of a coinjoin's miner fee (the total minus the makers' `txfee` contributions)
 * against the cap the user accepted (docs/maker.md, "Miner fee").
 *
 * Our part of the transaction (overhead, our inputs, our coinjoin and change outputs) is known
 * before the commitment is spent; each maker's part (its inputs and two outputs) arrives with
 * its `!ioauth`. What the cap leaves after our part is shared equally among the makers: a maker
 * whose part costs us more than its share (net of its `txfee`) is the one blamed when the total
 * goes over, and the round ends as soon as the makers that answered make the cap unreachable
 * even if the others bring one input each. A maker within its share is never blamed.
 */
import { P2WPKH_INPUT_WU, TX_OVERHEAD_WU, feeFor, outputWeight } from '../wallet/vsize.js';
import type { MakerPart } from './tx-build.js';

/** Inputs per maker assumed when estimating the fee before the makers answer (REF's estimate uses 3). */
export const ASSUMED_MAKER_INPUTS = 3;
/** Length of a P2WPKH output script: our change, and what makers are assumed to use. */
export const P2WPKH_SCRIPT_LEN = 22;

/** Weight of our part of the coinjoin: the overhead, our inputs, our coinjoin and change outputs. */
export function takerWeight(inputs: number, destinationLen: number, changeLen = P2WPKH_SCRIPT_LEN): number {
  return TX_OVERHEAD_WU + inputs * P2WPKH_INPUT_WU + outputWeight(destinationLen) + outputWeight(changeLen);
}

/** Weight a maker adds: its inputs and its coinjoin and change outputs. */
export function makerWeight(inputs: number, cjLen = P2WPKH_SCRIPT_LEN, changeLen = P2WPKH_SCRIPT_LEN): number {
  return inputs * P2WPKH_INPUT_WU + outputWeight(cjLen) + outputWeight(changeLen);
}

const partWeight = (p: MakerPart): number => makerWeight(p.inputs.length, p.cjScript.length, p.changeScript.length);

export interface FeeBudgetOptions {
  satPerVb: number;
  /** Most of the miner fee we pay, sat. */
  cap: bigint;
  /** takerWeight() of this round. */
  ownWeight: number;
  makers: ReadonlyArray<{ nick: string; txfee: number }>;
}

export type OverBudget = { reason: string; failed: string[] };

/** Our share of the fee for a transaction of `weight`: the total minus the makers' contributions, never below 0. */
export function ourShare(weight: number, satPerVb: number, makerTxfees: bigint): bigint {
  const fee = feeFor(weight, satPerVb) - makerTxfees;
  return fee > 0n ? fee : 0n;
}

export class MinerFeeBudget {
  private readonly txfees: bigint;
  /** Sat each maker's part may cost beyond the estimate's (cap minus estimate, shared equally). */
  private readonly allowance: number;

  constructor(private readonly o: FeeBudgetOptions) {
    this.txfees = o.makers.reduce((s, m) => s + BigInt(m.txfee), 0n);
    const n = o.makers.length;
    const estimate = feeFor(o.ownWeight + n * makerWeight(ASSUMED_MAKER_INPUTS), o.satPerVb) - this.txfees;
    this.allowance = Number(o.cap - estimate) / Math.max(1, n);
  }

  /** Our share of the fee with these makers' parts and `pending` more makers of one input each. */
  ourFee(parts: readonly MakerPart[], pending: number): bigint {
    const weight = this.o.ownWeight + parts.reduce((s, p) => s + partWeight(p), 0) + pending * makerWeight(1);
    return ourShare(weight, this.o.satPerVb, this.txfees);
  }

  /** null while the cap can still hold; else the reason and the makers whose parts went over their allowance. */
  check(parts: readonly MakerPart[], pending: number): OverBudget | null {
    const ours = this.ourFee(parts, pending);
    if (ours <= this.o.cap) return null;
    // what each part costs beyond the estimate's; one within the estimate (excess ≤ 0) is never blamed
    const excess = (p: MakerPart): number => ((partWeight(p) - makerWeight(ASSUMED_MAKER_INPUTS)) / 4) * this.o.satPerVb;
    const heavy = parts.filter((p) => excess(p) > Math.max(0, this.allowance));
    const others = pending > 0 ? `, even if the ${pending} maker(s) still to answer bring one input each` : '';
    const who = heavy.length > 0 ? ` (${heavy.map((p) => `${p.nick} brought ${p.inputs.length} inputs`).join(', ')})` : '';
    return { reason: `our miner fee would be ${ours} sat, over the cap of ${this.o.cap} sat${others}${who}`, failed: heavy.map((p) => p.nick) };
  }
}
