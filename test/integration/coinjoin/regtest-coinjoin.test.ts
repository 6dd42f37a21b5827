/**
 * End to end on a real regtest node through our DN over loopback TCP: two makers (one with a
 * fidelity bond) and one taker complete a coinjoin; a malicious taker gets no signature; a
 * second coinjoin reuses no commitment or address and completes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { address as bjsAddress } from 'bitcoinjs-lib';
import type { DirectoryServer } from '../../../src/directory/index.js';
import type { HostPort } from '../../../src/client/dialer.js';
import type { CoinjoinEvent } from '../../../src/maker/maker.js';
import type { CoinjoinOutcome } from '../../../src/taker/taker.js';
import { podleCommitment } from '../../../src/protocol/coinjoin/podle.js';
import { bytesToHex } from '../../../src/protocol/crypto.js';
import { toBitcoinjs } from '../../../src/wallet/network.js';
import { regtestAvailable, startRegtestNode, type RegtestNode } from '../../helpers/regtest-node.js';
import { lockBond, MalloryTaker, newWallet, startDn, startMaker, startTaker, waitConfirmed, walletTotal as total, type TestMaker, type TestTaker } from '../../helpers/coinjoin-net.js';

const COIN = 100_000_000;
const AMOUNT = 30_000_000;
const available = regtestAvailable();

const rawTx = z.object({
  confirmations: z.number().optional(),
  vout: z.array(z.object({ value: z.number(), n: z.number(), scriptPubKey: z.object({ hex: z.string() }) })),
  vin: z.array(z.object({ txid: z.string(), vout: z.number() })),
});

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
  let mallet: Awaited<ReturnType<typeof newWallet>>;
  let first: CoinjoinOutcome;

  beforeAll(async () => {
    node = await startRegtestNode();
    const d = await startDn();
    dn = d.server;
    dns = [d.addr];
    const [wa, wb, wt, wm] = [await newWallet(node), await newWallet(node), await newWallet(node), await newWallet(node)];
    mallet = wm;
    burn = (await newWallet(node)).wallet.getAddress(0, 0, 0).address;
    await node.mine(1, wa.wallet.getAddress(0, 0, 0).address);
    await node.mine(1, wa.wallet.getAddress(2, 0, 0).address);
    await node.mine(1, wb.wallet.getAddress(0, 0, 0).address);
    await node.mine(1, wt.wallet.getAddress(0, 0, 0).address);
    await node.mine(1, wm.wallet.getAddress(0, 0, 0).address);
    await node.mine(101, burn);
    // maker A locks 1 coin in a fidelity bond (locktime ~2 months ahead)
    const bondAddress = await lockBond(node, wa, burn);
    bonded = await startMaker(node, dns, wa);
    plain = await startMaker(node, dns, wb, { algorithm: 'basic' });
    taker = await startTaker(node, dns, wt);
    console.log(`setup ${Date.now() - t0} ms; bond ${bonded.maker.nick} ${bondAddress}`);
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
    first = r;
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

  it('a malicious taker gets no signature and the maker keeps serving', async () => {
    const mallory = new MalloryTaker(dns, toBitcoinjs(node.network));
    await mallory.start();
    await mallet.sync.sync();
    const coin = mallet.wallet.utxos(0)[0]!;
    const key = Uint8Array.from(mallet.wallet.keys.key(0, 0, 0).privateKey!);
    const utxo = `${coin.txid}:${coin.vout}`;
    const target = plain.maker.nick;
    const offer = plain.maker.offers.current[0]!;
    const sigs: string[] = [];
    mallory.pool.on('privmsg', (m) => m.cmd === 'sig' && sigs.push(m.from));
    const closed = (): Promise<string> => new Promise((resolve) => {
      const off = plain.maker.on('session', (e) => {
        if (e.taker === mallory.pool.nick && e.state === 'closed') {
          off();
          resolve(e.reason ?? '');
        }
      });
    });

    // wrong amount
    let reply = mallory.next(target, ['error', 'pubkey']);
    mallory.fill(target, offer.oid, offer.maxsize + 1, podleCommitment(mallory.proof(key, utxo, 0).P2));
    expect(await reply).toEqual({ cmd: 'error', args: 'amount out of range' });

    // reused commitment (the honest taker's from the first coinjoin)
    reply = mallory.next(target, ['error', 'pubkey']);
    mallory.fill(target, offer.oid, AMOUNT, Buffer.from(first.commitments[0]!, 'hex'));
    expect(await reply).toEqual({ cmd: 'error', args: `Commitment is blacklisted: ${first.commitments[0]}` });

    const myScript = bjsAddress.toOutputScript(mallet.wallet.getAddress(1, 0, 0).address, toBitcoinjs(node.network));
    const values = async (io: { utxos: Array<{ txid: string; vout: number }> }): Promise<number[]> =>
      Promise.all(io.utxos.map(async (u) => Number((await node.rpc.getTxOut(u.txid, u.vout))!.valueSat)));

    // missing change output; the commitment is gossiped to the other maker from a throwaway nick
    const proof0 = mallory.proof(key, utxo, 0);
    const c0 = bytesToHex(podleCommitment(proof0.P2));
    const gossip = new Promise<{ hex: string; from: string }>((resolve) => {
      const off = bonded.maker.on('commitment', (e) => e.hex === c0 && (off(), resolve(e)));
    });
    let io = await mallory.toIoauth(target, offer, AMOUNT, proof0);
    let done = closed();
    mallory.sendTx(target, io, { values: await values(io), own: coin }, offer, AMOUNT, myScript, (tx) => { tx.outs.splice(1, 1); });
    expect(await done).toMatch(/refused !tx: change address appears 0 times/);
    const g = await gossip;
    expect([g.from === target, g.from === mallory.pool.nick, g.from === bonded.maker.nick]).toEqual([false, false, false]);

    // a foreign input to sign: our declared input swapped for another of our coins
    io = await mallory.toIoauth(target, offer, AMOUNT, mallory.proof(key, utxo, 1));
    const declared = new Set(io.utxos.map((u) => `${u.txid}:${u.vout}`));
    const other = plain.wallet.utxos().find((u) => !declared.has(`${u.txid}:${u.vout}`))!;
    done = closed();
    mallory.sendTx(target, io, { values: await values(io), own: coin }, offer, AMOUNT, myScript, (tx) => {
      tx.ins[1]!.hash = Buffer.from(other.txid, 'hex').reverse();
      tx.ins[1]!.index = other.vout;
    });
    expect(await done).toMatch(/refused !tx: our utxo .* is not an input/);

    expect(sigs).toEqual([]);
    expect(plain.wallet.unavailable().size).toBe(0);
    await mallory.stop();
  }, 120_000);

  it('a second coinjoin reuses no commitment or address and completes', async () => {
    await node.mine(5, burn); // the taker's change needs 5 confirmations to back a commitment
    await taker.sync.sync();
    const { r, events } = await coinjoin();
    console.log(`coinjoin 2 txid ${r.txid} fee ${r.fee} cjfees ${r.cjFees}`);
    expect(r.commitments.some((c) => first.commitments.includes(c))).toBe(false);
    for (const e of events) {
      expect(usedAddresses.has(e.cjAddress)).toBe(false);
      expect(usedAddresses.has(e.changeAddress)).toBe(false);
    }
    expect(new Set(r.makers.map((m) => m.nick))).toEqual(new Set([bonded.maker.nick, plain.maker.nick]));
    expect((await node.rpc.call('getrawtransaction', [r.txid, true], rawTx)).confirmations).toBe(1);
  }, 120_000);
});
