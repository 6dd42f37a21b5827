/** The verification worker: same answers as the inline check, in order, across batches; falls back inline when it dies. */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { VerifyPool, type VerifyResult } from '../../../src/directory/verify-pool.js';
import { messageHash, publicKeyOf } from '../../../src/protocol/crypto.js';
import type { VerifyInput } from '../../../src/protocol/nick-auth.js';
import { signCompact, verifyCompact } from '../../../src/protocol/secp-fast.js';

const pools: VerifyPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.stop()));
});

/** Valid, invalid (another digest) and malformed (pubkey not on the curve) inputs, in turn. */
function inputs(n: number): { input: VerifyInput; want: VerifyResult }[] {
  const key = randomBytes(32);
  const pub = publicKeyOf(key);
  const notOnCurve = new Uint8Array(33).fill(0xff);
  notOnCurve[0] = 2;
  return Array.from({ length: n }, (_, i) => {
    const digest = messageHash(`m${i}`);
    const compact = signCompact(digest, key);
    if (i % 3 === 0) return { input: { digest, pub, compact }, want: 'ok' as const };
    if (i % 3 === 1) return { input: { digest: messageHash(`other${i}`), pub, compact }, want: 'invalid' as const };
    return { input: { digest, pub: notOnCurve, compact }, want: 'malformed' as const };
  });
}

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Submits `xs` in `chunks` event-loop turns (so in several batches) and collects the answers. */
async function run(pool: VerifyPool, xs: { input: VerifyInput }[], chunks = 1): Promise<VerifyResult[]> {
  const out: VerifyResult[] = [];
  let resolve: () => void = () => {};
  const all = new Promise<void>((r) => (resolve = r));
  const per = Math.ceil(xs.length / chunks);
  for (let c = 0; c < chunks; c++) {
    for (const x of xs.slice(c * per, (c + 1) * per)) pool.verify(x.input, (r) => {
      out.push(r);
      if (out.length === xs.length) resolve();
    });
    if (c < chunks - 1) await nextTurn();
  }
  await all;
  return out;
}

describe('VerifyPool', () => {
  it('stopped in the turn a proof was queued: the scheduled hand-over finds no worker and does nothing (no throw, no answer)', async () => {
    const pool = new VerifyPool();
    const [x] = inputs(1);
    let answered = 0;
    pool.verify(x!.input, () => answered++);
    await pool.stop();
    await nextTurn();
    await nextTurn();
    expect(answered).toBe(0);
    expect(pool.pending).toBe(0);
  });

  it('answers like the inline check, in order, over several batches', async () => {
    const pool = new VerifyPool();
    pools.push(pool);
    const xs = inputs(600);
    for (const x of xs.slice(0, 3)) expect(verifyCompact(x.input.digest, x.input.pub, x.input.compact)).toBe(x.want);
    let sync = 0;
    pool.verify(xs[0]!.input, () => sync++);
    expect(sync).toBe(0); // the answer comes on a later turn: it went to the worker
    expect(await run(pool, xs, 5)).toEqual(xs.map((x) => x.want));
    expect(pool.pending).toBe(0);
    expect(sync).toBe(1);
  });

  it('verifies what the worker held, and everything after, inline when the worker dies', async () => {
    const errors: string[] = [];
    const pool = new VerifyPool((why) => errors.push(why));
    pools.push(pool);
    const xs = inputs(30);
    const done = run(pool, xs);
    await nextTurn(); // the batch went to the worker
    await (pool as unknown as { worker: Worker }).worker.terminate();
    expect(await done).toEqual(xs.map((x) => x.want));
    expect(errors).toEqual([expect.stringMatching(/exited/)]);
    let r: VerifyResult | null = null;
    pool.verify(xs[0]!.input, (x) => (r = x));
    expect(r).toBe('ok'); // inline now: answered at once
  });
});
