/**
 * The unsigned coinjoin transaction (coinjoin-protocol.md §9): taker and maker inputs, one cj
 * output per maker and for the taker, each maker's exact change, the taker's change unless it
 * is dust; inputs and outputs shuffled; version 2, nLockTime near the tip, nSequence 0xFFFFFFFE
 * (REF's fingerprint, for a larger anonymity set). Pure; randomness injected.
 */
import { Transaction } from 'bitcoinjs-lib';
import { hexToBytes } from '../protocol/crypto.js';
import { cjFeeFor, type Offer } from '../protocol/offers.js';
import { keepsTakerChange, takerChange } from '../protocol/coinjoin/taker-choice.js';
import { makerChange } from '../protocol/coinjoin/yield.js';
import type { Outpoint } from '../protocol/coinjoin/utxo.js';
import { type Result, ok, fail } from '../protocol/coinjoin/result.js';
import { feeFor, outputWeight, P2WPKH_INPUT_WU, TX_OVERHEAD_WU } from '../wallet/vsize.js';

export interface MakerPart {
  nick: string;
  offer: Offer;
  /** Values and scripts as our node reported them. */
  inputs: ReadonlyArray<Outpoint & { valueSats: number; scriptPubKey: Uint8Array }>;
  cjScript: Uint8Array;
  changeScript: Uint8Array;
}

export interface BuildInput {
  takerInputs: ReadonlyArray<Outpoint & { valueSats: number }>;
  makers: readonly MakerPart[];
  amount: number;
  destinationScript: Uint8Array;
  changeScript: Uint8Array;
  satPerVb: number;
  tipHeight: number;
  rng: () => number;
}

export interface BuiltTx {
  tx: Transaction;
  /** Total miner fee actually paid. */
  fee: bigint;
  cjFees: bigint;
  takerChange: bigint;
  /** Fee the taker pays beyond the makers' txfee contributions. */
  takerTxFee: bigint;
}

/** Weight of a coinjoin with P2WPKH inputs and the given output scripts. */
export function coinjoinWeight(inputs: number, outputScriptLens: readonly number[]): number {
  return TX_OVERHEAD_WU + inputs * P2WPKH_INPUT_WU + outputScriptLens.reduce((s, l) => s + outputWeight(l), 0);
}

function shuffle<T>(a: T[], rng: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(rng() * (i + 1)));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

export function buildCoinjoinTx(b: BuildInput): Result<BuiltTx> {
  const offers = b.makers.map((m) => m.offer);
  const nInputs = b.takerInputs.length + b.makers.reduce((s, m) => s + m.inputs.length, 0);
  const makerScripts = b.makers.flatMap((m) => [m.cjScript.length, m.changeScript.length]);
  const takerIn = b.takerInputs.reduce((s, u) => s + u.valueSats, 0);
  const outputs: Array<{ script: Uint8Array; value: bigint }> = [];
  for (const m of b.makers) {
    const total = m.inputs.reduce((s, u) => s + u.valueSats, 0);
    outputs.push({ script: m.cjScript, value: BigInt(b.amount) }, { script: m.changeScript, value: makerChange(m.offer, b.amount, total) });
  }
  outputs.push({ script: b.destinationScript, value: BigInt(b.amount) });
  // fee with a change output first; without it if the change turns out to be dust
  let fee = feeFor(coinjoinWeight(nInputs, [...makerScripts, b.destinationScript.length, b.changeScript.length]), b.satPerVb);
  let change = takerChange(takerIn, b.amount, offers, Number(fee));
  if (!keepsTakerChange(change)) {
    fee = feeFor(coinjoinWeight(nInputs, [...makerScripts, b.destinationScript.length]), b.satPerVb);
    change = takerChange(takerIn, b.amount, offers, Number(fee));
    if (change < 0n) return fail(`taker inputs short by ${-change} sat`);
  } else {
    outputs.push({ script: b.changeScript, value: change });
  }
  const makerTxfee = offers.reduce((s, o) => s + BigInt(o.txfee), 0n);
  const totalIn = BigInt(takerIn) + b.makers.reduce((s, m) => s + m.inputs.reduce((t, u) => t + BigInt(u.valueSats), 0n), 0n);
  const totalOut = outputs.reduce((s, o) => s + o.value, 0n);
  const tx = new Transaction();
  tx.version = 2;
  const lock = b.rng() < 0.1 ? Math.max(1, b.tipHeight - Math.floor(b.rng() * 100)) : b.tipHeight;
  tx.locktime = Math.max(0, lock);
  const ins = shuffle([...b.takerInputs, ...b.makers.flatMap((m) => m.inputs)], b.rng);
  for (const u of ins) tx.addInput(hexToBytes(u.txid).reverse(), u.vout, 0xfffffffe);
  for (const o of shuffle(outputs, b.rng)) tx.addOutput(o.script, o.value);
  return ok({
    tx,
    fee: totalIn - totalOut,
    cjFees: offers.reduce((s, o) => s + cjFeeFor(o, b.amount), 0n),
    takerChange: keepsTakerChange(change) ? change : 0n,
    takerTxFee: fee - makerTxfee,
  });
}
