/**
 * The taker against hostile makers on the in-memory bus: absurd fees are never filled, a
 * cancelled confirmation spends nothing, a high-S or wrong-amount `!sig` is refused and its
 * maker replaced from the current book, makers listing one input are both dropped, caps on the
 * miner fee hold, and stray or repeated messages cannot disturb a round.
 */
import { describe, expect, it } from 'vitest';
import type { CoinjoinPlan } from '../../../src/taker/taker.js';
import { TAKER, worldsStoppedAfterEach } from './world.js';

const world = worldsStoppedAfterEach();

describe('Taker against hostile makers', () => {
  it('never fills an offer over the fee limits and spends no commitment on the attempt', async () => {
    const w = world();
    const greedy = await w.hostile('J5greedyOOOOOOOO', { offer: 'sw0absoffer 0 100000 9000000 0 5000000' });
    await w.honest('J5makerAOOOOOOOO');
    const e = await w.taker().coinjoin(w.request(2)).catch((x: Error) => x);
    expect((e as Error).message).toMatch(/need 2 makers, only 1 offer \(1 more over the fee limits\)/);
    expect(greedy.fills).toEqual([]);
    expect(w.commitments.size).toBe(0);
    expect(w.chain.broadcasts).toEqual([]);
  });

  it('shows the plan first; a refusal stops before any commitment or !fill', async () => {
    const w = world();
    await w.honest('J5makerAOOOOOOOO');
    await w.honest('J5makerBOOOOOOOO');
    const plans: CoinjoinPlan[] = [];
    const e = await w.taker({ confirm: async (p) => (plans.push(p), false) }).coinjoin(w.request(2)).catch((x: Error) => x);
    expect((e as Error).message).toMatch(/cancelled/);
    expect(plans).toHaveLength(1);
    expect(plans[0]!.cjFees).toBe(600n); // 2 × 0.0003 × 1,000,000
    expect(plans[0]!.maxMinerFee > plans[0]!.minerFeeEstimate).toBe(true);
    expect(plans[0]!.feeLimits.abs).toBe(500);
    expect(w.commitments.size).toBe(0);
  });

  it('refuses a high-S !sig, blames that maker and completes with makers that joined the book meanwhile', async () => {
    const w = world();
    const h = await w.hostile('J5highsOOOOOOOOO', { sig: 'high-s' });
    await w.honest('J5makerAOOOOOOOO');
    await w.honest('J5makerCOOOOOOOO', undefined, true);
    await w.honest('J5makerDOOOOOOOO', undefined, true);
    const hostileCoins = w.coinsOf('J5highsOOOOOOOOO');
    const r = await w.taker().coinjoin(w.request(2));
    expect(w.spent().filter((i) => hostileCoins.includes(i))).toEqual([]);
    expect(h.signedFor).toEqual([TAKER]); // it did answer, with a high-S signature
    expect(r.attempts).toBe(2);
    // A signed the abandoned transaction (its coins stay locked), so it sits the retry out
    expect(r.makers.map((m) => m.nick).sort()).toEqual(['J5makerCOOOOOOOO', 'J5makerDOOOOOOOO']);
    expect(w.chain.broadcasts).toHaveLength(1);
    expect(r.commitments).toHaveLength(2);
  });

  it('refuses a signature over a wrong amount; with no replacement nothing is broadcast', async () => {
    const w = world();
    await w.hostile('J5wrongOOOOOOOOO', { sig: 'wrong-amount' });
    await w.honest('J5makerAOOOOOOOO');
    const e = await w.taker().coinjoin(w.request(2)).catch((x: Error) => x);
    expect((e as Error).message).toMatch(/need 2 makers, only 0 offer \(2 left out after the last attempt: J5wrongOOOOOOOOO: signature matches none of its unsigned inputs\)/);
    expect(w.chain.broadcasts).toEqual([]);
  });

  it('two makers listing the same input are both dropped', async () => {
    const w = world();
    await w.hostile('J5copyAOOOOOOOOO');
    await w.hostile('J5copyBOOOOOOOOO', { copyOf: 'J5copyAOOOOOOOOO' }); // lists A's coin: which one lies is unknowable
    const e = await w.taker().coinjoin(w.request(2)).catch((x: Error) => x);
    expect((e as Error).message).toMatch(/need 2 makers, only 0 offer \(2 left out after the last attempt: input [0-9a-f]{64}:0 listed by both J5copy[AB]OOOOOOOOO and J5copy[AB]OOOOOOOOO\)/);
  });

  it('caps the miner fee: the rate and a cap our own inputs cannot fit are refused before any commitment', async () => {
    const w = world();
    await w.honest('J5makerAOOOOOOOO');
    await w.honest('J5makerBOOOOOOOO');
    const t = w.taker();
    await expect(t.coinjoin({ ...w.request(2), satPerVb: 351 })).rejects.toThrow(/fee rate 351 sat\/vB is outside \(0, 350\]/);
    expect(w.commitments.size).toBe(0);
    await expect(t.coinjoin({ ...w.request(2), maxMinerFee: 100 })).rejects.toThrow(
      /^the miner-fee cap of 100 sat is below our estimated share of \d+ sat \(our 2 input\(s\), 2 maker\(s\) with 3 inputs each, 2 sat\/vB\); nothing was spent$/,
    );
    expect(w.commitments.size).toBe(0);
    expect(w.chain.broadcasts).toEqual([]);
  });

  it('a stray !sig before !tx and a repeated !ioauth are ignored; the round completes', async () => {
    const w = world();
    const noisy = (cmd: string, args: string): string | null => {
      if (cmd === 'pubkey') w.bus.toTaker('J5makerAOOOOOOOO', TAKER, `!sig ${'A'.repeat(40)}`);
      if (cmd === 'ioauth') w.bus.toTaker('J5makerAOOOOOOOO', TAKER, `!ioauth ${args}`);
      return args;
    };
    await w.honest('J5makerAOOOOOOOO', noisy);
    await w.honest('J5makerBOOOOOOOO');
    const r = await w.taker().coinjoin(w.request(2));
    expect(r.attempts).toBe(1);
    expect(w.chain.broadcasts).toHaveLength(1);
  });
});
