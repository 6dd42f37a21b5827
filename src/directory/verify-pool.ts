/**
 * ECDSA verifications of nick-auth proofs on one worker thread, in batches: one batch at a
 * time is with the worker, and everything that arrives meanwhile goes in the next one (one
 * message each way per batch: the busier the directory, the larger the batches and the cheaper
 * each proof's hand-over). So in a reconnect burst the main thread keeps reading, accepting and
 * answering handshakes while the worker verifies. Results come back in order. The worker
 * starts with the first proof; if it cannot start or dies, verification falls back to the main
 * thread (same library, same answers).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { verifyCompact } from '../protocol/secp-fast.js';
import type { VerifyInput } from '../protocol/nick-auth.js';

export type VerifyResult = 'ok' | 'invalid' | 'malformed';
type Done = (r: VerifyResult) => void;

/** digest 32 ‖ compressed pubkey 33 ‖ r‖s 64. */
const REC = 129;
const CODES: readonly VerifyResult[] = ['ok', 'invalid', 'malformed'];

// Plain CommonJS evaluated in the worker: no build step, no TypeScript loader needed there.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const secp = require(workerData.binding);
parentPort.on('message', (u) => {
  const n = Math.floor(u.length / ${REC});
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * ${REC};
    try {
      out[i] = secp.ecdsaVerify(u.subarray(o + 65, o + ${REC}), u.subarray(o, o + 32), u.subarray(o + 32, o + 65)) ? 0 : 1;
    } catch {
      out[i] = 2;
    }
  }
  parentPort.postMessage(out);
});
`;

function nativeBindingPath(): string | null {
  try {
    return createRequire(import.meta.url).resolve('secp256k1/bindings.js');
  } catch {
    return null;
  }
}

interface Batch {
  inputs: VerifyInput[];
  done: Done[];
}

export class VerifyPool {
  private worker: Worker | null = null;
  /** False once the worker failed to start or died: everything is verified inline. */
  private usable = true;
  private next: Batch = { inputs: [], done: [] };
  private inflight: Batch | null = null;
  private scheduled = false;

  constructor(private readonly onFallback: (why: string) => void = () => {}) {}

  private start(): Worker | null {
    const binding = nativeBindingPath();
    if (binding === null) {
      this.usable = false; // no native binding: the WASM fallback runs inline
      return null;
    }
    try {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { binding } });
      w.unref();
      w.on('message', (out: Uint8Array) => this.onResults(out));
      w.on('error', (e: Error) => this.fail(`verification worker failed: ${e.message}`));
      w.on('exit', (code) => this.fail(`verification worker exited (${code})`));
      return (this.worker = w);
    } catch (e) {
      this.usable = false;
      this.onFallback(`verification worker not started: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
  }

  /** Proofs queued or being verified. */
  get pending(): number {
    return this.next.inputs.length + (this.inflight?.inputs.length ?? 0);
  }

  /** Verifies `input`; `done` runs on a later turn (or at once without a worker). */
  verify(input: VerifyInput, done: Done): void {
    if (!this.usable || (this.worker === null && this.start() === null)) return done(verifyCompact(input.digest, input.pub, input.compact));
    this.next.inputs.push(input);
    this.next.done.push(done);
    if (this.inflight === null && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    // No worker: stopped since this was scheduled (a failed worker leaves nothing queued).
    if (this.inflight === null && this.next.inputs.length > 0 && this.worker !== null) this.send();
  };

  private send(): void {
    const b = this.next;
    this.next = { inputs: [], done: [] };
    const buf = new Uint8Array(b.inputs.length * REC);
    for (let i = 0; i < b.inputs.length; i++) {
      const x = b.inputs[i]!;
      const o = i * REC;
      buf.set(x.digest, o);
      buf.set(x.pub, o + 32);
      buf.set(x.compact, o + 65);
    }
    this.inflight = b;
    // Copied, not transferred: for a few KiB a copy costs less than a transfer.
    this.worker!.postMessage(buf);
  }

  private onResults(out: Uint8Array): void {
    const b = this.inflight;
    if (b === null) return;
    this.inflight = null;
    if (this.next.inputs.length > 0 && !this.scheduled) {
      // At the end of this turn, so the batch takes every proof read in it.
      this.scheduled = true;
      setImmediate(this.flush);
    }
    for (let i = 0; i < b.done.length; i++) b.done[i]!(CODES[out[i]!] ?? 'malformed');
  }

  /** The worker is gone: what it held is verified here, and so is everything after. */
  private fail(why: string): void {
    if (this.worker === null) return;
    this.worker = null;
    this.usable = false;
    this.onFallback(why);
    const left = [this.inflight, this.next];
    this.inflight = null;
    this.next = { inputs: [], done: [] };
    for (const b of left) for (let i = 0; i < (b?.inputs.length ?? 0); i++) {
      const x = b!.inputs[i]!;
      b!.done[i]!(verifyCompact(x.digest, x.pub, x.compact));
    }
  }

  /** Ends the worker; proofs still queued get no answer (their connections are closing). */
  async stop(): Promise<void> {
    const w = this.worker;
    this.usable = false;
    this.next = { inputs: [], done: [] };
    if (w === null) return;
    this.worker = null;
    await w.terminate();
  }
}
