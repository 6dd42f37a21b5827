// End-to-end against a real regtest node (wallet-and-bonds.md §4–§9, blockchain-backend.md §3–§6):
// fund mixdepths by mining, watch-only sync, bond address funding and listing, proof built by the
// maker-side prover and checked by the watcher-side verifier, bond spend refused before the
// locktime (non-final) and confirmed once median-time-past passes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { nickFromPrivateKey } from '../../../src/protocol/nick.js';
import { buildBondProof } from '../../../src/protocol/bond-proof.js';
import { BondProver } from '../../../src/wallet/bond-prover.js';
import { bondValue } from '../../../src/wallet/bond-value.js';
import { BondVerifier, coreBondChain } from '../../../src/wallet/backend/bond-verifier.js';
import { describeBonds, bestBond } from '../../../src/wallet/backend/bonds.js';
import { RpcError } from '../../../src/wallet/backend/rpc-errors.js';
import { WalletSync } from '../../../src/wallet/backend/sync.js';
import { withChecksum } from '../../../src/wallet/descriptor.js';
import { estimateFeeRate } from '../../../src/wallet/fees.js';
import { locktimeToTimenumber } from '../../../src/wallet/timenumber.js';
import { Wallet } from '../../../src/wallet/wallet.js';
import { regtestAvailable, startRegtestNode, type RegtestNode } from '../../helpers/regtest-node.js';

const ABANDON = 'abandon '.repeat(11) + 'about';
const COIN = 100_000_000n;
const available = regtestAvailable();

describe.skipIf(!available)('wallet on a real regtest node', () => {
  let node: RegtestNode;
  let wallet: Wallet;
  let sync: WalletSync;
  const progress: string[] = [];
  const takerNick = nickFromPrivateKey(new Uint8Array(32).fill(0x22));
  const makerNick = nickFromPrivateKey(new Uint8Array(32).fill(0x11));
  const t0 = Date.now();

  beforeAll(async () => {
    node = await startRegtestNode();
    console.log(`node ${node.impl} ${node.version} up in ${Date.now() - t0} ms`);
    wallet = Wallet.create({ network: node.network, mnemonic: ABANDON });
    sync = new WalletSync(wallet, node.rpc, {
      gap: 6, lookahead: 30, bondTimenumbers: 'all', progressIntervalMs: 50,
      onProgress: (p) => progress.push(`${p.stage}:${p.fraction}`),
    });
  });
  afterAll(async () => {
    await node?.stop();
    console.log(`regtest wallet test total ${Date.now() - t0} ms`);
  });

  it('mines to mixdepths 0-2 and sync shows the balances', async () => {
    const burn = Wallet.create({ network: node.network, mnemonic: ABANDON, extension: 'burn' }).getAddress(0, 0, 0).address;
    for (const md of [0, 1, 2]) await node.mine(1, wallet.getAddress(md, 0, 0).address);
    await node.mine(Math.max(100, node.cltvHeight + 10 - 3), burn); // mature coinbases, CLTV active
    const t = Date.now();
    const r = await sync.sync();
    console.log(`first sync (${r.mode}, ${r.imported} imports, rescan ${r.rescanned}) in ${Date.now() - t} ms`);
    expect(r.mode).toBe(node.impl === 'litecoind' ? 'legacy' : 'descriptors');
    expect(r.created).toBe(true);
    expect(r.rescanned).toBe(true);
    expect(progress).toContain('rescan:1');
    expect(r.balances.slice(0, 3).every((b) => b > 0n)).toBe(true);
    expect(r.balances.slice(3)).toEqual([0n, 0n]);
    expect(wallet.utxos(1)).toHaveLength(1);
    expect(wallet.utxos(1)[0]).toMatchObject({ mixdepth: 1, chain: 0, index: 0, path: "m/84'/1'/1'/0/0" });
    for (const md of [0, 1, 2]) expect(wallet.nextIndex(md, 0)).toBe(1); // used address seen
    expect(wallet.nextIndex(3, 0)).toBe(0);
    // a second sync imports nothing and does not rescan
    const again = await sync.sync();
    expect([again.created, again.imported, again.rescanned]).toEqual([false, 0, false]);
  });

  it('our descriptor checksums match the node', async () => {
    const d = `wpkh([${wallet.keys.fingerprint}/84'/1'/0']${wallet.keys.accountXpub(0)}/0/*)`;
    const info = await node.rpc.getDescriptorInfo(d);
    expect(withChecksum(d)).toBe(`${d}#${info.checksum}`);
  });

  let bondTxid = '';
  let locktime = 0;
  it('funds a bond address from mixdepth 0 and lists it with its value', async () => {
    const mtp = await node.rpc.medianTimePast();
    const d = new Date(mtp * 1000);
    locktime = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 2, 1) / 1000;
    const timenumber = locktimeToTimenumber(locktime)!;
    const bond = wallet.bond(timenumber);
    const fee = await estimateFeeRate(node.rpc, { fallbackSatPerVb: 2 });
    expect(fee.source).toBe('fallback'); // a fresh regtest chain has no estimates
    const { tx, change } = wallet.createSpend({ mixdepth: 0, destination: bond.address, amountSat: COIN, satPerVb: fee.satPerVb });
    expect(change?.path).toBe("m/84'/1'/0'/1/0");
    expect(await node.rpc.testMempoolAccept(tx.toHex())).toEqual({ allowed: true });
    bondTxid = await node.rpc.sendRawTransaction(tx.toHex());
    await node.mine(1, wallet.getAddress(4, 0, 5).address);
    await sync.sync();
    const bonds = wallet.bondUtxos();
    expect(bonds).toHaveLength(1);
    expect(bonds[0]).toMatchObject({ txid: bondTxid, vout: 0, valueSat: COIN, confirmations: 1, chain: 2, index: timenumber });
    expect(wallet.utxos(0).some((u) => u.chain === 1 && u.index === 0)).toBe(true); // change on internal chain
    const listed = await describeBonds(wallet.bondUtxos(), coreBondChain(node.rpc));
    const b = listed.bonds[0]!;
    const header = await node.rpc.getBlockHeader(await node.rpc.getBestBlockHash());
    expect(b.confirmTime).toBe(header.time);
    expect(b.expired).toBe(false);
    expect(b.value).toBe(bondValue({ amountSat: COIN, confirmTime: header.time, locktime, now: listed.medianTimePast }));
    expect(b.value).toBeGreaterThan(0);
    expect(bestBond(listed.bonds)).toBe(b);
    console.log(`bond ${bond.address} locktime ${locktime} value ${b.value}`);
  });

  it('a proof from the maker-side prover verifies with the watcher-side verifier', async () => {
    const u = wallet.bondUtxos()[0]!;
    const prover = new BondProver({ txid: u.txid, vout: u.vout, locktime, utxoPrivateKey: wallet.keys.bondKey(u.bond!.timenumber).privateKey! });
    const tip = await node.rpc.getBlockCount();
    const verifier = new BondVerifier(node.rpc);
    const proof = prover.proofFor(takerNick, makerNick, tip);
    const r = await verifier.verify(proof, takerNick, makerNick);
    if (!r.ok) throw new Error(r.reason);
    expect(r).toMatchObject({ amountSat: COIN, outpoint: `${u.txid}:0`, locktime, confirmations: 1, certForm: 'binary' });
    const listed = await describeBonds([u], coreBondChain(node.rpc));
    expect(r.value).toBe(listed.bonds[0]!.value);
    // failures name the step
    expect(await verifier.verify(proof, makerNick, takerNick)).toMatchObject({ ok: false, step: 'signature' });
    expect(await verifier.verify(proof.slice(4), takerNick, makerNick)).toMatchObject({ ok: false, step: 'parse' });
    const key = wallet.keys.bondKey(u.bond!.timenumber).privateKey!;
    const mk = (o: { certExpiry?: number; txid?: string; vout?: number; locktime?: number }) => buildBondProof({
      takerNick, makerNick, certPrivateKey: new Uint8Array(32).fill(7), utxoPrivateKey: key,
      certExpiry: o.certExpiry ?? 1000, txid: o.txid ?? u.txid, vout: o.vout ?? 0, locktime: o.locktime ?? locktime,
    }).proof;
    expect(await verifier.verify(mk({ certExpiry: 0 }), takerNick, makerNick)).toMatchObject({ ok: false, step: 'certificate' });
    expect(await verifier.verify(mk({ vout: 1 }), takerNick, makerNick)).toMatchObject({ ok: false, step: 'script' }); // the change output
    expect(await verifier.verify(mk({ vout: 7 }), takerNick, makerNick)).toMatchObject({ ok: false, step: 'utxo' });
    expect(await verifier.verify(mk({ locktime: locktime + 1 }), takerNick, makerNick)).toMatchObject({ ok: false, step: 'script' });
  });

  it('spending the bond is refused before the locktime and confirmed after MTP passes it', async () => {
    const u = wallet.bondUtxos()[0]!;
    const dest = wallet.getAddress(0, 1, 10).scriptPubKey;
    const { tx } = wallet.createBondSpend(u, dest, 2);
    expect([tx.locktime, tx.ins[0]!.sequence]).toEqual([locktime, 0xfffffffe]);
    expect(await node.rpc.testMempoolAccept(tx.toHex())).toEqual({ allowed: false, rejectReason: 'non-final' });
    await expect(node.rpc.sendRawTransaction(tx.toHex())).rejects.toThrow(RpcError);
    await expect(node.rpc.sendRawTransaction(tx.toHex())).rejects.toThrow(/non-final/);

    await node.rpc.call('setmocktime', [locktime + 3600], z.null());
    await node.mine(11, wallet.getAddress(4, 0, 5).address); // 11 blocks move median-time-past
    const mtp = await node.rpc.medianTimePast();
    expect(mtp).toBeGreaterThan(locktime);
    const listed = await describeBonds([u], coreBondChain(node.rpc));
    expect(listed.bonds[0]!.expired).toBe(true);
    const spendTxid = await node.rpc.sendRawTransaction(tx.toHex());
    await node.mine(1, wallet.getAddress(4, 0, 5).address);
    expect(await node.rpc.getTxOut(bondTxid, 0)).toBeNull();
    const conf = await node.rpc.call('getrawtransaction', [spendTxid, true], z.object({ confirmations: z.number() }));
    expect(conf.confirmations).toBe(1);
    await sync.sync();
    expect(wallet.bondUtxos()).toHaveLength(0);
    // the watcher now rejects proofs for the spent bond
    const prover = new BondProver({ txid: u.txid, vout: u.vout, locktime, utxoPrivateKey: wallet.keys.bondKey(u.bond!.timenumber).privateKey! });
    const r = await new BondVerifier(node.rpc).verify(prover.proofFor(takerNick, makerNick, await node.rpc.getBlockCount()), takerNick, makerNick);
    expect(r).toMatchObject({ ok: false, step: 'utxo' });
  });
});
