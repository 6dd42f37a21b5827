/** Taker against real Maker bots over an in-memory bus: success, replacement of silent or refusing makers, bad signatures. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_YIELD_CONFIG } from '../../../src/protocol/coinjoin/yield.js';
import type { Offer } from '../../../src/protocol/offers.js';
import type { OrderbookEntry } from '../../../src/protocol/coinjoin/taker-choice.js';
import { CommitmentBlacklist } from '../../../src/maker/commitments.js';
import { Maker } from '../../../src/maker/maker.js';
import { TakerCommitments } from '../../../src/taker/commitments.js';
import { Taker } from '../../../src/taker/taker.js';
import { FakeChain, NET, keyFor, p2wpkhOf } from '../maker/fakes.js';
import { Bus, FakeTakerWallet } from './bus.js';

const AMOUNT = 1_000_000;

async function world(makerNicks: string[], o: { silent?: string[]; tamper?: Record<string, (cmd: string, args: string) => string | null> } = {}) {
  const chain = new FakeChain();
  const bus = new Bus();
  const makers: Maker[] = [];
  const entries: OrderbookEntry[] = [];
  for (const nick of makerNicks) {
    const wallet = new FakeTakerWallet(chain);
    wallet.addCoin(0, 3_000_000);
    wallet.addCoin(3, 2_500_000);
    const channel = bus.maker(o.silent?.includes(nick) ? `${nick}-unreachable` : nick, o.tamper?.[nick]);
    const m = new Maker({
      channels: [channel], wallet, chain, commitments: CommitmentBlacklist.memory(), network: NET,
      yieldConfig: { ...DEFAULT_YIELD_CONFIG, cjfeeR: '0.0003', txfee: 50 }, algorithm: 'basic',
      timeouts: { authMs: 5_000, txMs: 5_000 },
    });
    await m.start();
    makers.push(m);
    entries.push({ counterparty: nick, offer: m.offers.current[0] as Offer, bondValue: 0 });
  }
  const takerWallet = new FakeTakerWallet(chain);
  takerWallet.addCoin(0, 900_000);
  takerWallet.addCoin(0, 800_000);
  const commitments = TakerCommitments.memory();
  const taker = new Taker({
    net: bus.taker('J5takerOOOOOOOOO'), offers: async () => entries, wallet: takerWallet, chain, commitments, network: NET,
    rng: () => 0.5, timeouts: { ioauthMs: 400, sigMs: 400 },
  });
  const destination = p2wpkhOf(keyFor('dest')).address;
  return { chain, makers, taker, takerWallet, commitments, destination, stop: () => Promise.all(makers.map((m) => m.stop())) };
}

describe('Taker', () => {
  it('completes a round with two makers: every input signed, makers paid exactly', async () => {
    const w = await world(['J5makerAOOOOOOOO', 'J5makerBOOOOOOOO']);
    const r = await w.taker.coinjoin({ amount: AMOUNT, mixdepth: 0, makers: 2, destination: w.destination, satPerVb: 2 });
    await w.stop();
    expect(r.attempts).toBe(1);
    expect(w.chain.broadcasts).toEqual([r.tx.toHex()]);
    expect(r.tx.ins.every((_, i) => r.tx.ins[i]!.witness.length === 2)).toBe(true);
    expect(r.makers.map((m) => m.cjFee)).toEqual([300n, 300n]);
    const cjOuts = r.tx.outs.filter((o) => o.value === BigInt(AMOUNT));
    expect(cjOuts).toHaveLength(3);
    // privacy-enhanced input choice: mixdepth 3 (after the largest gap of {0, 3}); change = in − amount − txfee + cjfee
    expect(r.tx.outs.filter((o) => o.value === 2_500_000n - 1_000_000n - 50n + 300n)).toHaveLength(2);
    const totalIn = 2 * 2_500_000 + 900_000 + 800_000;
    const totalOut = r.tx.outs.reduce((s, o) => s + o.value, 0n);
    expect(BigInt(totalIn) - totalOut).toBe(r.fee);
    expect(r.fee > 0n).toBe(true);
    expect(w.commitments.size).toBe(1);
  });

  it('replaces a silent maker and uses a fresh commitment', async () => {
    const w = await world(['J5makerAOOOOOOOO', 'J5makerBOOOOOOOO', 'J5makerCOOOOOOOO'], { silent: ['J5makerAOOOOOOOO'] });
    const r = await w.taker.coinjoin({ amount: AMOUNT, mixdepth: 0, makers: 3, destination: w.destination, satPerVb: 2, maxAttempts: 1 }).catch((e: Error) => e);
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toMatch(/did not send !ioauth/);
    const ok = await w.taker.coinjoin({ amount: AMOUNT, mixdepth: 0, makers: 2, destination: w.destination, satPerVb: 2, maxAttempts: 3 });
    await w.stop();
    expect(ok.makers.map((m) => m.nick)).not.toContain('J5makerAOOOOOOOO');
    expect(new Set(ok.commitments).size).toBe(ok.commitments.length);
    expect(w.commitments.size).toBeGreaterThanOrEqual(2);
  });

  it('drops a maker whose signature does not verify and completes with another', async () => {
    const corrupt = (cmd: string, args: string): string | null => (cmd === 'sig' ? args.slice(0, 30) + (args[30] === 'A' ? 'B' : 'A') + args.slice(31) : args);
    const w = await world(['J5makerAOOOOOOOO', 'J5makerBOOOOOOOO', 'J5makerCOOOOOOOO'], { tamper: { J5makerBOOOOOOOO: corrupt } });
    const r = await w.taker.coinjoin({ amount: AMOUNT, mixdepth: 0, makers: 2, destination: w.destination, satPerVb: 2, maxAttempts: 3 });
    await w.stop();
    expect(r.makers.map((m) => m.nick)).not.toContain('J5makerBOOOOOOOO');
    expect(w.chain.broadcasts).toHaveLength(1);
  });

  it('fails clearly when the mixdepth cannot fund the amount', async () => {
    const w = await world(['J5makerAOOOOOOOO']);
    await expect(w.taker.coinjoin({ amount: 2_000_000, mixdepth: 0, makers: 1, destination: w.destination, satPerVb: 2 })).rejects.toThrow(/cannot fund/);
    await expect(w.taker.coinjoin({ amount: AMOUNT, mixdepth: 0, makers: 1, destination: 'nonsense', satPerVb: 2 })).rejects.toThrow(/not a valid address/);
    await w.stop();
  });
});
