/**
 * Taker/watcher-side bond verification (wallet-and-bonds.md §9 steps 3–7 and 9): signatures,
 * certificate expiry against the tip, the UTXO via gettxout(include_mempool) — exists, unspent,
 * confirmed, scriptPubKey equal to P2WSH(freeze(utxo_pub, locktime)) — then the value with
 * confirmation time = header time at tip - confirmations + 1 and now = median-time-past.
 * Failures never throw: they return a reason (the offer stays usable with bond value 0).
 */
import {
  isCertExpired, parseBondProof, verifyBondProofSignatures, type BondProof,
} from '../../protocol/bond-proof.js';
import { bytesToHex } from '../../protocol/crypto.js';
import { freezeScript, p2wshScriptPubKey } from '../bond-script.js';
import { bondValue } from '../bond-value.js';
import type { CoreRpc } from './rpc.js';

/** The chain facts bond verification needs; CoreRpc provides them via coreBondChain(). */
export interface BondChainView {
  tip(): Promise<{ height: number; medianTimePast: number }>;
  getTxOut(txid: string, vout: number): Promise<{ confirmations: number; valueSat: bigint; scriptPubKey: string } | null>;
  blockTime(height: number): Promise<number>;
}

export function coreBondChain(rpc: CoreRpc): BondChainView {
  return {
    async tip() {
      const i = await rpc.getBlockchainInfo();
      return { height: i.blocks, medianTimePast: i.mediantime };
    },
    getTxOut: (txid, vout) => rpc.getTxOut(txid, vout, true),
    async blockTime(height) {
      return (await rpc.getBlockHeader(await rpc.getBlockHash(height))).time;
    },
  };
}

export type BondVerification =
  | {
    ok: true;
    /** REF float value; compare offers with it, do not transmit it. */
    value: number;
    amountSat: bigint;
    outpoint: string;
    locktime: number;
    confirmations: number;
    confirmTime: number;
    certExpiry: number;
    certForm: 'binary' | 'ascii';
  }
  | { ok: false; step: 'parse' | 'signature' | 'certificate' | 'utxo' | 'script' | 'chain'; reason: string };

export interface BondVerifyOptions {
  interestRate?: number;
  exponent?: number;
  /** Override "now" (default: the tip's median-time-past, as REF). */
  now?: number;
}

export class BondVerifier {
  private readonly chain: BondChainView;

  constructor(chain: BondChainView | CoreRpc, private readonly o: BondVerifyOptions = {}) {
    this.chain = 'tip' in chain ? chain : coreBondChain(chain);
  }

  /** `ownNick` is the taker nick the proof was addressed to (our nick). */
  async verify(proofOrBase64: BondProof | string, ownNick: string, makerNick: string): Promise<BondVerification> {
    let proof: BondProof;
    if (typeof proofOrBase64 === 'string') {
      const p = parseBondProof(proofOrBase64);
      if (!p.ok) return { ok: false, step: 'parse', reason: p.reason };
      proof = p.proof;
    } else {
      proof = proofOrBase64;
    }
    const sig = verifyBondProofSignatures(proof, ownNick, makerNick);
    if (!sig.ok) return { ok: false, step: 'signature', reason: sig.reason };
    const outpoint = `${proof.txid}:${proof.vout}`;
    try {
      const tip = await this.chain.tip();
      if (isCertExpired(proof.certExpiry, tip.height)) {
        return { ok: false, step: 'certificate', reason: `certificate expired at height ${proof.certExpiry * 2016} (tip ${tip.height})` };
      }
      const out = await this.chain.getTxOut(proof.txid, proof.vout);
      if (!out) return { ok: false, step: 'utxo', reason: `${outpoint} is spent, unknown, or spent in the mempool` };
      if (out.confirmations <= 0) return { ok: false, step: 'utxo', reason: `${outpoint} is unconfirmed` };
      let expected: string;
      try {
        expected = bytesToHex(p2wshScriptPubKey(freezeScript(proof.utxoPub, proof.locktime)));
      } catch (e) {
        return { ok: false, step: 'script', reason: `cannot build the bond script: ${(e as Error).message}` };
      }
      if (out.scriptPubKey.toLowerCase() !== expected) {
        return { ok: false, step: 'script', reason: `${outpoint} does not pay to the timelocked script of utxo_pub/locktime` };
      }
      const confirmTime = await this.chain.blockTime(tip.height - out.confirmations + 1);
      const value = bondValue({
        amountSat: out.valueSat, confirmTime, locktime: proof.locktime, now: this.o.now ?? tip.medianTimePast,
        ...(this.o.interestRate !== undefined ? { interestRate: this.o.interestRate } : {}),
        ...(this.o.exponent !== undefined ? { exponent: this.o.exponent } : {}),
      });
      return { ok: true, value, amountSat: out.valueSat, outpoint, locktime: proof.locktime, confirmations: out.confirmations, confirmTime, certExpiry: proof.certExpiry, certForm: sig.certForm };
    } catch (e) {
      return { ok: false, step: 'chain', reason: `chain lookup failed: ${(e as Error).message}` };
    }
  }
}
