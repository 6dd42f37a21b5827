/**
 * The jm-maker / jm-taker command-line contract against our DN and a regtest node: jm-maker
 * start (password from JM_WALLET_PASSWORD) announces and serves its loopback location; a
 * jm-taker coinjoin with it and one in-process maker prints the txid; the maker prints the
 * confirmed coinjoin; SIGTERM → exit 0.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostPort } from '../../../src/client/dialer.js';
import type { DirectoryServer } from '../../../src/directory/index.js';
import { Wallet } from '../../../src/wallet/wallet.js';
import { newPool, newWallet, startDn, startMaker, type TestMaker } from '../../helpers/coinjoin-net.js';
import { regtestAvailable, startRegtestNode, type RegtestNode } from '../../helpers/regtest-node.js';
import { CliProcess, stopCliProcesses } from '../../helpers/cli-process.js';

const AMOUNT = 30_000_000;
const PASSWORD = 'cli test password';
const KDF = { N: 1024, r: 8, p: 1 };
const available = regtestAvailable();

const run = (command: 'jm-maker' | 'jm-taker', args: string[]): CliProcess => CliProcess.start(command, args, { env: { JM_WALLET_PASSWORD: PASSWORD } });

describe.skipIf(!available)('jm-maker and jm-taker CLIs', () => {
  let node: RegtestNode;
  let dn: DirectoryServer;
  let dns: HostPort[];
  let other: TestMaker;
  let maker: CliProcess | undefined;
  let dir = '';
  let burn = '';
  let rpc: string[] = [];
  let makerFile = '';
  let takerFile = '';
  let makerKdf: unknown;
  let takerKdf: unknown;
  const kdfOf = (path: string): unknown => (JSON.parse(readFileSync(path, 'utf8')) as { kdf: unknown }).kdf;

  async function walletFile(name: string): Promise<{ path: string; address: string }> {
    const w = Wallet.create({ network: node.network, words: 12 });
    const path = join(dir, name);
    await w.setPassword(PASSWORD, KDF);
    await w.save(path);
    return { path, address: w.getAddress(0, 0, 0).address };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jm-cli-cj-'));
    node = await startRegtestNode();
    const d = await startDn();
    dn = d.server;
    dns = [d.addr];
    rpc = ['--lookahead', '40', '--gap', '6', '--network', 'regtest', '--hrp', node.network.hrp, '--rpc-url', node.url, '--rpc-user', node.user, '--rpc-password', node.password,
      '--directory', `${d.addr.host}:${d.addr.port}`];
    const wo = await newWallet(node);
    burn = (await newWallet(node)).wallet.getAddress(0, 0, 0).address;
    const [mw, tw] = [await walletFile('maker.jmw'), await walletFile('taker.jmw')];
    for (const a of [mw.address, tw.address, wo.wallet.getAddress(0, 0, 0).address]) await node.mine(1, a);
    await node.mine(101, burn);
    other = await startMaker(node, dns, wo, { algorithm: 'basic' });
    [makerFile, takerFile] = [mw.path, tw.path];
    [makerKdf, takerKdf] = [kdfOf(makerFile), kdfOf(takerFile)];
  }, 120_000);

  afterAll(async () => {
    await stopCliProcesses(10_000);
    await other?.maker.stop();
    await dn?.stop();
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('jm-maker start announces on the DN and serves its loopback location', async () => {
    const t0 = Date.now();
    maker = run('jm-maker', ['start', '--wallet', makerFile, ...rpc, '--minsize', '100000', '--txfee', '1000', '--cjfee-r', '0.0002', '--algorithm', 'basic', '--log-level', 'warn']);
    const [, nick] = await maker.line(/^maker (J5\w+) announced on 127\.0\.0\.1:\d+$/);
    const [, served] = await maker.line(/^maker J5\w+ started; serving (127\.0\.0\.1:\d+); offers: !sw0reloffer 0 \d+ \d+ 1000 0\.0002$/);
    console.log(`jm-maker ready in ${Date.now() - t0} ms as ${nick}, serving ${served}`);
    expect(dn.registry.byNick(nick!)?.location).toBe(served);
    // a watcher's !orderbook is answered by the CLI maker with its offer
    const pool = newPool(dns);
    pool.start();
    await pool.whenConnected(10_000);
    const reply = new Promise<string>((resolve) => pool.on('privmsg', (m) => m.from === nick && resolve(m.cmd)));
    pool.announce('!orderbook');
    expect(await reply).toBe('sw0reloffer');
    await pool.stop();
  }, 90_000);

  it('jm-taker coinjoin with the CLI maker and another prints the txid; the maker prints it confirmed', async () => {
    const t0 = Date.now();
    const dest = Wallet.create({ network: node.network, words: 12 }).getAddress(0, 0, 0).address;
    const taker = run('jm-taker', ['coinjoin', '--wallet', takerFile, ...rpc, '--amount', String(AMOUNT), '--mixdepth', '0',
      '--makers', '2', '--destination', dest, '--fee-rate', '2', '--yes']);
    const [txid] = await taker.line(/^[0-9a-f]{64}$/, 90_000);
    const [, makers] = await taker.line(/^amount=30000000 makers=(\d+) cjfees=\d+ minerfee=\d+ change=\d+ attempts=1$/);
    expect(await taker.exited).toBe(0);
    expect(makers).toBe('2');
    console.log(`jm-taker coinjoin ${txid} in ${Date.now() - t0} ms`);
    await node.mine(1, burn);
    const [, earned] = await maker!.line(new RegExp(`^coinjoin confirmed txid=${txid} amount=${AMOUNT} earned=(\\d+) \\(cjfee \\d+ - txfee \\d+\\) mixdepth=0->1 taker=J5\\w+$`), 30_000);
    expect(Number(earned)).toBeGreaterThan(0);
    console.log(`CLI maker earned ${earned} sats`);
  }, 150_000);

  it('jm-maker exits 0 on SIGTERM', async () => {
    const m = maker!;
    m.child.kill('SIGTERM');
    expect(await m.exited).toBe(0);
    expect(m.stderr).not.toMatch(/"level":(50|60)/); // no error or fatal log lines
  }, 30_000);

  it('both wallet files were saved with new addresses and kept their scrypt settings and salt (no scrypt per address)', async () => {
    for (const [path, kdf] of [[makerFile, makerKdf], [takerFile, takerKdf]] as const) {
      expect(kdfOf(path)).toEqual(kdf);
      const w = await Wallet.load(path, PASSWORD, node.network);
      expect(w.kdf).toEqual(KDF);
      expect(w.nextIndex(0, 1) + w.nextIndex(1, 1)).toBeGreaterThan(0); // change / coinjoin addresses were handed out and saved
    }
  });
});
