/**
 * Default directories over a private Tor network: a mainnet DN on an onion; `jm-orderbook serve
 * --network mainnet` with no --directory and no --transport dials the list in the user file over
 * Tor; `directories check` prints its table for that list; `directories update` fetches a list
 * from an HTTP server behind an onion of its own, shows the diff, and writes only when confirmed.
 */
import http from 'node:http';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseDirectoryList } from '../../../src/client/directory-list.js';
import { onionHostFromPubkey } from '../../../src/protocol/onion.js';
import { OnionService } from '../../../src/transport/tor/onion-service.js';
import { systemClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { skipWithoutTor, startTorNetwork, type TorNetwork } from '../../helpers/tor-network.js';
import { CliProcess } from '../../helpers/cli-process.js';
import { DnProcess, type Ready } from './dn-process.js';

const skip = skipWithoutTor();
const LONG = 180_000;
/** A valid v3 address no one publishes. */
const NOBODY = onionHostFromPubkey(new Uint8Array(32).fill(7));

const listDoc = (mainnet: string[]): string => JSON.stringify({ format: 'joinmarket-directories', version: 1, updated: '2030-01-01', networks: { mainnet } });

describe.skipIf(skip)('default directory lists over a private Tor network', () => {
  let tn: TorNetwork;
  let tmp = '';
  let dn: DnProcess;
  let ready: Ready;

  const children: CliProcess[] = [];
  const orderbook = (args: string[], env: Record<string, string>): CliProcess => {
    const p = CliProcess.start('jm-orderbook', args, { env: { JM_DIRECTORIES: '', ...env } });
    children.push(p);
    return p;
  };

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'jm-default-dirs-'));
    tn = await startTorNetwork();
    dn = DnProcess.start(['--transport', 'tor', '--network', 'mainnet', '--tor-control', `127.0.0.1:${tn.controlPort}`, '--data-dir', path.join(tmp, 'dn'), '--http', '127.0.0.1:0']);
    ready = await dn.ready(120_000);
  }, LONG);

  // Stopped even when a test failed (the DN runs on until afterAll).
  afterEach(async () => {
    await Promise.all(children.splice(0).map((p) => p.stop()));
  }, LONG);

  afterAll(async () => {
    await dn?.kill();
    await tn?.stop();
    await rm(tmp, { recursive: true, force: true });
  }, LONG);

  async function userFile(name: string, text: string): Promise<string> {
    const dir = path.join(tmp, name);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'directories.json'), text);
    return dir;
  }

  it('serve --network mainnet without --directory dials the user list over Tor', async () => {
    const dataDir = await userFile('serve', listDoc([ready.onion]));
    const probe = http.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const httpPort = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const ob = orderbook(['serve', '--network', 'mainnet', '--socks', `127.0.0.1:${tn.socksPort}`, '--http', `127.0.0.1:${httpPort}`, '--log-level', 'info'], { JM_DATA_DIR: dataDir });
    const dirs = await ob.jsonLine('stderr', (l) => l.msg === 'directories', 30_000, 'the directories line');
    expect(dirs).toMatchObject({ directories: [ready.onion], from: path.join(dataDir, 'directories.json'), transport: 'tor', wireNetwork: 'mainnet' });
    const up = await ob.jsonLine('stderr', (l) => l.msg === 'ready', 30_000, 'the ready line');
    await ob.jsonLine('stderr', (l) => l.msg === 'directory handshake accepted', 150_000, 'the handshake with the onion DN');
    const api = (await (await fetch(`${String(up.url)}api/v1/directories`)).json()) as { directories: Array<Record<string, unknown>> };
    expect(api.directories).toEqual([expect.objectContaining({ id: ready.onion, connected: true, dnNick: ready.nick })]);
    const health = (await (await fetch(`http://${ready.http}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ network: 'mainnet' });
    expect(await ob.stop()).toBe(0);
  }, LONG);

  it('directories check prints the handshake table for the list', async () => {
    const dataDir = await userFile('check', listDoc([ready.onion, `${NOBODY}:5222`]));
    const ob = orderbook(['directories', 'check', '--network', 'mainnet', '--socks', `127.0.0.1:${tn.socksPort}`, '--timeout', '45'], { JM_DATA_DIR: dataDir });
    expect(await ob.exited, ob.stderr).toBe(0);
    console.info(ob.stdout);
    const rows = ob.stdout.split('\n');
    expect(rows[0]).toMatch(/^directory\s+status\s+connect\s+handshake\s+peers\s+nick-auth\s+features\s+motd$/);
    const row = rows.find((r) => r.startsWith(`${ready.onion} `));
    expect(row).toMatch(/\sok\s+\d+(\.\d)? m?s\s+\d+(\.\d)? m?s\s+0 \(0 serving\)\s+verified\s+nick_auth,peerlist_features,ping\s+DIRECTORY NODE: /);
    expect(rows.find((r) => r.startsWith(`${NOBODY}:5222 `))).toMatch(/\sunreachable: /);
    expect(ob.stdout).toContain('1 of 2 answered the handshake');
    expect(ob.stderr).toContain(`checking 2 mainnet directories from ${path.join(dataDir, 'directories.json')} over Tor`);
  }, LONG);

  it('directories update fetches the list through an onion, shows the diff, writes only when confirmed', async () => {
    let served = listDoc([ready.onion]);
    let requests = 0;
    const web = http.createServer((req, res) => {
      requests++;
      if (req.url === '/list.json') res.writeHead(200, { 'Content-Type': 'application/json' }).end(served);
      else res.writeHead(404).end('not found');
    });
    web.listen(0, '127.0.0.1');
    await once(web, 'listening');
    const svc = new OnionService({
      source: { kind: 'control', target: { kind: 'tcp', host: '127.0.0.1', port: tn.controlPort }, auth: { cookieFile: tn.cookieFile } },
      targetHost: '127.0.0.1', targetPort: (web.address() as net.AddressInfo).port, virtualPort: 80, logger: silentLogger(), clock: systemClock,
    });
    try {
      const { onion } = await svc.start();
      const url = `http://${onion}/list.json`;
      const dataDir = path.join(tmp, 'update');
      const file = path.join(dataDir, 'directories.json');
      const args = ['directories', 'update', '--url', url, '--socks', `127.0.0.1:${tn.socksPort}`, '--data-dir', dataDir];

      // No terminal and no --yes: refused before fetching (exit 2). --dry-run shows the diff, writes nothing.
      const refused = orderbook(args, {});
      expect(await refused.exited, refused.stderr).toBe(2);
      expect(refused.stderr).toContain('nobody can confirm writing the list: pass --yes');
      const dry = orderbook([...args, '--dry-run'], {});
      expect(await dry.exited, dry.stderr).toBe(0);
      expect(dry.stdout).toContain(`+ mainnet  ${ready.onion}`);
      expect(dry.stdout).toMatch(/- mainnet {2}satoshi2vcg5e2ept7tjkzlkpomkobqmgtsjzegg6wipnoajadissead\.onion:5222/);
      expect(dry.stdout).toContain('not written (--dry-run)');
      await expect(readFile(file)).rejects.toThrow(/ENOENT/);

      const yes = orderbook([...args, '--yes'], {});
      expect(await yes.exited, yes.stderr).toBe(0);
      expect(yes.stdout).toContain(`written ${file}`);
      expect(parseDirectoryList(await readFile(file, 'utf8'), file).networks.mainnet).toEqual([{ host: ready.onion.split(':')[0], port: 5222 }]);

      const same = orderbook([...args, '--yes'], {});
      expect(await same.exited).toBe(0);
      expect(same.stdout).toContain('no changes');

      // An invalid list is refused, whatever --yes says; the file stays as it was.
      served = listDoc(['example.com:5222']);
      const bad = orderbook([...args, '--yes'], {});
      expect(await bad.exited).toBe(1);
      expect(bad.stderr).toMatch(/not written: .*networks\.mainnet\.0: "example\.com:5222" is not a v3 onion/);
      expect(parseDirectoryList(await readFile(file, 'utf8'), file).networks.mainnet).toHaveLength(1);

      const list = orderbook(['directories', 'list', '--network', 'mainnet', '--data-dir', dataDir], {});
      expect(await list.exited).toBe(0);
      expect(list.stdout).toContain(`mainnet (${file})\n  ${ready.onion}\n`);
      expect(requests).toBe(4);
    } finally {
      await svc.stop();
      web.close();
    }
  }, LONG);
});
