/**
 * The miner-fee cap counts what is known (our real inputs before the commitment, each maker's
 * inputs as they arrive) and blames only a maker whose inputs caused the excess; a retry never
 * costs more than the fees the user accepted without asking again.
 */
import { describe, expect, it } from 'vitest';
import type { CoinjoinPlan } from '../../../src/taker/taker.js';
import { worldsStoppedAfterEach, type World } from './world.js';

const world = worldsStoppedAfterEach();

/** One coin that can back the commitment (≥ 20 % of the amount) and many small ones. */
const MANY_SMALL = [250_000, ...Array<number>(30).fill(30_000)];

describe('Taker: miner-fee cap from what is known', () => {
  it('many small coins of ours: the estimate and cap count them, and a maker with 4 inputs is not blamed', async () => {
    const w = world(MANY_SMALL);
    await w.honest('J5makerAOOOOOOOO');
    const four = await w.hostile('J5fourinputsOOOO', { coins: [800_000, 800_000, 800_000, 800_000] });
    const plans: CoinjoinPlan[] = [];
    const r = await w.taker({ confirm: async (p) => (plans.push(p), true) }).coinjoin({ ...w.request(2), maxAttempts: 1 });
    expect(r.attempts).toBe(1);
    expect(plans[0]!.takerInputs).toBe(27); // 250,000 + 26 × 30,000 covers amount + fees + cap
    expect(r.makers.find((m) => m.nick === four.nick)?.inputs).toBe(4);
    const ourShare = r.fee - BigInt(r.makers.reduce((s, m) => s + m.txfee, 0));
    expect(ourShare <= plans[0]!.maxMinerFee).toBe(true);
    expect(plans[0]!.minerFeeEstimate <= plans[0]!.maxMinerFee).toBe(true);
  });

  it('a maker whose inputs make the cap unreachable is blamed at its !ioauth, before the others answer', async () => {
    const w = world();
    const heavy = await w.hostile('J5heavyOOOOOOOOO', { coins: Array<number>(12).fill(200_000) });
    await w.honest('J5silentOOOOOOOO', () => null); // never answers
    const started = Date.now();
    const e = await w.taker().coinjoin({ ...w.request(2), maxMinerFee: 2_000, maxAttempts: 1 }).catch((x: Error) => x);
    expect((e as Error).message).toMatch(
      /^coinjoin failed after 1 attempts: our miner fee would be \d+ sat, over the cap of 2000 sat, even if the 1 maker\(s\) still to answer bring one input each \(J5heavyOOOOOOOOO brought 12 inputs\)$/,
    );
    expect(Date.now() - started).toBeLessThan(1_000); // the !ioauth deadline (1 s) was not waited for
    expect(heavy.txs).toEqual([]);
  });

  it('the heavy maker is replaced; the light maker that answered with it is not blamed and completes the retry', async () => {
    const w = world();
    const heavy = await w.hostile('J5heavyOOOOOOOOO', { coins: Array<number>(12).fill(200_000) });
    await w.honest('J5lightOOOOOOOOO');
    await w.honest('J5makerCOOOOOOOO', undefined, true);
    const r = await w.taker().coinjoin({ ...w.request(2), maxMinerFee: 2_000 });
    expect(r.attempts).toBe(2);
    expect(r.makers.map((m) => m.nick).sort()).toEqual(['J5lightOOOOOOOOO', 'J5makerCOOOOOOOO']);
    expect(heavy.txs).toEqual([]);
    expect(w.spent().filter((i) => w.coinsOf(heavy.nick).includes(i))).toEqual([]);
  });
});

describe('Taker: replacements within what the user accepted', () => {
  /** A cheap maker that cheats at !sig, an honest one that then sits out, and late makers at `lateFees`. */
  async function retryWorld(lateFees: [string, string]): Promise<World> {
    const w = world();
    await w.hostile('J5cheatOOOOOOOOO', { sig: 'wrong-amount' });
    await w.honest('J5makerAOOOOOOOO');
    await w.honest('J5makerCOOOOOOOO', undefined, true, lateFees[0]);
    await w.honest('J5makerDOOOOOOOO', undefined, true, lateFees[1]);
    return w;
  }

  it('replacements that cost more are shown again; a refusal spends no second commitment', async () => {
    const w = await retryWorld(['0.0008', '0.0003']);
    const plans: CoinjoinPlan[] = [];
    const e = await w.taker({ confirm: async (p) => (plans.push(p), plans.length === 1) }).coinjoin(w.request(2)).catch((x: Error) => x);
    expect((e as Error).message).toBe("cancelled: the replacement makers' fees were not accepted");
    expect(plans.map((p) => [p.attempt, p.cjFees, p.accepted?.cjFees ?? null])).toEqual([[1, 600n, null], [2, 1_100n, 600n]]);
    expect(w.commitments.size).toBe(1);
    expect(w.chain.broadcasts).toEqual([]);
  });

  it('accepted again, the retry completes at the new fees', async () => {
    const w = await retryWorld(['0.0008', '0.0003']);
    const plans: CoinjoinPlan[] = [];
    const r = await w.taker({ confirm: async (p) => (plans.push(p), true) }).coinjoin(w.request(2));
    expect(plans).toHaveLength(2);
    expect([r.attempts, r.cjFees]).toEqual([2, 1_100n]);
  });

  it('replacements within the accepted fees and miner-fee cap go ahead without asking', async () => {
    const w = await retryWorld(['0.0003', '0.0002']);
    const plans: CoinjoinPlan[] = [];
    const r = await w.taker({ confirm: async (p) => (plans.push(p), true) }).coinjoin(w.request(2));
    expect(plans).toHaveLength(1);
    expect(r.attempts).toBe(2);
    expect(r.cjFees <= plans[0]!.cjFees).toBe(true);
    const ourShare = r.fee - BigInt(r.makers.reduce((s, m) => s + m.txfee, 0));
    expect(ourShare <= plans[0]!.maxMinerFee).toBe(true);
  });
});
