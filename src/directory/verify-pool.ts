/**
 * ECDSA verifications of nick-auth proofs on one worker thread, in batches: the main thread
 * packs every proof that arrived in one event-loop turn into one transferred buffer (one
 * message each way per batch), so in a reconnect burst it keeps reading, accepting and
 * answering handshakes while the worker verifies. Results come back in order. If the worker
 * cannot start or dies, verification falls back to the main thread (same library, same answers).
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
/** A batch is sent at the end of the turn, or as soon as it holds this many proofs. */
const MAX_BATCH = 512;

// Plain CommonJS evaluated in the worker: no build step, no TypeScript loader needed there.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const secp = require(workerData.binding);
parentPort.on('message', (buf) => {
  const u = new Uint8Array(buf);
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
  parentPort.postMessage(out.buffer, [out.buffer]);
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
  private next: Batch = { inputs: [], done: [] };
  private readonly inflight: Batch[] = [];
  private scheduled = false;

  constructor(private readonly onFallback: (why: string) => void = () => {}) {
    const binding = nativeBindingPath();
    if (binding === null) return; // no native binding: the WASM fallback runs inline
    try {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { binding } });
      w.unref();
      w.on('message', (buf: ArrayBuffer) => this.onResults(new Uint8Array(buf)));
      w.on('error', (e: Error) => this.fail(`verification worker failed: ${e.message}`));
      w.on('exit', (code) => this.fail(`verification worker exited (${code})`));
      this.worker = w;
    } catch (e) {
      this.onFallback(`verification worker not started: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Proofs queued or being verified. */
  get pending(): number {
    let n = this.next.inputs.length;
    for (const b of this.inflight) n += b.inputs.length;
    return n;
  }

  /** Verifies `input`; `done` runs on a later turn (or at once without a worker). */
  verify(input: VerifyInput, done: Done): void {
    if (this.worker === null) return done(verifyCompact(input.digest, input.pub, input.compact));
    this.next.inputs.push(input);
    this.next.done.push(done);
    if (this.next.inputs.length >= MAX_BATCH) this.send();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.next.inputs.length > 0) this.send();
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
    this.inflight.push(b);
    this.worker!.postMessage(buf.buffer, [buf.buffer]);
  }

  private onResults(out: Uint8Array): void {
    const b = this.inflight.shift();
    if (!b) return;
    for (let i = 0; i < b.done.length; i++) b.done[i]!(CODES[out[i]!] ?? 'malformed');
  }

  /** The worker is gone: what it held is verified here, and so is everything after. */
  private fail(why: string): void {
    if (this.worker === null) return;
    this.worker = null;
    this.onFallback(why);
    const left = [...this.inflight, this.next];
    this.inflight.length = 0;
    this.next = { inputs: [], done: [] };
    for (const b of left) for (let i = 0; i < b.inputs.length; i++) {
      const x = b.inputs[i]!;
      b.done[i]!(verifyCompact(x.digest, x.pub, x.compact));
    }
  }

  async stop(): Promise<void> {
    const w = this.worker;
    if (w === null) return;
    this.worker = null;
    await w.terminate();
  }
}
