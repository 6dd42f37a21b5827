/**
 * Fidelity-bond checks for the watcher (wallet-and-bonds.md §9). Signatures are checked with
 * our own nick as taker; the chain part (certificate expiry, UTXO, value) needs a BondChain
 * (Bitcoin Core RPC). Without one a bond with good signatures is shown as "unverified" and
 * never dropped; an RPC failure also yields "unverified", never "invalid".
 *
 * Chain work is bounded whatever peers send: at most `maxConcurrentChecks` chain checks run at
 * once (the rest wait their turn), the tip is read once per `tipCacheMs` for all of them, and a
 * proof fully checked less than `recheckAfterMs` ago is answered from that check.
 */
import { bytesToHex } from '../protocol/crypto.js';
import { parseBondProof, verifyBondProofSignatures, type BondProof } from '../protocol/bond-proof.js';
import { BondVerifier as ChainBondVerifier, type BondChainView } from '../wallet/backend/bond-verifier.js';
import { systemClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';

export interface ChainTip {
  height: number;
  /** Median-time-past of the tip (Unix seconds): "now" for bond values, as REF does. */
  medianTime: number;
}

/** The chain view the wallet's bond verifier needs (Bitcoin Core via coreBondChain(rpc)). */
export type BondChain = BondChainView;

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
  /** Chain checks running at once (default 4). */
  maxConcurrentChecks?: number;
  /** A full check of the same proof younger than this is reused (default 60 s). */
  recheckAfterMs?: number;
  /** The chain tip is read at most this often (default 10 s). */
  tipCacheMs?: number;
}

export class BondVerifier {
  private readonly results = new Map<string, BondEvaluation>();
  private readonly inflight = new Map<string, Promise<BondEvaluation>>();
  /** `nick proof` → when its last full check finished. */
  private readonly fullChecks = new Map<string, number>();
  private readonly slots: Slots;
  private readonly chain: BondChain | null;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly chainVerifier: ChainBondVerifier | null;
  private _tip: ChainTip | null = null;
  private _chainError: string | null = null;

  constructor(private readonly o: BondVerifierOptions) {
    this.clock = o.clock ?? systemClock;
    this.log = o.logger ?? silentLogger();
    this.slots = new Slots(o.maxConcurrentChecks ?? 4);
    this.chain = o.chain ? cachedTip(o.chain, () => this.clock.now(), o.tipCacheMs ?? 10_000) : null;
    this.chainVerifier = this.chain ? new ChainBondVerifier(this.chain, { interestRate: o.interestRate, exponent: o.exponent }) : null;
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
    const r = this.results.get(nick);
    if (r) this.fullChecks.delete(`${nick} ${r.proofBase64}`);
    this.results.delete(nick);
  }

  /** Full check (signatures, then chain when configured). Concurrent calls share one lookup. */
  verify(nick: string, proofBase64: string): Promise<BondEvaluation> {
    const key = `${nick} ${proofBase64}`;
    const running = this.inflight.get(key);
    if (running) return running;
    const done = this.fullChecks.get(key);
    const last = this.results.get(nick);
    if (done !== undefined && last?.proofBase64 === proofBase64 && this.clock.now() - done < (this.o.recheckAfterMs ?? 60_000)) return Promise.resolve(last);
    const p = this.runVerify(nick, proofBase64).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async runVerify(nick: string, proofBase64: string): Promise<BondEvaluation> {
    const sig = this.checkSignatures(nick, proofBase64);
    let e = sig.evaluation;
    const chain = this.chain;
    const verifier = this.chainVerifier;
    if (sig.proof && chain && verifier) e = await this.slots.run(() => this.checkChain(e, sig.proof!, chain, verifier));
    const cur = this.results.get(nick);
    if (!cur || cur.proofBase64 === proofBase64 || cur.checkedAt <= e.checkedAt) {
      if (cur && cur.proofBase64 !== proofBase64) this.fullChecks.delete(`${nick} ${cur.proofBase64}`);
      this.results.set(nick, e);
      this.fullChecks.set(`${nick} ${proofBase64}`, this.clock.now());
    }
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

  /** Expiry, UTXO, script and value are the wallet verifier's job; we map its verdict. */
  private async checkChain(e: BondEvaluation, p: BondProof, chain: BondChainView, verifier: ChainBondVerifier): Promise<BondEvaluation> {
    try {
      const tip = await chain.tip();
      this._tip = { height: tip.height, medianTime: tip.medianTimePast };
      this._chainError = null;
    } catch (err) {
      return this.chainFailed(e, err instanceof Error ? err.message : String(err));
    }
    const v = await verifier.verify(p, this.o.takerNick, e.nick);
    const checkedAt = this.clock.now();
    if (v.ok) {
      return { ...e, status: 'verified', reason: null, amountSat: Number(v.amountSat), confirmTime: v.confirmTime, value: v.value, checkedAt };
    }
    if (v.step === 'chain') return this.chainFailed(e, v.reason.replace(/^chain lookup failed: /, ''));
    return { ...e, status: 'invalid', reason: v.reason, checkedAt };
  }

  private chainFailed(e: BondEvaluation, msg: string): BondEvaluation {
    this._chainError = msg;
    this.log.warn({ nick: e.nick, err: msg }, 'bond chain check failed');
    return { ...e, status: 'unverified', reason: `chain lookup failed: ${msg}` };
  }
}

/** At most `max` tasks at once; the others wait in arrival order. */
class Slots {
  private busy = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.busy >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    else this.busy++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes on
      else this.busy--;
    }
  }
}

/** The same chain view, with the tip read at most once per `ttlMs` (every check starts with it). */
function cachedTip(chain: BondChain, now: () => number, ttlMs: number): BondChain {
  let cached: { at: number; tip: Promise<{ height: number; medianTimePast: number }> } | null = null;
  return {
    tip: () => {
      if (cached === null || now() - cached.at >= ttlMs) {
        const tip = chain.tip();
        cached = { at: now(), tip };
        tip.catch(() => { if (cached?.tip === tip) cached = null; }); // a failure is not cached
      }
      return cached.tip;
    },
    getTxOut: (txid, vout) => chain.getTxOut(txid, vout),
    blockTime: (height) => chain.blockTime(height),
  };
}
