/**
 * One command-line style across jm-directory, jm-wallet, jm-orderbook, jm-maker and jm-taker, run
 * as child processes: --version everywhere, the same flags with the same meaning, required
 * options marked, global options in subcommand help, usage errors as one line and exit 2, and
 * offline checks that fail before any connection is made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryServer } from '../../../src/directory/index.js';
import { packageVersion } from '../../../src/directory/version.js';
import { Wallet } from '../../../src/wallet/wallet.js';
import { getNetwork } from '../../../src/wallet/network.js';
import { CliProcess, runCli, stopCliProcesses, type Command } from '../../helpers/cli-process.js';

const COMMANDS: Command[] = ['jm-directory', 'jm-wallet', 'jm-orderbook', 'jm-maker', 'jm-taker'];
const PASSWORD = 'contract test';

let dir = '';
let walletFile = '';
/** Stands in for Core and for directories: any connection to it is network work. */
let sink: net.Server;
let sinkConnections = 0;
let sinkAddr = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jm-cli-contract-'));
  const w = Wallet.create({ network: getNetwork('regtest'), words: 12 });
  await w.setPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
  walletFile = join(dir, 'w.jmw');
  await w.save(walletFile);
  sink = net.createServer((s) => {
    sinkConnections++;
    s.destroy();
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  sinkAddr = `127.0.0.1:${(sink.address() as net.AddressInfo).port}`;
});
afterEach(() => stopCliProcesses());
afterAll(async () => {
  await new Promise((r) => sink?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('every command', () => {
  it('prints its version with --version', async () => {
    const runs = await Promise.all(COMMANDS.map((c) => runCli(c, ['--version'])));
    for (const r of runs) expect([r.code, r.stdout, r.stderr]).toEqual([0, `${packageVersion()}\n`, '']);
  });

  it('gives one line naming the flag and exit 2 for a missing --network, a renamed or an unknown option', async () => {
    const [dn, wallet, ob, maker, taker, renamed, unknown] = await Promise.all([
      runCli('jm-directory', ['--transport', 'tcp']),
      runCli('jm-wallet', ['display']),
      runCli('jm-orderbook', ['--directory', sinkAddr]),
      runCli('jm-maker', ['start']),
      runCli('jm-taker', ['coinjoin', '--amount', '100000', '--mixdepth', '0', '--destination', 'x', '--wallet', walletFile]),
      runCli('jm-wallet', ['--wallet-file', walletFile, 'display']),
      runCli('jm-maker', ['start', '--bogus']),
    ]);
    expect([dn.code, dn.stderr]).toEqual([2, 'jm-directory: --network is required (or JM_DIRECTORY_NETWORK, or [BLOCKCHAIN] network in --config)\n']);
    expect([wallet.code, wallet.stderr]).toEqual([2, 'jm-wallet: --network is required (or "network" in --config)\n']);
    expect([ob.code, ob.stderr]).toEqual([2, 'jm-orderbook: --network is required\n']);
    expect([maker.code, maker.stderr]).toEqual([2, 'jm-maker: --wallet is required; --network is required\n']);
    expect([taker.code, taker.stderr]).toEqual([2, 'jm-taker: --network is required\n']);
    expect([renamed.code, renamed.stderr]).toEqual([2, 'jm-wallet: --wallet-file is now --wallet\n']);
    expect([unknown.code, unknown.stderr]).toEqual([2, "jm-maker: unknown option '--bogus'\n(jm-maker --help shows the usage)\n"]);
  });

  it('uses the same flags for the same things, marks required options and shows global options in subcommand help', async () => {
    const [wallet, maker, taker, serve, once, dn] = await Promise.all([
      runCli('jm-wallet', ['display', '--help']),
      runCli('jm-maker', ['start', '--help']),
      runCli('jm-taker', ['coinjoin', '--help']),
      runCli('jm-orderbook', ['serve', '--help']),
      runCli('jm-orderbook', ['--help']),
      runCli('jm-directory', ['--help']),
    ]);
    for (const h of [wallet, maker, taker, serve, once, dn]) expect(h.code).toBe(0);
    // a flag's help entry, with its wrapped continuation lines
    const line = (help: string, flag: string): string => {
      const ls = help.split('\n');
      const i = ls.findIndex((l) => l.trimStart().startsWith(flag));
      if (i < 0) return '';
      let j = i + 1;
      while (j < ls.length && /^\s{8,}\S/.test(ls[j]!)) j++;
      return ls.slice(i, j).map((l) => l.trim()).join(' ');
    };
    for (const h of [wallet.stdout, maker.stdout, taker.stdout, serve.stdout]) {
      for (const f of ['--network <name>', '--rpc-url <url>', '--rpc-user <user>', '--rpc-password <password>', '--rpc-cookie-file <file>', '--log-level', '--version']) {
        if (f === '--log-level' && h === wallet.stdout) continue;
        expect(line(h, f), `${f} in\n${h}`).not.toBe('');
      }
      expect(h).not.toMatch(/--wallet-file|--rpc-cookie |--rpc-port/);
    }
    for (const h of [wallet.stdout, maker.stdout, taker.stdout]) expect(line(h, '--wallet <file>')).not.toBe('');
    // global options appear under the subcommand's own help
    expect(wallet.stdout).toMatch(/Global Options:[\s\S]*--network <name>[\s\S]*--wallet <file>/);
    expect(serve.stdout).toMatch(/Options:[\s\S]*--http <host:port>[\s\S]*Global Options:[\s\S]*--network <name>[\s\S]*--directory <list>/);
    // required options say so
    for (const h of [maker.stdout, taker.stdout, dn.stdout]) expect(line(h, '--network <name>')).toMatch(/\(required\)/);
    // where some subcommands do without it, the help says which
    expect(line(wallet.stdout, '--network <name>')).toMatch(/\(required, or "network" in --config; bond-calc needs none\)$/);
    for (const h of [serve.stdout, once.stdout]) expect(line(h, '--network <name>')).toMatch(/\(required, except by directories list and update\)$/);
    expect(line(maker.stdout, '--wallet <file>')).toMatch(/\(required\)/);
    expect(line(taker.stdout, '--destination <address>')).toMatch(/\(required\)/);
    expect(line(wallet.stdout, '--wallet <file>')).not.toMatch(/\(required\)/); // default wallet.jmw
  });
});

describe('one meaning per flag, help that matches what runs', () => {
  const line = (help: string, flag: string): string => help.split('\n').find((l) => l.trimStart().startsWith(flag))?.trim() ?? '';

  it('jm-orderbook directories list and update run without --network, as the help says; once and serve need it', async () => {
    const data = join(dir, 'data-list');
    const [list, once, check] = await Promise.all([
      runCli('jm-orderbook', ['directories', 'list', '--data-dir', data]),
      runCli('jm-orderbook', ['once', '--directory', sinkAddr]),
      runCli('jm-orderbook', ['directories', 'check', '--directory', sinkAddr]),
    ]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^mainnet \(built-in list\)$/m);
    expect([once.code, once.stderr, check.code, check.stderr]).toEqual([2, 'jm-orderbook: --network is required\n', 2, 'jm-orderbook: --network is required\n']);
    expect(sinkConnections).toBe(0);
  });

  it('jm-orderbook once --help describes its own options, not a --once flag', async () => {
    const r = await runCli('jm-orderbook', ['once', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/with --once/);
    expect(line(r.stdout, '--wait <seconds>')).toMatch(/how long to collect offers before printing/);
  });

  it('the maker\'s and the taker\'s commitment files have two different flags; the old --commitments names the new one', async () => {
    const [maker, taker, oldMaker, oldTaker] = await Promise.all([
      runCli('jm-maker', ['start', '--help']),
      runCli('jm-taker', ['coinjoin', '--help']),
      runCli('jm-maker', ['start', '--commitments', 'x']),
      runCli('jm-taker', ['coinjoin', '--commitments=x']),
    ]);
    expect(line(maker.stdout, '--commitment-list <file>')).toMatch(/commitments this maker refuses/);
    expect(line(taker.stdout, '--sent-commitments <file>')).toMatch(/commitments this taker has sent/);
    for (const h of [maker.stdout, taker.stdout]) expect(h).not.toMatch(/--commitments /);
    expect([oldMaker.code, oldMaker.stderr]).toEqual([2, 'jm-maker: --commitments is now --commitment-list\n']);
    expect([oldTaker.code, oldTaker.stderr]).toEqual([2, 'jm-taker: --commitments is now --sent-commitments\n']);
  });

  it('directories update off a terminal without --yes refuses before fetching (exit 2), like jm-taker and jm-wallet send', async () => {
    const args = ['directories', 'update', '--url', `http://${sinkAddr}/list.json`, '--socks', sinkAddr, '--data-dir', join(dir, 'data-update')];
    const [update, credentials] = await Promise.all([
      runCli('jm-orderbook', args),
      runCli('jm-orderbook', ['directories', 'update', '--url', 'http://me:secret@example.onion/list.json', '--yes']),
    ]);
    expect([update.code, update.stderr]).toEqual([2, 'jm-orderbook: not on a terminal, so nobody can confirm writing the list: pass --yes to go ahead without asking\n']);
    expect([credentials.code, credentials.stderr]).toEqual([2, 'jm-orderbook: --url: a URL with user:password@ in it is not accepted\n']);
    expect(sinkConnections).toBe(0);
  });

  it('a wallet of another network than --network is a usage error (exit 2), before any connection', async () => {
    const env = { JM_WALLET_PASSWORD: PASSWORD };
    const rpc = ['--rpc-url', `http://${sinkAddr}`, '--rpc-user', 'u', '--rpc-password', 'p'];
    const [wallet, taker] = await Promise.all([
      runCli('jm-wallet', ['--network', 'testnet', '--wallet', walletFile, 'newaddress', '--mixdepth', '0'], { env }),
      runCli('jm-taker', ['coinjoin', '--network', 'testnet', '--wallet', walletFile, '--directory', sinkAddr, '--transport', 'tcp', ...rpc,
        '--amount', '100000', '--mixdepth', '0', '--destination', 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', '--yes'], { env }),
    ]);
    expect([wallet.code, wallet.stderr]).toEqual([2, `jm-wallet: --network testnet: ${walletFile} is a regtest wallet\n`]);
    expect([taker.code, taker.stderr]).toEqual([2, `jm-taker: --network testnet: ${walletFile} is a regtest wallet\n`]);
    expect(sinkConnections).toBe(0);
  });
});

describe('offline checks come before any network work', () => {
  it('a bad address, a missing wallet or cookie file: exit 2, no connection made', async () => {
    const rpc = ['--rpc-url', `http://${sinkAddr}`, '--rpc-user', 'u', '--rpc-password', 'p'];
    const env = { JM_WALLET_PASSWORD: PASSWORD };
    const [taker, maker, spend, ob] = await Promise.all([
      runCli('jm-taker', ['coinjoin', '--network', 'regtest', '--wallet', walletFile, '--directory', sinkAddr, ...rpc, '--amount', '100000', '--mixdepth', '0', '--destination', 'bc1qw90s2z6etu728elvs0hxh6tda35p465phy9qz4', '--yes'], { env }),
      runCli('jm-maker', ['start', '--network', 'regtest', '--wallet', join(dir, 'missing.jmw'), '--directory', sinkAddr, ...rpc], { env }),
      runCli('jm-wallet', ['--network', 'regtest', '--wallet', walletFile, ...rpc, 'spend-bond', '--outpoint', `${'ab'.repeat(32)}:0`, '--destination', 'not-an-address'], { env }),
      runCli('jm-orderbook', ['--network', 'regtest', '--directory', sinkAddr, '--rpc-cookie-file', join(dir, 'no-cookie')]),
    ]);
    expect([taker.code, taker.stderr]).toEqual([2, 'jm-taker: --destination: "bc1qw90s2z6etu728elvs0hxh6tda35p465phy9qz4" is not a valid regtest address\n']);
    expect([maker.code, maker.stderr]).toEqual([2, `jm-maker: --wallet: no wallet file at ${join(dir, 'missing.jmw')} (jm-wallet generate creates one)\n`]);
    expect([spend.code, spend.stderr]).toEqual([2, 'jm-wallet: --destination: "not-an-address" is not a valid regtest address\n']);
    expect([ob.code, ob.stderr]).toEqual([2, 'jm-orderbook: --rpc-cookie-file: no such file, or not readable\n']);
    expect(sinkConnections).toBe(0);
  });

  it('a new wallet in a missing directory: named in the message, never a temporary path, before any prompt', async () => {
    const target = join(dir, 'no-such-dir', 'w.jmw');
    const r = await runCli('jm-wallet', ['--network', 'regtest', '--wallet', target, 'generate']);
    expect([r.code, r.stderr]).toEqual([2, `jm-wallet: cannot create ${target}: directory ${join(dir, 'no-such-dir')} does not exist\n`]);
  });
});

describe('jm-orderbook serve --log-level', () => {
  it('warn stays warn (no info lines) and the URL is still printed; the default is info', async () => {
    const dn = new DirectoryServer({ network: 'regtest', mode: 'loopback', listen: { host: '127.0.0.1', port: 0 } });
    const addr = await dn.start();
    try {
      const args = ['serve', '--network', 'regtest', '--directory', `127.0.0.1:${addr.port}`, '--http', '127.0.0.1:0'];
      const quiet = CliProcess.start('jm-orderbook', [...args, '--log-level', 'warn']);
      const chatty = CliProcess.start('jm-orderbook', args);
      const [, url] = await quiet.line(/^jm-orderbook: serving (http:\/\/127\.0\.0\.1:\d+\/)$/, 30_000);
      expect((await fetch(`${url}api/v1/directories`)).status).toBe(200);
      await chatty.jsonLine('stderr', (l) => l.msg === 'ready' && l.level === 30, 30_000, 'the info ready line');
      expect([await quiet.stop(), await chatty.stop()]).toEqual([0, 0]);
      const levels = quiet.stderrLines.map((l) => (JSON.parse(l) as { level: number }).level);
      expect(levels.filter((l) => l < 40)).toEqual([]);
    } finally {
      await dn.stop();
    }
  });
});
