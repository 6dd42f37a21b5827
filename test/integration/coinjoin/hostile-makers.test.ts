/**
 * `jm-taker coinjoin` (the CLI, as a user runs it) against hostile makers on a regtest chain
 * through our DN: an absurd fee is never filled, a high-S `!sig` is refused and its maker
 * replaced by makers that joined meanwhile, a signature over a wrong amount is refused, and a
 * bond shown by two nicks counts once — the same nick wins in the taker and on the watcher.
 * After every refusal nothing of the taker's was spent and the mempool is empty.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { HostPort } from '../../../src/client/dialer.js';
import type { DirectoryServer } from '../../../src/directory/index.js';
import { PoolChannel } from '../../../src/maker/pool-channel.js';
import type { MakerBond } from '../../../src/maker/ports.js';
import { loadMakerBond } from '../../../src/maker/wallet-adapter.js';
import { OrderbookWatcher } from '../../../src/orderbook/watcher.js';
import { coreBondChain } from '../../../src/wallet/backend/bond-verifier.js';
import { WalletSync } from '../../../src/wallet/backend/sync.js';
import { p2wpkhPrivateKey, spendableP2wpkhCoins } from '../../../src/wallet/coins.js';
import { toBitcoinjs } from '../../../src/wallet/network.js';
import { Wallet } from '../../../src/wallet/wallet.js';
import { CliProcess, stopCliProcesses } from '../../helpers/cli-process.js';
import { DN_NETWORK, lockBond, newPool, newWallet, startDn, startMaker, type TestMaker } from '../../helpers/coinjoin-net.js';
import { HostileMaker, type SigTrick } from '../../helpers/hostile-maker.js';
import { regtestAvailable, startRegtestNode, type RegtestNode } from '../../helpers/regtest-node.js';

const AMOUNT = 30_000_000;
const PASSWORD = 'hostile test password';
const available = regtestAvailable();
type Funded = { wallet: Wallet; sync: WalletSync };
const rawTx = z.object({ vin: z.array(z.object({ txid: z.string(), vout: z.number() })) });

describe.skipIf(!available)('jm-taker against hostile makers (CLI, regtest)', () => {
  let node: RegtestNode;
  let dn: DirectoryServer;
  let dns: HostPort[];
  let dir = '';
  let burn = '';
  let takerFile = '';
  let taker: Funded;
  const w: Record<string, Funded> = {};
  const running: Array<{ stop(): Promise<unknown> }> = [];

  const logs = (p: CliProcess): Array<Record<string, unknown>> => p.stderrLines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const outpoints = (f: Funded): string[] => spendableP2wpkhCoins(f.wallet, 0).map((c) => `${c.txid}:${c.vout}`);
  const mempool = () => node.rpc.call('getrawmempool', [], z.array(z.string()));
  async function unspent(ops: string[]): Promise<boolean> {
    for (const op of ops) if (!(await node.rpc.getTxOut(op.slice(0, 64), Number(op.slice(65)), true))) return false;
    return true;
  }

  function runTaker(extra: string[] = []): CliProcess {
    const dest = Wallet.create({ network: node.network, words: 12 }).getAddress(0, 0, 0).address;
    return CliProcess.start('jm-taker', [
      'coinjoin', '--wallet', takerFile, '--network', 'regtest', '--hrp', node.network.hrp, '--rpc-url', node.url, '--rpc-user', node.user,
      '--rpc-password', node.password, '--directory', `${dns[0]!.host}:${dns[0]!.port}`, '--lookahead', '40', '--gap', '6',
      '--amount', String(AMOUNT), '--mixdepth', '0', '--makers', '2', '--destination', dest, '--fee-rate', '2', '--yes', '--wait', '10', ...extra,
    ], { env: { JM_WALLET_PASSWORD: PASSWORD } });
  }

  async function honest(name: string, o: { bond?: MakerBond | null } = {}): Promise<TestMaker> {
    const m = await startMaker(node, dns, w[name]!, { algorithm: 'basic', ...o });
    running.push(m.maker);
    return m;
  }

  async function hostile(name: string, offer: string, sig: SigTrick = 'honest', beforeSig?: () => Promise<void>): Promise<HostileMaker> {
    const f = w[name]!;
    await f.sync.sync();
    const pool = newPool(dns);
    const h = new HostileMaker({
      channel: new PoolChannel(pool), offer, coins: spendableP2wpkhCoins(f.wallet, 0), privateKey: (u) => p2wpkhPrivateKey(f.wallet, u),
      cjAddress: f.wallet.getAddress(1, 1, 0).address, changeAddress: f.wallet.getAddress(0, 1, 0).address, network: toBitcoinjs(node.network), sig,
      ...(beforeSig ? { beforeSig } : {}),
    });
    await h.start();
    await pool.whenConnected(10_000);
    running.push(h);
    return h;
  }

  async function stopAll(): Promise<void> {
    for (const r of running.splice(0)) await r.stop();
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jm-hostile-'));
    node = await startRegtestNode();
    const d = await startDn();
    dn = d.server;
    dns = [d.addr];
    burn = (await newWallet(node)).wallet.getAddress(0, 0, 0).address;
    const tw = Wallet.create({ network: node.network, words: 12 });
    await tw.setPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
    takerFile = join(dir, 'taker.jmw');
    await tw.save(takerFile);
    taker = { wallet: tw, sync: new WalletSync(tw, node.rpc, { gap: 6, lookahead: 40 }) };
    await taker.sync.ensureWatchWallet();
    for (let i = 0; i < 3; i++) await node.mine(1, tw.getAddress(0, 0, i).address);
    for (const name of ['A', 'C', 'D', 'E', 'highS', 'wrongAmount', 'greedy', 'bondOwner', 'bondCopy']) {
      w[name] = await newWallet(node);
      await node.mine(1, w[name]!.wallet.getAddress(0, 0, 0).address);
    }
    await node.mine(1, w['bondOwner']!.wallet.getAddress(2, 0, 0).address);
    await node.mine(101, burn);
    await lockBond(node, w['bondOwner']!, burn);
    await taker.sync.sync();
  }, 240_000);

  // every maker and taker a test started is stopped even when the test fails, so none leaks into the next
  afterEach(async () => {
    await stopCliProcesses();
    await stopAll();
  });

  afterAll(async () => {
    await dn?.stop();
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an offer over the default fee limits is never filled; nothing is committed or spent', async () => {
    const greedy = await hostile('greedy', 'sw0absoffer 0 100000 9000000000 0 5000000');
    await honest('A');
    const t = runTaker();
    expect(await t.exited).toBe(1);
    expect(t.stderr).toMatch(/need 2 makers, only 1 offer \(1 more over the fee limits\)/);
    expect(t.stderr).not.toMatch(/coinjoin of/); // no plan was even shown
    expect(greedy.fills).toEqual([]);
    expect(existsSync(`${takerFile}.commitments.json`)).toBe(false);
    expect(await unspent(outpoints(taker))).toBe(true);
    expect(await mempool()).toEqual([]);
  }, 120_000);

  it('a high-S !sig is refused and its maker replaced by makers that joined meanwhile; the coinjoin confirms', async () => {
    const a = await honest('A');
    const aCoins = outpoints(w['A']!);
    const aSigned = new Promise((resolve) => a.maker.once('signed', resolve));
    // the cheat waits until the honest maker has signed and two more makers are in the book
    const h = await hostile('highS', 'sw0reloffer 0 100000 9000000000 1000 0.0002', 'high-s', async () => {
      await aSigned;
      await honest('C');
      await honest('D');
    });
    const hCoins = outpoints(w['highS']!);
    const t = runTaker(['--log-level', 'info']);
    const [txid] = await t.line(/^[0-9a-f]{64}$/, 150_000);
    expect(await t.exited).toBe(0);
    expect(t.stdoutLines.join('\n')).toMatch(/makers=2 .* attempts=2$/);
    expect(t.stderr).toMatch(/coinjoin of 0\.30000000 BTC with 2 maker\(s\)/); // the plan, shown before anything was spent
    const failed = logs(t).find((l) => l['msg'] === 'coinjoin round failed');
    expect(failed).toMatchObject({ failed: [h.nick], reason: expect.stringMatching(/high-S signature/) });
    expect(logs(t).find((l) => l['msg'] === 'retrying without the makers that failed')).toMatchObject({ replacing: [h.nick], sittingOut: [a.maker.nick] });
    const tx = await node.rpc.call('getrawtransaction', [txid, true], rawTx);
    const inputs = tx.vin.map((i) => `${i.txid}:${i.vout}`);
    expect(inputs.filter((i) => hCoins.includes(i) || aCoins.includes(i))).toEqual([]);
    await node.mine(1, burn);
    expect(await mempool()).toEqual([]);
  }, 240_000);

  it('a signature over a wrong amount is refused; with no replacement the taker spends nothing', async () => {
    await taker.sync.sync();
    const before = outpoints(taker);
    const h = await hostile('wrongAmount', 'sw0reloffer 0 100000 9000000000 1000 0.0002', 'wrong-amount');
    await honest('E');
    const t = runTaker();
    expect(await t.exited).toBe(1);
    expect(t.stderr).toContain(`${h.nick}: signature matches none of its unsigned inputs`);
    expect(h.signedFor).toHaveLength(1);
    expect(await unspent(before)).toBe(true);
    expect(await mempool()).toEqual([]);
  }, 120_000);

  it('one bond shown by two nicks counts once: never both in a round, and the watcher names the same owner', async () => {
    await w['bondOwner']!.sync.sync();
    const bond = await loadMakerBond(w['bondOwner']!.wallet, node.rpc);
    expect(bond).not.toBeNull();
    const d1 = await honest('bondOwner', { bond });
    const d2 = await honest('bondCopy', { bond });
    const [winner, loser] = [d1.maker.nick, d2.maker.nick].sort() as [string, string];
    const t = runTaker();
    expect(await t.exited).toBe(1);
    expect(t.stderr).toMatch(/need 2 makers, only 1 offer/);
    expect(logs(t).find((l) => l['msg']?.toString().startsWith('fidelity bond already counted'))).toMatchObject({ maker: loser, countedFor: winner });
    expect(await mempool()).toEqual([]);

    const pool = newPool(dns);
    const watcher = new OrderbookWatcher({ pool, network: DN_NETWORK, chain: coreBondChain(node.rpc) });
    watcher.start();
    pool.start();
    try {
      await new Promise<void>((resolve) => {
        const check = () => {
          if (watcher.book.list().filter((m) => m.bond).length === 2) {
            off();
            resolve();
          }
        };
        const off = watcher.on('changed', check);
        check();
      });
      for (const m of watcher.book.list()) if (m.bond) await watcher.bonds.verify(m.nick, m.bond.proofBase64);
      const ob = watcher.orderbook();
      expect(ob.bonds.find((b) => b.nick === loser)?.duplicateOf).toBe(winner);
      expect(ob.bonds.find((b) => b.nick === winner)?.duplicateOf).toBeNull();
    } finally {
      await watcher.stop();
      await pool.stop();
    }
  }, 120_000);
});
