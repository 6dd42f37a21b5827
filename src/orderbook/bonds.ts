/**
 * Fidelity-bond checks for the watcher (wallet-and-bonds.md §9). Signatures are checked with
 * our own nick as taker; the chain part (certificate expiry, UTXO, value) needs a BondChain
 * (Bitcoin Core RPC). Without one a bond with good signatures is shown as "unverified" and
 * never dropped; an RPC failure also yields "unverified", never "invalid".
 */
import { bytesToHex } from '../protocol/crypto.js';
import { isCertExpired, parseBondProof, verifyBondProofSignatures, type BondProof } from '../protocol/bond-proof.js';
import { bondValue } from '../wallet/bond-value.js';
import { systemClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';

export interface ChainTip {
  height: number;
  /** Median-time-past of the tip (Unix seconds): "now" for bond values, as REF does. */
  medianTime: number;
}

export type BondUtxoResult =
  | { ok: true; amountSat: number; confirmTime: number; confirmations: number }
  | { ok: false; reason: string };

export interface BondUtxoQuery {
  txid: string;
  vout: number;
  utxoPub: Uint8Array;
  locktime: number;
}

/** What the watcher needs from a chain backend. */
export interface BondChain {
  tip(): Promise<ChainTip>;
  /** Exists, unspent, confirmed, P2WSH(freeze(utxoPub, locktime)) matches; plus amount and confirm time. */
  bondUtxo(q: BondUtxoQuery, tip: ChainTip): Promise<BondUtxoResult>;
}

export type BondStatus = 'verified' | 'unverified' | 'invalid';

export interface BondEvaluation {
  nick: string;
  proofBase64: string;
  status: BondStatus;
  reason: string | null;
  txid: string | null;
  vout: number | null;
  locktime: number | null;
  certExpiry: number | null;
  utxoPub: string | null;
  amountSat: number | null;
  confirmTime: number | null;
  /** Bond value (REF float) with now = tip MTP; null when unknown. */
  value: number | null;
  checkedAt: number;
}

export interface BondVerifierOptions {
  takerNick: string;
  chain?: BondChain | null;
  clock?: Clock;
  logger?: Logger;
  interestRate?: number;
  exponent?: number;
}

export class BondVerifier {
  private readonly results = new Map<string, BondEvaluation>();
  private readonly inflight = new Map<string, Promise<BondEvaluation>>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private _tip: ChainTip | null = null;
  private _chainError: string | null = null;

  constructor(private readonly o: BondVerifierOptions) {
    this.clock = o.clock ?? systemClock;
    this.log = o.logger ?? silentLogger();
  }

  get hasChain(): boolean {
    return !!this.o.chain;
  }
  get tip(): ChainTip | null {
    return this._tip;
  }
  get chainError(): string | null {
    return this._chainError;
  }

  /** The latest evaluation for this exact proof, or the synchronous (signature-only) one. */
  evaluation(nick: string, proofBase64: string): BondEvaluation {
    const r = this.results.get(nick);
    if (r && r.proofBase64 === proofBase64) return r;
    const e = this.checkSignatures(nick, proofBase64).evaluation;
    this.results.set(nick, e);
    return e;
  }

  forget(nick: string): void {
    this.results.delete(nick);
  }

  /** Full check (signatures, then chain when configured). Concurrent calls share one lookup. */
  verify(nick: string, proofBase64: string): Promise<BondEvaluation> {
    const key = `${nick} ${proofBase64}`;
    const running = this.inflight.get(key);
    if (running) return running;
    const p = this.runVerify(nick, proofBase64).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async runVerify(nick: string, proofBase64: string): Promise<BondEvaluation> {
    const sig = this.checkSignatures(nick, proofBase64);
    let e = sig.evaluation;
    if (sig.proof && this.o.chain) e = await this.checkChain(e, sig.proof, this.o.chain);
    const cur = this.results.get(nick);
    if (!cur || cur.proofBase64 === proofBase64 || cur.checkedAt <= e.checkedAt) this.results.set(nick, e);
    return e;
  }

  private checkSignatures(nick: string, proofBase64: string): { evaluation: BondEvaluation; proof: BondProof | null } {
    const base: BondEvaluation = {
      nick, proofBase64, status: 'invalid', reason: null, txid: null, vout: null, locktime: null, certExpiry: null,
      utxoPub: null, amountSat: null, confirmTime: null, value: null, checkedAt: this.clock.now(),
    };
    const parsed = parseBondProof(proofBase64);
    if (!parsed.ok) return { evaluation: { ...base, reason: parsed.reason }, proof: null };
    const p = parsed.proof;
    const fields = { txid: p.txid, vout: p.vout, locktime: p.locktime, certExpiry: p.certExpiry, utxoPub: bytesToHex(p.utxoPub) };
    const sigs = verifyBondProofSignatures(p, this.o.takerNick, nick);
    if (!sigs.ok) return { evaluation: { ...base, ...fields, reason: sigs.reason }, proof: null };
    const reason = this.o.chain ? 'chain check pending' : 'no Bitcoin Core RPC configured: UTXO, amount and expiry not checked';
    return { evaluation: { ...base, ...fields, status: 'unverified', reason }, proof: p };
  }

  private async checkChain(e: BondEvaluation, p: BondProof, chain: BondChain): Promise<BondEvaluation> {
    try {
      const tip = await chain.tip();
      this._tip = tip;
      this._chainError = null;
      const checkedAt = this.clock.now();
      if (isCertExpired(p.certExpiry, tip.height)) {
        return { ...e, status: 'invalid', reason: `certificate expired at height ${p.certExpiry * 2016} (tip ${tip.height})`, checkedAt };
      }
      const u = await chain.bondUtxo({ txid: p.txid, vout: p.vout, utxoPub: p.utxoPub, locktime: p.locktime }, tip);
      if (!u.ok) return { ...e, status: 'invalid', reason: u.reason, checkedAt };
      const value = bondValue({ amountSat: u.amountSat, confirmTime: u.confirmTime, locktime: p.locktime, now: tip.medianTime, interestRate: this.o.interestRate, exponent: this.o.exponent });
      return { ...e, status: 'verified', reason: null, amountSat: u.amountSat, confirmTime: u.confirmTime, value, checkedAt };
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this._chainError = msg;
      this.log.warn({ nick: e.nick, err: msg }, 'bond chain check failed');
      return { ...e, status: 'unverified', reason: `chain lookup failed: ${msg}` };
    }
  }
}
