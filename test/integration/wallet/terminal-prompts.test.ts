/**
 * The prompts that only run on a terminal, driven on a real pseudo-terminal: the hidden
 * password entry of `jm-wallet generate` (never echoed, the file saved 0600 and opened by
 * exactly what was typed), and the [y/N] confirmation of `jm-wallet send` on a regtest chain
 * (n: nothing broadcast, exit 1, file untouched; y: broadcast).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Wallet } from '../../../src/wallet/wallet.js';
import { runCli, stopCliProcesses } from '../../helpers/cli-process.js';
import { PtyProcess, ptyAvailable, stopPtyProcesses } from '../../helpers/pty.js';
import { regtestAvailable, startRegtestNode, type RegtestNode } from '../../helpers/regtest-node.js';

const pty = ptyAvailable();
if (!pty && process.env.CI === 'true') throw new Error('util-linux script is required in CI (apt-get install bsdutils)');

const SECRET = 'tr0ub4dor&3 typed';
const NO_ENV_PASSWORD = { JM_WALLET_PASSWORD: undefined };
const dir = mkdtempSync(join(tmpdir(), 'jm-wallet-tty-'));

afterEach(async () => {
  await stopPtyProcesses();
  await stopCliProcesses();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Types the new wallet's password twice at the hidden prompts. */
async function typeNewPassword(t: PtyProcess, first: string, second: string): Promise<void> {
  await t.waitFor('Wallet password: ');
  t.type(`${first}\r`);
  await t.waitFor('Repeat password: ');
  t.type(`${second}\r`);
}

describe.skipIf(!pty)('jm-wallet generate on a terminal', () => {
  it('asks for the password twice without echoing it, saves the file 0600, and the typed password opens it', async () => {
    const file = join(dir, 'generated.jmw');
    const common = ['--network', 'regtest', '--wallet', file, '--kdf-log-n', '10'];
    const t = PtyProcess.start('jm-wallet', [...common, 'generate', '--words', '12'], NO_ENV_PASSWORD);
    await typeNewPassword(t, SECRET, SECRET);
    expect(await t.exitCode()).toBe(0);
    expect(t.transcript).toContain('Write down these 12 words');
    expect(t.transcript).not.toContain(SECRET);
    expect(t.transcript).not.toContain('tr0ub'); // not even a part of it
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const ok = await runCli('jm-wallet', [...common, 'newaddress', '--mixdepth', '0'], { env: { JM_WALLET_PASSWORD: SECRET } });
    expect(ok.code, ok.stderr).toBe(0);
    const wrong = await runCli('jm-wallet', [...common, 'newaddress', '--mixdepth', '0'], { env: { JM_WALLET_PASSWORD: `${SECRET}x` } });
    expect(wrong.code).toBe(1);
  }, 120_000);

  it('two different passwords: exit 2, no file', async () => {
    const file = join(dir, 'mismatch.jmw');
    const t = PtyProcess.start('jm-wallet', ['--network', 'regtest', '--wallet', file, '--kdf-log-n', '10', 'generate'], NO_ENV_PASSWORD);
    await typeNewPassword(t, SECRET, `${SECRET}!`);
    expect(await t.exitCode()).toBe(2);
    expect(t.transcript).toContain('jm-wallet: passwords do not match');
    expect(t.transcript).not.toContain(SECRET);
    expect(() => statSync(file)).toThrow(/ENOENT/);
  }, 120_000);
});

describe.skipIf(!pty || !regtestAvailable())('jm-wallet send on a terminal (regtest)', () => {
  let node: RegtestNode;
  const file = join(dir, 'send.jmw');
  let args: string[] = [];
  const mempool = () => node.rpc.call('getrawmempool', [], z.array(z.string()));

  beforeAll(async () => {
    node = await startRegtestNode();
    args = ['--network', 'regtest', '--hrp', node.network.hrp, '--wallet', file, '--kdf-log-n', '10',
      '--rpc-url', node.url, '--rpc-user', node.user, '--rpc-password', node.password, '--lookahead', '30', '--gap', '6'];
    const g = await runCli('jm-wallet', [...args, 'generate', '--words', '12', '--json'], { env: { JM_WALLET_PASSWORD: SECRET } });
    expect(g.code, g.stderr).toBe(0);
    await node.mine(1, (JSON.parse(g.stdout) as { firstAddress: string }).firstAddress);
    await node.mine(100, Wallet.create({ network: node.network, words: 12 }).getAddress(0, 0, 0).address);
  }, 180_000);
  afterAll(async () => {
    await node?.stop();
  });

  /** `send` of 0.1 coin from mixdepth 0 on a terminal, through the password prompt to the confirmation. */
  async function sendUntilConfirmation(): Promise<PtyProcess> {
    const to = Wallet.create({ network: node.network, words: 12 }).getAddress(0, 0, 0).address;
    const t = PtyProcess.start('jm-wallet', [...args, 'send', '--mixdepth', '0', '--amount', '10000000', '--destination', to, '--fee-rate', '2'], NO_ENV_PASSWORD);
    await t.waitFor('Wallet password: ');
    t.type(`${SECRET}\r`);
    const summary = await t.waitFor('Broadcast this transaction? [y/N] ', 120_000);
    expect(summary).toContain(`send 0.10000000 BTC from mixdepth 0 to ${to}`);
    expect(summary).toMatch(/fee 0\.\d{8} BTC at 2 sat\/vB/);
    expect(t.transcript).not.toContain(SECRET);
    return t;
  }

  it('answering n broadcasts nothing, leaves the file as it was and exits 1', async () => {
    const before = readFileSync(file, 'utf8');
    const t = await sendUntilConfirmation();
    t.type('n\r');
    expect(await t.exitCode()).toBe(1);
    expect(t.transcript).toContain('jm-wallet: cancelled: nothing was broadcast');
    expect(await mempool()).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe(before);
  }, 180_000);

  it('answering y broadcasts the transaction', async () => {
    const t = await sendUntilConfirmation();
    t.type('y\r');
    expect(await t.exitCode()).toBe(0);
    const txid = /broadcast ([0-9a-f]{64}) \(0\.10000000 BTC, fee /.exec(t.transcript)?.[1];
    expect(txid, t.transcript).toBeDefined();
    expect(await mempool()).toEqual([txid]);
  }, 180_000);
});
