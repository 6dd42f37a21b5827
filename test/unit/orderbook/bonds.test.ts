import { describe, expect, it } from 'vitest';
import { BondVerifier, type BondChain, type ChainTip } from '../../../src/orderbook/bonds.js';
import { buildBondProof } from '../../../src/protocol/bond-proof.js';
import { hexToBytes, sha256, utf8ToBytes } from '../../../src/protocol/crypto.js';
import { nickFromPrivateKey } from '../../../src/protocol/nick.js';
import { bondValue } from '../../../src/wallet/bond-value.js';
import { ManualClock } from '../../../src/util/clock.js';

const TAKER = 'J58siV5gCJuQWAQf';
const MAKER = nickFromPrivateKey(hexToBytes('01'.repeat(32)));
const bond = { utxoPrivateKey: sha256(utf8ToBytes('utxo')), certPrivateKey: sha256(utf8ToBytes('cert')), certExpiry: 450, txid: 'aa'.repeat(32), vout: 0, locktime: 1767225600 };
const proof = buildBondProof({ takerNick: TAKER, makerNick: MAKER, ...bond }).base64;

function chain(tip: ChainTip, utxo: Awaited<ReturnType<BondChain['bondUtxo']>> | Error): BondChain & { queries: number } {
  const c = {
    queries: 0,
    tip: async () => tip,
    bondUtxo: async () => {
      c.queries++;
      if (utxo instanceof Error) throw utxo;
      return utxo;
    },
  };
  return c;
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
    const tip = { height: 450 * 2016 - 10, medianTime: 1_750_000_000 };
    const c = chain(tip, { ok: true, amountSat: 50_000_000, confirmTime: 1_700_000_000, confirmations: 100 });
    const v = new BondVerifier({ takerNick: TAKER, chain: c, clock: new ManualClock() });
    const e = await v.verify(MAKER, proof);
    expect(e.status).toBe('verified');
    expect(e.value).toBe(bondValue({ amountSat: 50_000_000, confirmTime: 1_700_000_000, locktime: bond.locktime, now: tip.medianTime }));
    expect(v.tip).toEqual(tip);
  });

  it('expired certificate and missing UTXO are invalid; an RPC failure is only unverified', async () => {
    const expired = new BondVerifier({ takerNick: TAKER, chain: chain({ height: 450 * 2016 + 1, medianTime: 1 }, { ok: true, amountSat: 1, confirmTime: 1, confirmations: 1 }) });
    expect((await expired.verify(MAKER, proof)).reason).toMatch(/expired/);
    const spent = new BondVerifier({ takerNick: TAKER, chain: chain({ height: 1, medianTime: 1 }, { ok: false, reason: 'UTXO spent or unknown' }) });
    expect(await spent.verify(MAKER, proof)).toMatchObject({ status: 'invalid', reason: 'UTXO spent or unknown' });
    const down = new BondVerifier({ takerNick: TAKER, chain: chain({ height: 1, medianTime: 1 }, new Error('ECONNREFUSED')) });
    expect(await down.verify(MAKER, proof)).toMatchObject({ status: 'unverified' });
    expect(down.chainError).toBe('ECONNREFUSED');
  });
});
