/**
 * Reference peers on a regtest chain say "testnet" on the wire. A client on a regtest chain
 * meets such a directory with --wire-network testnet: here the directory's reply is the exact
 * 795 a reference directory sent in its testing mode (test/fixtures/reference-wire).
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineSplitter, parseEnvelope } from '../../../src/protocol/framing.js';
import { runCli, type CliRun } from '../../helpers/cli-process.js';
import { readCapture } from '../../helpers/wire-fixtures.js';

const REFERENCE_795 = readCapture('scenario-wire.txt').find((r) => r.from === 'DN' && r.bytes.includes('"type": 795'))!.bytes;

const run = (args: string[]): Promise<CliRun> => runCli('jm-orderbook', args, { env: { JM_DIRECTORIES: '' } });

describe('--wire-network: a regtest chain meets reference peers that say "testnet"', () => {
  let server: net.Server;
  const sockets = new Set<net.Socket>();
  let port = 0;
  const announced: string[] = [];

  beforeAll(async () => {
    expect(REFERENCE_795.toString()).toContain('\\"network\\": \\"testnet\\"');
    server = net.createServer((s) => {
      sockets.add(s);
      const split = new LineSplitter();
      s.on('error', () => {});
      s.on('data', (chunk: Buffer) => {
        for (const ev of split.push(chunk)) {
          if (ev.kind !== 'line') continue;
          const e = parseEnvelope(ev.text);
          if (!e.ok || e.env.type !== 793) continue;
          announced.push(String((JSON.parse(e.env.line) as { network: unknown }).network));
          s.write(REFERENCE_795);
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it('connects with --wire-network testnet; without it the directory is refused as another network', async () => {
    const ok = await run(['--once', '--json', '--wait', '1', '--network', 'regtest', '--wire-network', 'testnet', '--directory', `127.0.0.1:${port}`]);
    expect(ok.code, ok.stderr).toBe(0);
    const out = JSON.parse(ok.stdout) as { directories: Array<{ connected: boolean; motd: string }> };
    expect(out.directories[0]).toMatchObject({ connected: true, motd: expect.stringContaining('JOINMARKET VERSION: 0.9.12') });
    expect(announced).toEqual(['testnet']);

    const refused = await run(['--once', '--wait', '1', '--network', 'regtest', '--directory', `127.0.0.1:${port}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('network mismatch: directory is on "testnet", we are on "regtest"');
    expect(announced.at(-1)).toBe('regtest');

    const bad = await run(['--once', '--network', 'regtest', '--wire-network', 'regnet', '--directory', `127.0.0.1:${port}`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--wire-network.*one of mainnet, testnet, signet, regtest/);
  }, 90_000); // three CLI runs
});
