/** `jm-orderbook --once --json` as a child process against a live DN and a scripted maker. */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runCli, stopCliProcesses } from '../../helpers/cli-process.js';
import { ScriptedMaker } from '../../helpers/scripted-maker.js';
import { DirectoryServer } from '../../../src/directory/index.js';
import { DirectorySchema, OrderbookSchema } from '../../../src/orderbook/schema.js';
import { KEYS, NETWORK, TEST_BOND } from './watch-helpers.js';

const run = (args: string[]) => runCli('jm-orderbook', args);

const OnceOutput = z.object({ apiVersion: z.literal(1), orderbook: OrderbookSchema, directories: z.array(DirectorySchema) });

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await stopCliProcesses();
  while (cleanups.length) await cleanups.pop()!();
});

describe('jm-orderbook CLI', () => {
  it('--once --json prints the book collected from a live directory', async () => {
    const dn = new DirectoryServer({ network: NETWORK, mode: 'loopback', listen: { host: '127.0.0.1', port: 0 } });
    const addr = await dn.start();
    cleanups.push(() => dn.stop());
    const maker = await new ScriptedMaker({ directories: [addr], network: NETWORK, key: KEYS.m1, bond: TEST_BOND, announce: false,
      offers: ['sw0reloffer 0 27300 5000000 0 0.00002', 'sw0absoffer 1 27300 5000000 0 250'] }).start();
    cleanups.push(() => maker.stop());
    const r = await run(['--once', '--json', '--wait', '2', '--directory', `127.0.0.1:${addr.port}`, '--network', NETWORK]);
    expect(r.code, r.stderr).toBe(0);
    const out = OnceOutput.parse(JSON.parse(r.stdout));
    expect(out.orderbook.offers.map((o) => [o.nick, o.oid, o.cjfee])).toEqual([[maker.nick, 0, '0.00002'], [maker.nick, 1, '250']]);
    expect(out.orderbook.bonds[0]).toMatchObject({ nick: maker.nick, status: 'unverified' });
    expect(out.directories[0]).toMatchObject({ connected: true, makersSeen: 1 });
    expect(maker.requests).toHaveLength(1);
  });

  it('--once without --json prints a table; an unreachable directory exits 1', async () => {
    const r = await run(['--once', '--wait', '1', '--directory', '127.0.0.1:1', '--network', NETWORK]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Offers (0 from 0 makers, regtest)');
    expect(r.stderr).toContain('no directory could be reached');
  });

  it('bad options exit 2 with one readable line', async () => {
    const r = await run(['--once', '--directory', 'nohostport:x', '--network', NETWORK]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^jm-orderbook: --directory: /);
    const rpc = await run(['serve', '--directory', '127.0.0.1:5222', '--network', NETWORK, '--rpc-url', 'http://127.0.0.1:8332']);
    expect(rpc.code).toBe(2);
    expect(rpc.stderr).toContain('jm-orderbook: no RPC credentials: give --rpc-user and --rpc-password, or --rpc-cookie-file');
  });

  it('--max-offers-per-maker bounds the book; a value out of range exits 2', async () => {
    const dn = new DirectoryServer({ network: NETWORK, mode: 'loopback', listen: { host: '127.0.0.1', port: 0 } });
    const addr = await dn.start();
    cleanups.push(() => dn.stop());
    const maker = await new ScriptedMaker({ directories: [addr], network: NETWORK, key: KEYS.m2, announce: false,
      offers: ['sw0reloffer 0 27300 5000000 0 0.00002', 'sw0absoffer 1 27300 5000000 0 250'] }).start();
    cleanups.push(() => maker.stop());
    const r = await run(['--once', '--json', '--wait', '2', '--max-offers-per-maker', '1', '--directory', `127.0.0.1:${addr.port}`, '--network', NETWORK]);
    expect(r.code, r.stderr).toBe(0);
    // One reply carries both offers; only the first is parsed and kept.
    expect(OnceOutput.parse(JSON.parse(r.stdout)).orderbook.offers.map((o) => o.oid)).toEqual([0]);
    const bad = await run(['--once', '--max-offers', '0', '--network', NETWORK]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('jm-orderbook: --max-offers: must be at least 1');
  });
});
