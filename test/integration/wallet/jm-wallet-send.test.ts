// jm-wallet send on a regtest chain (docs/wallet.md "Sending"): dry run, confirmation, an
// ordinary payment with change, coin control, a sweep, the fee rate from the node when no
// --fee-rate is given; read-only commands never write the file, and a wallet made with custom
// scrypt settings keeps them (and its salt) through it all. Last, a coin locked in a fidelity
// bond and `list-bonds` printing it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { address as bjsAddress } from 'bitcoinjs-lib';
import { btcPerKvbToSatPerVb } from '../../../src/wallet/amount.js';
import { formatBondValue, formatBtc } from '../../../src/wallet/format.js';
import { toBitcoinjs } from '../../../src/wallet/network.js';
import { Wallet } from '../../../src/wallet/wallet.js';
import { runCli as run, stopCliProcesses, type CliRun } from '../../helpers/cli-process.js';
import { regtestAvailable, startRegtestNode, type RegtestNode } from '../../helpers/regtest-node.js';

const available = regtestAvailable();
const env = { JM_WALLET_PASSWORD: 'send test' };
const rawTx = z.object({
  vin: z.array(z.object({ txid: z.string(), vout: z.number() })),
  vout: z.array(z.object({ value: z.number(), scriptPubKey: z.object({ hex: z.string() }) })),
  vsize: z.number(),
});
interface Display { mixdepths: Array<{ balanceSat: number; internal: { nextIndex: number }; utxos: Array<{ outpoint: string; valueSat: number }> }> }
interface Bonds { medianTimePast: number; bonds: Array<{ outpoint: string; amountSat: number; locktime: number; lockedUntil: string; confirmations: number; confirmTime: number; value: number; expired: boolean }> }
interface Sent { txid: string; hex: string; amountSat: number; feeSat: number; changeSat: number; changeAddress: string | null; inputs: string[]; broadcast: boolean }

describe.skipIf(!available)('jm-wallet send against regtest', () => {
  let node: RegtestNode;
  const dir = mkdtempSync(join(tmpdir(), 'jm-wallet-send-'));
  const file = join(dir, 'w.jmw');
  let base: string[] = [];
  let rpcArgs: string[] = [];
  const cli = (args: string[]): Promise<CliRun> => run('jm-wallet', [...base, ...rpcArgs, ...args], { env, timeoutMs: 120_000 });
  const json = async <T>(args: string[]): Promise<T> => {
    const r = await cli([...args, '--json']);
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  const fileText = () => readFileSync(file, 'utf8');
  const kdfOf = (text: string) => (JSON.parse(text) as { kdf: unknown }).kdf;
  const dest = () => Wallet.create({ network: node.network, words: 12 }).getAddress(0, 0, 0).address;
  const mempool = () => node.rpc.call('getrawmempool', [], z.array(z.string()));
  const spk = (addr: string) => Buffer.from(bjsAddress.toOutputScript(addr, toBitcoinjs(node.network))).toString('hex');

  beforeAll(async () => {
    node = await startRegtestNode();
    base = ['--network', 'regtest', '--hrp', node.network.hrp, '--wallet', file];
    rpcArgs = ['--rpc-url', node.url, '--rpc-user', node.user, '--rpc-password', node.password, '--lookahead', '30', '--gap', '6'];
    const g = await run('jm-wallet', [...base, '--kdf-log-n', '11', 'generate', '--words', '12', '--json'], { env });
    expect(g.code, g.stderr).toBe(0);
    const md0b = JSON.parse((await run('jm-wallet', [...base, 'newaddress', '--mixdepth', '0', '--json'], { env })).stdout) as { address: string };
    const md0c = JSON.parse((await run('jm-wallet', [...base, 'newaddress', '--mixdepth', '0', '--json'], { env })).stdout) as { address: string };
    const md1 = JSON.parse((await run('jm-wallet', [...base, 'newaddress', '--mixdepth', '1', '--json'], { env })).stdout) as { address: string };
    const first = (JSON.parse(g.stdout) as { firstAddress: string }).firstAddress;
    for (const a of [first, md0b.address, md0c.address, md1.address]) await node.mine(1, a);
    await node.mine(100, dest());
  }, 180_000);
  afterEach(() => stopCliProcesses());
  afterAll(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('display and list-bonds never write the wallet file', async () => {
    const before = fileText();
    expect((await json<Display>(['display'])).mixdepths[0]!.utxos).toHaveLength(3);
    expect((await cli(['list-bonds'])).code).toBe(0);
    expect(fileText()).toBe(before);
    expect(kdfOf(before)).toMatchObject({ N: 2 ** 11 });
  }, 120_000);

  it('--dry-run shows the signed transaction and its fee and sends nothing; without --yes off a terminal it refuses', async () => {
    const before = fileText();
    const d = await json<Sent>(['send', '--mixdepth', '0', '--amount', '10000000', '--destination', dest(), '--fee-rate', '3', '--dry-run']);
    expect(d.broadcast).toBe(false);
    expect(d.feeSat).toBeGreaterThan(0);
    expect(d.feeSat).toBeLessThan(3 * 250);
    expect(await mempool()).toEqual([]);
    const noYes = await cli(['send', '--mixdepth', '0', '--amount', '10000000', '--destination', dest()]);
    expect([noYes.code, noYes.stderr]).toEqual([2, expect.stringMatching(/not on a terminal.*pass --yes/)]);
    const tooDear = await cli(['send', '--mixdepth', '0', '--amount', '10000000', '--destination', dest(), '--fee-rate', '351', '--yes']);
    expect([tooDear.code, tooDear.stderr]).toEqual([2, expect.stringMatching(/--fee-rate 351 is above --max-fee-rate 350/)]);
    expect(fileText()).toBe(before);
  }, 120_000);

  it('sends an amount with change to the same mixdepth; the file keeps its scrypt settings and salt', async () => {
    const kdf = kdfOf(fileText());
    const to = dest();
    const s = await json<Sent>(['send', '--mixdepth', '0', '--amount', '10000000', '--destination', to, '--fee-rate', '3', '--yes']);
    expect(s.broadcast).toBe(true);
    expect(await mempool()).toEqual([s.txid]);
    await node.mine(1, dest());
    const tx = await node.rpc.call('getrawtransaction', [s.txid, true], rawTx);
    const pays = (addr: string) => tx.vout.findIndex((o) => o.scriptPubKey.hex === spk(addr));
    expect(tx.vout[pays(to)]?.value).toBe(0.1);
    expect(tx.vout[pays(s.changeAddress!)]?.value).toBeCloseTo(s.changeSat / 1e8, 8);
    expect(kdfOf(fileText())).toEqual(kdf); // same N and salt: re-encrypted with the key derived at load
    const d = await json<Display>(['display']);
    expect(d.mixdepths[0]!.internal.nextIndex).toBe(1);
    expect(d.mixdepths[0]!.utxos.map((u) => u.outpoint)).toContain(`${s.txid}:${pays(s.changeAddress!)}`);
  }, 120_000);

  it('coin control spends exactly the given coin; a sweep empties the mixdepth without change', async () => {
    const d = await json<Display>(['display']);
    const coin = d.mixdepths[0]!.utxos.find((u) => u.valueSat > 20_000_000)!;
    const s = await json<Sent>(['send', '--mixdepth', '0', '--amount', '5000000', '--utxo', coin.outpoint, '--destination', dest(), '--fee-rate', '2', '--yes']);
    expect(s.inputs).toEqual([coin.outpoint]);
    const missing = await cli(['send', '--mixdepth', '1', '--amount', '5000000', '--utxo', coin.outpoint, '--destination', dest(), '--yes']);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringMatching(/is not an unspent coin of mixdepth 1/)]);
    const total = d.mixdepths[1]!.balanceSat;
    const sw = await json<Sent>(['send', '--mixdepth', '1', '--sweep', '--destination', dest(), '--fee-rate', '2', '--yes']);
    expect(sw.changeAddress).toBeNull();
    expect(sw.amountSat + sw.feeSat).toBe(total);
    await node.mine(1, dest());
    const after = await json<Display>(['display']);
    expect(after.mixdepths[1]!.balanceSat).toBe(0);
    const tx = await node.rpc.call('getrawtransaction', [sw.txid, true], rawTx);
    expect(tx.vout).toHaveLength(1);
  }, 180_000);

  let bond = { locktime: 0, outpoint: '', amountSat: 0 };

  it("without --fee-rate the fee rate is the node's estimate (on a fresh regtest chain the fallback, 20 sat/vB); here it locks a coin in a fidelity bond", async () => {
    // What the node says decides the expected rate: no estimate (so on a fresh regtest chain) → the documented fallback.
    const est = await node.rpc.call('estimatesmartfee', [3], z.object({ feerate: z.number().optional() }).passthrough());
    const pool = await node.rpc.call('getmempoolinfo', [], z.object({ mempoolminfee: z.number() }).passthrough());
    const expected = Math.max(est.feerate === undefined ? 20 : btcPerKvbToSatPerVb(est.feerate), 1, btcPerKvbToSatPerVb(pool.mempoolminfee));
    expect(est.feerate).toBeUndefined(); // the regtest case this test runs in
    const b = JSON.parse((await cli(['bond-address', '2030-01', '--json'])).stdout) as { address: string; locktime: number };
    const d = await json<Display>(['display']);
    const coin = [...d.mixdepths[0]!.utxos].sort((x, y) => y.valueSat - x.valueSat)[0]!;
    // One coin swept to the bond address: one output, no change (as bond-address advises).
    const r = await cli(['send', '--mixdepth', '0', '--sweep', '--utxo', coin.outpoint, '--destination', b.address, '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Sent;
    expect(r.stderr).toContain(`fee ${formatBtc(s.feeSat)} at ${expected} sat/vB`);
    expect(s.amountSat + s.feeSat).toBe(coin.valueSat);
    const tx = await node.rpc.call('getrawtransaction', [s.txid, true], rawTx);
    expect(tx.vout).toHaveLength(1);
    // That rate on the signed size (the size estimate may count a signature byte more).
    expect(s.feeSat / tx.vsize).toBeGreaterThanOrEqual(expected);
    expect(s.feeSat / tx.vsize).toBeLessThan(expected * 1.02);
    await node.mine(1, dest());
    bond = { locktime: b.locktime, outpoint: `${s.txid}:0`, amountSat: s.amountSat };
  }, 120_000);

  it('list-bonds prints the bond: amount in BTC with 8 decimals, value as bond-calc prints it', async () => {
    expect(bond.outpoint).not.toBe('');
    const j = await json<Bonds>(['list-bonds']);
    expect(j.bonds).toHaveLength(1);
    const b = j.bonds[0]!;
    expect(b).toMatchObject({ outpoint: bond.outpoint, amountSat: bond.amountSat, locktime: bond.locktime, confirmations: 1, expired: false });
    const btc = formatBtc(bond.amountSat);
    expect(btc).toMatch(/^\d+\.\d{8} BTC$/);
    const value = formatBondValue(b.value);
    expect(value).toMatch(/^\d\.\d{3} × 10[⁰¹²³⁴⁵⁶⁷⁸⁹]+$/);
    const t = await cli(['list-bonds']);
    expect(t.code, t.stderr).toBe(0);
    const lines = t.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const head = `${bond.outpoint}  ${btc}  until ${b.lockedUntil}  conf 1  value ${value}  expires in `;
    expect(lines[0]!.startsWith(head), lines[0]).toBe(true);
    expect(lines[0]!.slice(head.length)).toMatch(/^\d+\.\d days$/);
    // bond-calc, given the same amount, times and chain MTP, prints the same value and amount.
    const calc = await run('jm-wallet', ['bond-calc', '--amount', String(bond.amountSat), '--locktime', String(bond.locktime), '--confirm-time', String(b.confirmTime), '--now', String(j.medianTimePast)], { timeoutMs: 60_000 });
    expect(calc.stdout).toContain(`bond value ${value} for ${btc} locked`);
  }, 120_000);
});
