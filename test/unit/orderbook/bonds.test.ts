import { describe, expect, it } from 'vitest';
import { BondVerifier, type BondChain } from '../../../src/orderbook/bonds.js';
import { buildBondProof } from '../../../src/protocol/bond-proof.js';
import { bytesToHex, hexToBytes, publicKeyOf, sha256, utf8ToBytes } from '../../../src/protocol/crypto.js';
import { freezeScript, p2wshScriptPubKey } from '../../../src/wallet/bond-script.js';
import { nickFromPrivateKey } from '../../../src/protocol/nick.js';
import { bondValue } from '../../../src/wallet/bond-value.js';
import { ManualClock, systemClock } from '../../../src/util/clock.js';
import { OrderBook } from '../../../src/orderbook/book.js';
import { buildOrderbook } from '../../../src/orderbook/snapshot.js';
import { gatherOffers } from '../../../src/taker/offer-gather.js';

const TAKER = 'J58siV5gCJuQWAQf';
const MAKER = nickFromPrivateKey(hexToBytes('01'.repeat(32)));
const bond = { utxoPrivateKey: sha256(utf8ToBytes('utxo')), certPrivateKey: sha256(utf8ToBytes('cert')), certExpiry: 450, txid: 'aa'.repeat(32), vout: 0, locktime: 1767225600 };
const proof = buildBondProof({ takerNick: TAKER, makerNick: MAKER, ...bond }).base64;

const SCRIPT = bytesToHex(p2wshScriptPubKey(freezeScript(publicKeyOf(bond.utxoPrivateKey), bond.locktime)));

/** Stand-in for Core: `utxo` null = spent; an Error = the node is unreachable. */
function chain(tip: { height: number; medianTimePast: number }, utxo: { valueSat: bigint; scriptPubKey?: string } | null | Error, confirmTime = 1_700_000_000): BondChain {
  return {
    tip: async () => {
      if (utxo instanceof Error) throw utxo;
      return tip;
    },
    getTxOut: async () => (utxo instanceof Error || utxo === null ? null : { confirmations: 100, valueSat: utxo.valueSat, scriptPubKey: utxo.scriptPubKey ?? SCRIPT }),
    blockTime: async () => confirmTime,
  };
}

describe('BondVerifier', () => {
  it('without RPC: good signatures → unverified (kept), never invalid', async () => {
    const v = new BondVerifier({ takerNick: TAKER });
    const e = await v.verify(MAKER, proof);
    expect(e).toMatchObject({ status: 'unverified', txid: bond.txid, certExpiry: 450, value: null });
  });

  it('rejects a proof made for another taker', async () => {
    const v = new BondVerifier({ takerNick: 'J5D7wbEWpGZCy3Zv' });
    expect((await v.verify(MAKER, proof)).status).toBe('invalid');
    expect(v.evaluation(MAKER, 'not base64!').status).toBe('invalid');
  });

  it('with RPC: checks expiry and UTXO, values the bond with median-time-past', async () => {
    const tip = { height: 450 * 2016 - 10, medianTimePast: 1_750_000_000 };
    const c = chain(tip, { valueSat: 50_000_000n });
    const v = new BondVerifier({ takerNick: TAKER, chain: c, clock: new ManualClock() });
    const e = await v.verify(MAKER, proof);
    expect(e.status).toBe('verified');
    expect(e.value).toBe(bondValue({ amountSat: 50_000_000, confirmTime: 1_700_000_000, locktime: bond.locktime, now: tip.medianTimePast }));
    expect(e.amountSat).toBe(50_000_000);
    expect(v.tip).toEqual({ height: tip.height, medianTime: tip.medianTimePast });
  });

  it('expired certificate, spent UTXO and wrong script are invalid; an RPC failure is only unverified', async () => {
    const expired = new BondVerifier({ takerNick: TAKER, chain: chain({ height: 450 * 2016 + 1, medianTimePast: 1 }, { valueSat: 1n }) });
    expect(await expired.verify(MAKER, proof)).toMatchObject({ status: 'invalid', reason: expect.stringMatching(/expired/) });
    const spent = new BondVerifier({ takerNick: TAKER, chain: chain({ height: 1, medianTimePast: 1 }, null) });
    expect(await spent.verify(MAKER, proof)).toMatchObject({ status: 'invalid', reason: expect.stringMatching(/spent/) });
    const otherScript = new BondVerifier({ takerNick: TAKER, chain: chain({ height: 1, medianTimePast: 1 }, { valueSat: 1n, scriptPubKey: '0020' + '00'.repeat(32) }) });
    expect(await otherScript.verify(MAKER, proof)).toMatchObject({ status: 'invalid' });
    const down = new BondVerifier({ takerNick: TAKER, chain: chain({ height: 1, medianTimePast: 1 }, new Error('ECONNREFUSED')) });
    expect(await down.verify(MAKER, proof)).toMatchObject({ status: 'unverified' });
    expect(down.chainError).toBe('ECONNREFUSED');
  });
});

describe('BondVerifier: bounded chain work', () => {
  it('reuses a full check younger than recheckAfterMs, runs at most maxConcurrentChecks at once, reads the tip once per tipCacheMs', async () => {
    const clock = new ManualClock(0);
    let running = 0;
    let peak = 0;
    let lookups = 0;
    let tips = 0;
    const base = chain({ height: 1, medianTimePast: 1 }, { valueSat: 1n });
    const c: BondChain = {
      tip: async () => (tips++, base.tip()),
      getTxOut: async (t, v) => {
        lookups++;
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return base.getTxOut(t, v);
      },
      blockTime: base.blockTime,
    };
    const v = new BondVerifier({ takerNick: TAKER, chain: c, clock, maxConcurrentChecks: 2 });
    const keys = Array.from({ length: 8 }, (_, i) => hexToBytes((i + 1).toString(16).padStart(64, '0')));
    const makers = keys.map((k) => nickFromPrivateKey(k));
    const proofs = makers.map((m) => buildBondProof({ takerNick: TAKER, makerNick: m, ...bond }).base64);
    await Promise.all(makers.map((m, i) => v.verify(m, proofs[i]!)));
    expect(lookups).toBe(8);
    expect(peak).toBe(2);
    expect(tips).toBe(1);
    await v.verify(makers[0]!, proofs[0]!);
    expect(lookups).toBe(8); // checked a moment ago
    clock.advance(60_000);
    await v.verify(makers[0]!, proofs[0]!);
    expect(lookups).toBe(9);
    expect(tips).toBe(2);
  });
});

describe('one bond, two nicks: the watcher and the taker agree', () => {
  it('the same nick keeps the bond on the page and in the taker; the other weighs as bondless', async () => {
    const keys = ['02', '03', '04'].map((b) => hexToBytes(b.repeat(32)));
    const [a, b, plain] = keys.map((k) => nickFromPrivateKey(k)) as [string, string, string];
    const tip = { height: 450 * 2016 - 10, medianTimePast: 1_750_000_000 };
    const verifier = new BondVerifier({ takerNick: TAKER, chain: chain(tip, { valueSat: 50_000_000n }), clock: new ManualClock() });
    const book = new OrderBook(3_600_000);
    for (const [i, nick] of [a, b, plain].entries()) book.offer(nick, 'dn', 'sw0reloffer', ['0', '100000', '9000000', '0', '0.0002'], 'private', 1_000 + i);
    // b's proof arrives first; arrival order must not matter
    for (const nick of [b, a]) book.bond(nick, 'dn', buildBondProof({ takerNick: TAKER, makerNick: nick, ...bond }).base64, 2_000);
    const taker = await gatherOffers({ book, bonds: verifier, on: () => () => {} }, { amount: 1_000_000, need: 1, eligible: () => true }, { waitMs: 1, quietMs: 0, clock: systemClock });
    const page = buildOrderbook({ book, bonds: verifier, network: 'regtest', ourNick: TAKER, now: 3_000, interestRate: 0.015, exponent: 1.3, allowance: 0.125 });

    const winner = [a, b].sort()[0]!;
    const loser = winner === a ? b : a;
    const byNick = new Map(taker.map((e) => [e.counterparty, e]));
    expect(byNick.get(winner)!.bondValue).toBeGreaterThan(0);
    expect(byNick.get(loser)!.bondValue).toBe(0);
    expect(byNick.get(loser)!.bondKey).toBe(byNick.get(winner)!.bondKey);
    expect(page.bonds.find((x) => x.nick === loser)!.duplicateOf).toBe(winner);
    expect(page.bonds.find((x) => x.nick === winner)!.duplicateOf).toBeNull();
    const chance = (n: string) => page.offers.find((o) => o.nick === n)!.pickChance;
    expect(chance(loser)).toBeCloseTo(chance(plain), 12); // bondless share only
    expect(chance(winner)).toBeCloseTo(0.125 / 3 + 0.875, 12);
  });
});
