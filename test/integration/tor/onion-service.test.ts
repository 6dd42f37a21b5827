/**
 * The Tor transport against real tor processes on a private loopback network: authentication,
 * publishing an onion in front of a TCP echo server, reaching it through SOCKS with our dialer,
 * stable address from the key file, re-publishing after control loss / tor restart, managed tor.
 */
import { once } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { isValidOnionV3Host } from '../../../src/protocol/onion.js';
import { TorControlClient } from '../../../src/transport/tor/control-client.js';
import { authenticate, type AuthMethod } from '../../../src/transport/tor/auth.js';
import { getInfo } from '../../../src/transport/tor/commands.js';
import { OnionService, type OnionServiceOptions } from '../../../src/transport/tor/onion-service.js';
import { dialSocks } from '../../../src/transport/socks.js';
import { skipWithoutTor, startTorNetwork, type TorNetwork } from '../../helpers/tor-network.js';

const skip = skipWithoutTor();
const logger = silentLogger();
const LONG = 180_000;

describe.skipIf(skip)('Tor transport on a private Tor network', () => {
  let tn: TorNetwork;
  let echo: net.Server;
  let echoPort = 0;
  let tmp = '';

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'jm-onion-it-'));
    echo = net.createServer((s) => {
      s.on('error', () => undefined);
      s.pipe(s);
    });
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    echoPort = (echo.address() as net.AddressInfo).port;
    tn = await startTorNetwork();
    console.info(`private tor network ${tn.torVersion} bootstrapped in ${tn.bootstrapSeconds.toFixed(1)} s`);
  }, LONG);

  afterAll(async () => {
    echo?.close();
    await tn?.stop();
    await rm(tmp, { recursive: true, force: true });
  }, LONG);

  const control = (): OnionServiceOptions['source'] => ({
    kind: 'control',
    target: { kind: 'tcp', host: '127.0.0.1', port: tn.controlPort },
    auth: { cookieFile: tn.cookieFile },
  });

  async function roundTrip(onion: string, isolationId: string): Promise<{ text: string; ms: number }> {
    const t0 = Date.now();
    const sock = await dialSocks({
      socksHost: '127.0.0.1', socksPort: tn.socksPort, host: onion, port: 5222, retries: 15, backoffMs: 250, maxBackoffMs: 2000, isolationId,
    });
    sock.write('ping\n');
    const [data] = (await once(sock, 'data')) as [Buffer];
    sock.destroy();
    return { text: data.toString(), ms: Date.now() - t0 };
  }

  it('authenticates with SAFECOOKIE, COOKIE and HASHEDPASSWORD', async () => {
    const cases: Array<[AuthMethod, { password?: string; cookieFile?: string; method?: AuthMethod }]> = [
      ['SAFECOOKIE', {}],
      ['COOKIE', { method: 'COOKIE' }],
      ['HASHEDPASSWORD', { password: tn.controlPassword }],
    ];
    for (const [want, auth] of cases) {
      const c = await TorControlClient.connect({ kind: 'tcp', host: '127.0.0.1', port: tn.controlPort }, { clock: systemClock, logger });
      expect(await authenticate(c, auth)).toBe(want);
      expect((await getInfo(c, ['version'])).get('version')).toMatch(/^0\.4\./);
      await c.close();
    }
    const bad = await TorControlClient.connect({ kind: 'tcp', host: '127.0.0.1', port: tn.controlPort }, { clock: systemClock, logger });
    await expect(authenticate(bad, { password: 'wrong' })).rejects.toThrow(/tor refused HASHEDPASSWORD authentication: 515/);
    bad.destroy();
  });

  it('publishes, is reachable through SOCKS, and keeps its address across restarts', async () => {
    const keyFile = path.join(tmp, 'onion-key.json');
    const opts: OnionServiceOptions = { source: control(), keyFile, targetHost: '127.0.0.1', targetPort: echoPort, logger, clock: systemClock };
    const svc = new OnionService(opts);
    const t0 = Date.now();
    const { onion } = await svc.start();
    const publishMs = Date.now() - t0;
    expect(isValidOnionV3Host(onion)).toBe(true);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const first = await roundTrip(onion, 'a');
    expect(first.text).toBe('ping\n');
    await svc.stop();

    const again = new OnionService(opts);
    expect((await again.start()).onion).toBe(onion);
    const second = await roundTrip(onion, 'b');
    expect(second.text).toBe('ping\n');
    await again.stop();
    console.info(`publish ${publishMs} ms; first SOCKS round trip ${first.ms} ms; after restart ${second.ms} ms`);
  }, LONG);

  it('re-publishes the same address after the control connection drops and after a tor restart', async () => {
    const svc = new OnionService({
      source: control(), targetHost: '127.0.0.1', targetPort: echoPort, logger, clock: systemClock, reconnectInitialMs: 200, reconnectMaxMs: 2000,
    });
    const { onion } = await svc.start();
    const lost: Error[] = [];
    svc.on('lost', (e) => lost.push(e));

    // 1. Only the control socket closes (tor keeps running and drops our non-detached onion).
    let republished = once(svc, 'republished');
    (svc as unknown as { client: TorControlClient }).client.destroy();
    expect((await republished)[0]).toEqual({ onion });
    expect((await roundTrip(onion, 'c')).text).toBe('ping\n');

    // 2. The tor client process is killed and restarted with the same data dir.
    republished = once(svc, 'republished');
    const t0 = Date.now();
    await tn.restartClient();
    expect((await republished)[0]).toEqual({ onion });
    console.info(`re-published ${Date.now() - t0} ms after the tor restart began`);
    expect((await roundTrip(onion, 'd')).text).toBe('ping\n');
    expect(lost.length).toBe(2);
    await svc.stop();
  }, LONG);

  it('managed tor joins the network via the join torrc, publishes, and stops its tor', async () => {
    const dataDir = path.join(tmp, 'managed');
    const svc = new OnionService({
      source: { kind: 'managed', tor: { dataDir, torrcInclude: tn.joinTorrc } },
      keyFile: path.join(tmp, 'managed-key.json'), targetHost: '127.0.0.1', targetPort: echoPort, logger, clock: systemClock,
    });
    const t0 = Date.now();
    const { onion } = await svc.start();
    console.info(`managed tor bootstrapped and published in ${Date.now() - t0} ms`);
    expect((await roundTrip(onion, 'e')).text).toBe('ping\n');
    const pid = (svc as unknown as { managed: { child: { pid: number } } }).managed.child.pid;
    await svc.stop();
    expect(() => process.kill(pid, 0)).toThrow();
  }, LONG);

  it('managed tor: a missing binary gives the install command', async () => {
    const svc = new OnionService({
      source: { kind: 'managed', tor: { dataDir: path.join(tmp, 'nobin'), torBinary: 'no-such-tor-binary' } },
      targetHost: '127.0.0.1', targetPort: echoPort, logger, clock: systemClock,
    });
    await expect(svc.start()).rejects.toThrow(/tor binary "no-such-tor-binary" not found: install it with `sudo apt-get install -y tor`/);
  });
});
