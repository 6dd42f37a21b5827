// The jm-wallet command-line contract (docs/wallet.md), run as child processes like scripts do.
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli as run, stopCliProcesses, type CliRun } from '../../helpers/cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'jm-wallet-cli-'));
afterEach(() => stopCliProcesses());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runCli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> => run('jm-wallet', args, { env, timeoutMs: 120_000 });
const parse = (r: CliRun): Record<string, unknown> => {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};

const ABANDON = 'abandon '.repeat(11) + 'about';
const W2 = 'actress inmate filter october eagle floor conduct issue rail nominee mixture kid tunnel thought list tower lobster route ghost cigar bundle oak fiscal pulse';
const mfile = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };

describe('jm-wallet contract', () => {
  it('bond-calc --json gives the exact B1 value; text form is readable', async () => {
    const [j, t, bad] = await Promise.all([
      runCli(['bond-calc', '--amount', '50000000', '--confirm-time', '1749945600', '--locktime', '1769904000', '--now', '1756684800', '--json']),
      runCli(['bond-calc', '--amount', '300000000', '--confirm-time', '0', '--locktime', '315569520000', '--now', '0', '--interest', '0.015', '--exponent', '1.3']),
      runCli(['bond-calc', '--amount', '-5', '--locktime', '1', '--now', '0', '--json']),
    ]);
    expect(parse(j)).toMatchObject({ value: 24076851.28852806, valueInt: 24076851 });
    expect(t.stdout).toContain('bond value 1.048 × 10¹¹ for 3.00000000 BTC locked');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['jm-wallet: --amount: expected a whole number']);
  }, 120_000); // child processes: slow on a loaded machine

  it('derive --path / --timenumber with a mnemonic file (optional extension line)', async () => {
    const plain = mfile('abandon.txt', `${ABANDON}\n`);
    const ext = mfile('w2.txt', `${W2}\ntest\n`);
    const [a, b, c, d, e] = await Promise.all([
      runCli(['derive', '--network', 'mainnet', '--path', "m/84'/0'/4'/1/0", '--mnemonic-file', plain, '--json']),
      runCli(['derive', '--network', 'mainnet', '--path', "m/84'/0'/0'/0/0", '--mnemonic-file', ext, '--json']),
      runCli(['derive', '--network', 'mainnet', '--timenumber', '73', '--mnemonic-file', plain, '--json']),
      runCli(['derive', '--network', 'regtest', '--path', "m/84'/1'/0'/0/0", '--mnemonic-file', plain]),
      runCli(['derive', '--network', 'mainnet', '--path', "m/84'/0'/0'/0/0", '--mnemonic-file', mfile('bad.txt', ABANDON.replace('about', 'abandon'))]),
    ]);
    expect(parse(a)).toMatchObject({ address: 'bc1q4weukw88mch53uvvh8k0vghjue4acar406gg6t' });
    expect(parse(b)).toMatchObject({ address: 'bc1qw90s2z6etu728elvs0hxh6tda35p465phy9qz4' });
    expect(parse(c)).toMatchObject({ address: 'bc1qam86pvzjv4znx4x4nvwleel4p7myqy73tndmj0yvv97dar3f6j6s3akzy8', locktime: 1769904000, timenumber: 73 });
    expect(d.stdout).toMatch(/^bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk /);
    expect([e.code, e.stderr]).toEqual([2, 'jm-wallet: invalid mnemonic: BIP39 checksum mismatch (a word is wrong or out of order)\n']);
  }, 120_000); // child processes: slow on a loaded machine

  it('--help works on every command', async () => {
    const cmds = ['generate', 'recover', 'display', 'newaddress', 'bond-address', 'list-bonds', 'spend-bond', 'send', 'bond-calc', 'derive'];
    const runs = await Promise.all([runCli(['--help']), ...cmds.map((c) => runCli([c, '--help']))]);
    expect(runs[0]!.stdout).toContain('Usage: jm-wallet [options] [command]');
    cmds.forEach((c, i) => {
      expect(runs[i + 1]!.code).toBe(0);
      expect(runs[i + 1]!.stdout).toContain(`Usage: jm-wallet ${c}`);
    });
  }, 120_000); // child processes: slow on a loaded machine

  it('generate, newaddress, bond-address, wrong password, recover', async () => {
    const wf = join(dir, 'w.jmw');
    const env = { JM_WALLET_PASSWORD: 'correct horse' };
    const common = ['--network', 'regtest', '--wallet', wf, '--kdf-log-n', '10'];
    const g = parse(await runCli([...common, 'generate', '--words', '12', '--json'], env));
    expect((g['mnemonic'] as string).split(' ')).toHaveLength(12);
    expect(statSync(wf).mode & 0o777).toBe(0o600);
    expect((await runCli([...common, 'generate', '--json'], env)).stderr).toMatch(/already exists/);
    const n1 = parse(await runCli([...common, 'newaddress', '--mixdepth', '2', '--json'], env));
    const n2 = parse(await runCli([...common, 'newaddress', '--mixdepth', '2', '--json'], env));
    expect([n1['index'], n2['index'], n1['path']]).toEqual([0, 1, "m/84'/1'/2'/0/0"]);
    const bad = await runCli([...common, 'newaddress', '--mixdepth', '5'], env);
    expect([bad.code, bad.stderr]).toEqual([2, 'jm-wallet: --mixdepth: must be at most 4 (this wallet has 5 mixdepths)\n']);
    const b = parse(await runCli([...common, 'bond-address', '2030-01', '--json'], env));
    expect(b).toMatchObject({ locktime: 1893456000, timenumber: 120, path: "m/84'/1'/0'/2/120:1893456000" });
    expect((b['address'] as string).startsWith('bcrt1q')).toBe(true);
    const wrong = await runCli([...common, 'newaddress', '--mixdepth', '0'], { JM_WALLET_PASSWORD: 'nope' });
    expect([wrong.code, wrong.stderr]).toEqual([1, 'jm-wallet: wrong password (or the wallet file was modified or corrupted)\n']);
    const pwFile = mfile('pw', 'correct horse\n');
    const rf = join(dir, 'r.jmw');
    const r = parse(await runCli(['--network', 'regtest', '--wallet', rf, '--kdf-log-n', '10', '--password-file', pwFile, 'recover', '--mnemonic-file', mfile('m', `${g['mnemonic'] as string}\n`), '--json']));
    expect(r['firstAddress']).toBe(g['firstAddress']);
    expect(r['mnemonic']).toBeUndefined();
  }, 120_000); // child processes: slow on a loaded machine

  it('a new wallet needs --network and a non-empty password unless --allow-empty-password; others cannot read the file', async () => {
    const wf = join(dir, 'e.jmw');
    const [noNet, empty] = await Promise.all([
      runCli(['--wallet', wf, '--kdf-log-n', '10', 'generate'], { JM_WALLET_PASSWORD: 'x' }),
      runCli(['--network', 'regtest', '--wallet', wf, '--kdf-log-n', '10', 'generate'], { JM_WALLET_PASSWORD: '' }),
    ]);
    expect([noNet.code, noNet.stderr]).toEqual([2, expect.stringMatching(/--network is required/)]);
    expect([empty.code, empty.stderr]).toEqual([2, expect.stringMatching(/refusing an empty wallet password.*--allow-empty-password/)]);
    expect(existsSync(wf)).toBe(false);
    const ok = await runCli(['--network', 'regtest', '--wallet', wf, '--kdf-log-n', '10', 'generate', '--allow-empty-password', '--json'], { JM_WALLET_PASSWORD: '' });
    expect(ok.code, ok.stderr).toBe(0);
    chmodSync(wf, 0o644);
    const open = await runCli(['--network', 'regtest', '--wallet', wf, 'newaddress', '--mixdepth', '0'], { JM_WALLET_PASSWORD: '' });
    expect([open.code, open.stderr]).toEqual([1, expect.stringMatching(/is readable by others \(mode 644\); run: chmod 600/)]);
  }, 120_000); // child processes: slow on a loaded machine
});
