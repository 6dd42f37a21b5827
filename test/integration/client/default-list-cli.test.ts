/**
 * Every client takes the network's list when no --directory is given, and checks it offline
 * (before any password prompt, wallet or network work): on mainnet the built-in onions, which
 * plain TCP cannot reach.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli-process.js';

describe('clients without --directory', () => {
  let dir = '';
  let wallet = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'jm-default-list-'));
    wallet = path.join(dir, 'w.jmw');
    await writeFile(wallet, '{}');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each<['jm-orderbook' | 'jm-maker' | 'jm-taker', string[]]>([
    ['jm-orderbook', ['--once']],
    ['jm-maker', ['start', '--wallet', '<wallet>']],
    ['jm-taker', ['coinjoin', '--yes', '--wallet', '<wallet>', '--amount', '100000', '--mixdepth', '0', '--destination', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4']],
  ])('%s on mainnet dials the built-in list (and refuses it over plain TCP before anything else)', async (cli, args) => {
    const env = { JM_DATA_DIR: dir, JM_DIRECTORIES: '', JM_WALLET_PASSWORD: '' };
    const argv = [...args.map((a) => (a === '<wallet>' ? wallet : a)), '--network', 'mainnet', '--transport', 'tcp', '--rpc-user', 'u', '--rpc-password', 'p'];
    const r = await runCli(cli, argv, { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('satoshi2vcg5e2ept7tjkzlkpomkobqmgtsjzegg6wipnoajadissead.onion:5222 (from built-in list) is an onion address: use --transport tor');
  }, 60_000);
});
