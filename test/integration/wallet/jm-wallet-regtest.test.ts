// jm-wallet display / list-bonds / spend-bond against a real regtest node (docs/wallet.md).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli as run, stopCliProcesses, type CliRun } from '../../helpers/cli-process.js';
import { regtestAvailable, startRegtestNode, type RegtestNode } from '../../helpers/regtest-node.js';

const runCli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> => run('jm-wallet', args, { env, timeoutMs: 120_000 });

const available = regtestAvailable();

describe.skipIf(!available)('jm-wallet against regtest', () => {
  let node: RegtestNode;
  const dir = mkdtempSync(join(tmpdir(), 'jm-wallet-rt-'));
  const env = { JM_WALLET_PASSWORD: 'pw' };
  let base: string[] = [];

  beforeAll(async () => {
    node = await startRegtestNode();
    base = ['--network', 'regtest', '--hrp', node.network.hrp, '--wallet', join(dir, 'w.jmw'), '--kdf-log-n', '10'];
  });
  afterEach(() => stopCliProcesses());
  afterAll(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('display shows mined coins in mixdepth 0; list-bonds is empty; spend-bond refuses non-bonds', async () => {
    const g = JSON.parse((await runCli([...base, 'generate', '--json'], env)).stdout) as { firstAddress: string };
    await node.mine(101, g.firstAddress);
    const rpcArgs = ['--rpc-url', node.url, '--rpc-user', node.user, '--rpc-password', node.password, '--lookahead', '30', '--gap', '6'];
    const d = await runCli([...base, ...rpcArgs, 'display', '--json'], env);
    expect(d.code, d.stderr).toBe(0);
    const disp = JSON.parse(d.stdout) as { tipHeight: number; totalSat: number; mixdepths: { balanceSat: number; external: { nextIndex: number }; utxos: { outpoint: string }[] }[] };
    expect(disp.tipHeight).toBe(101);
    expect(disp.mixdepths).toHaveLength(5);
    expect(disp.mixdepths[0]!.balanceSat).toBeGreaterThan(0);
    expect(disp.totalSat).toBe(disp.mixdepths[0]!.balanceSat);
    expect(disp.mixdepths[0]!.external.nextIndex).toBe(1);
    const text = await runCli([...base, ...rpcArgs, 'display'], env);
    expect(text.stdout).toMatch(/^mixdepth 0 {2}[\d,]+\.\d{8} BTC/m);
    const lb = JSON.parse((await runCli([...base, ...rpcArgs, 'list-bonds', '--json'], env)).stdout) as { bonds: unknown[]; medianTimePast: number };
    expect(lb.bonds).toEqual([]);
    expect(lb.medianTimePast).toBeGreaterThan(0);
    const sb = await runCli([...base, ...rpcArgs, 'spend-bond', '--outpoint', disp.mixdepths[0]!.utxos[0]!.outpoint, '--destination', g.firstAddress, '--yes'], env);
    expect([sb.code, sb.stderr]).toEqual([2, `jm-wallet: ${disp.mixdepths[0]!.utxos[0]!.outpoint} is not an unspent fidelity bond of this wallet\n`]);
    const auth = await runCli([...base, '--rpc-url', node.url, '--rpc-user', node.user, '--rpc-password', 'wrong', 'display'], env);
    expect(auth.code).toBe(1);
    expect(auth.stderr).toMatch(/refused our credentials \(HTTP 401\)/);
  }, 120_000); // six CLI runs, each a process start and a wallet sync
});
