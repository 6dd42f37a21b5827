/**
 * The maker's `!tx` verification (coinjoin-protocol.md §7), security critical. Pure: the
 * maker's own recorded session (never the taker's claims) decides. REF rules 1–5 are mirrored
 * in order; rules marked "ours" are extra guards that refuse only malformed or unsafe cases.
 */
import { Transaction, address as btcAddress, type Network } from 'bitcoinjs-lib';
import { bytesToHex } from '../crypto.js';
import { type Offer, cjFeeFor } from '../offers.js';
import { type Outpoint, outpointKey } from './utxo.js';

/** One maker input as declared in `!ioauth`, with the wallet's own value and script. */
export interface MakerUtxo extends Outpoint {
  valueSats: number;
  scriptPubKey: Uint8Array;
}

export interface MakerSession {
  utxos: readonly MakerUtxo[];
  cjAddress: string;
  changeAddress: string;
  /** Coinjoin amount from `!fill`. */
  amount: number;
  /** The maker's own offer (its cjfee, txfee and type). */
  offer: Offer;
}

export type TxCheckResult =
  | {
      ok: true;
      /** Input indices we will sign, ascending. */
      inputsToSign: number[];
      /** The same, paired with our recorded utxo (value and script for BIP143). */
      toSign: Array<{ index: number; utxo: MakerUtxo }>;
      tx: Transaction;
      realCjFee: bigint;
      expectedChange: bigint;
    }
  | { ok: false; reason: string };

const refuse = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

export function isP2wpkh(script: Uint8Array): boolean {
  return script.length === 22 && script[0] === 0x00 && script[1] === 0x14;
}

/** Display-order txid of an input's prevout (bitcoinjs stores it reversed). */
export function inputOutpoint(tx: Transaction, index: number): Outpoint {
  const input = tx.ins[index];
  if (!input) throw new RangeError(`no input ${index}`);
  return { txid: bytesToHex(input.hash.slice().reverse()), vout: input.index };
}

function toScript(addr: string, network: Network): Uint8Array | null {
  try {
    return btcAddress.toOutputScript(addr, network);
  } catch {
    return null;
  }
}

/** `unsignedTx` is the parsed `!tx` payload or its raw bytes (legacy or segwit format). */
export function verifyUnsignedTx(unsignedTx: Transaction | Uint8Array, session: MakerSession, network: Network): TxCheckResult {
  // Session sanity (ours): we only ever sign our own P2WPKH inputs (never a P2WSH bond).
  if (session.utxos.length === 0) return refuse('session has no utxos');
  if (new Set(session.utxos.map(outpointKey)).size !== session.utxos.length) return refuse('session lists a utxo twice');
  for (const u of session.utxos) {
    if (!isP2wpkh(u.scriptPubKey)) return refuse(`our utxo ${outpointKey(u)} is not P2WPKH; refusing to sign`);
    if (!Number.isSafeInteger(u.valueSats) || u.valueSats <= 0) return refuse(`our utxo ${outpointKey(u)} has a bad value`);
  }
  const cjScript = toScript(session.cjAddress, network);
  const changeScript = toScript(session.changeAddress, network);
  if (!cjScript || !changeScript) return refuse('session cj/change address invalid for this network');
  const cjHex = bytesToHex(cjScript);
  const changeHex = bytesToHex(changeScript);
  if (cjHex === changeHex) return refuse('session cj and change address are equal');

  // 1. Deserialize; NG: version ∈ {1,2,3}, ≥ 1 input and ≥ 1 output.
  let tx: Transaction;
  if (unsignedTx instanceof Transaction) tx = unsignedTx;
  else {
    try {
      tx = Transaction.fromBuffer(unsignedTx);
    } catch (e) {
      return refuse(`undecodable transaction: ${e instanceof Error ? e.message : 'error'}`);
    }
  }
  if (![1, 2, 3].includes(tx.version)) return refuse(`unsupported tx version ${tx.version}`);
  if (tx.ins.length === 0 || tx.outs.length === 0) return refuse('transaction has no inputs or no outputs');

  // (ours) an outpoint spent twice makes the tx invalid and would make us sign twice.
  const inputIndex = new Map<string, number>();
  for (let i = 0; i < tx.ins.length; i++) {
    const key = outpointKey(inputOutpoint(tx, i));
    if (inputIndex.has(key)) return refuse(`input ${key} appears twice`);
    inputIndex.set(key, i);
  }

  // 2. Every declared maker utxo is an input (extra taker inputs are allowed).
  const toSign: Array<{ index: number; utxo: MakerUtxo }> = [];
  for (const u of session.utxos) {
    const index = inputIndex.get(outpointKey(u));
    if (index === undefined) return refuse(`our utxo ${outpointKey(u)} is not an input`);
    toSign.push({ index, utxo: u });
  }
  toSign.sort((a, b) => a.index - b.index);

  // 3. real_cjfee from our own offer; expected change.
  const realCjFee = cjFeeFor(session.offer, session.amount);
  const txfee = BigInt(session.offer.txfee);
  const myTotal = session.utxos.reduce((s, u) => s + BigInt(u.valueSats), 0n);
  const expectedChange = myTotal - BigInt(session.amount) - txfee + realCjFee;

  // 4. Negative earning refused (zero accepted, as REF and NG do).
  if (realCjFee - txfee < 0n) return refuse(`negative earning: cjfee ${realCjFee} < txfee ${txfee}`);

  // 5. By scriptPubKey equality: cj script exactly once with ≥ amount, change exactly once with ≥ expected.
  const cjOuts = tx.outs.filter((o) => bytesToHex(o.script) === cjHex);
  const changeOuts = tx.outs.filter((o) => bytesToHex(o.script) === changeHex);
  if (cjOuts.length !== 1) return refuse(`cj address appears ${cjOuts.length} times in the outputs`);
  if ((cjOuts[0] as { value: bigint }).value < BigInt(session.amount)) {
    return refuse(`cj output ${cjOuts[0]?.value} below amount ${session.amount}`);
  }
  if (changeOuts.length !== 1) return refuse(`change address appears ${changeOuts.length} times in the outputs`);
  if ((changeOuts[0] as { value: bigint }).value < expectedChange) {
    return refuse(`change output ${changeOuts[0]?.value} below expected ${expectedChange}`);
  }

  // 6. Nothing else is checked (other outputs, locktime, sequences, fee rate).
  return { ok: true, inputsToSign: toSign.map((t) => t.index), toSign, tx, realCjFee, expectedChange };
}
