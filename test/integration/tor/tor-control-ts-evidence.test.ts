/**
 * Executable evidence for docs/decisions.md "Tor control-port client": tor-control-ts@1.0.0 against a
 * real tor. Each test asserts the BROKEN behaviour; if a future version fixes one, its test fails and
 * the decision can be revisited. Our own client is run through the same scenario for contrast.
 */
import type net from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tor } from 'tor-control-ts';
import { systemClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { TorControlClient } from '../../../src/transport/tor/control-client.js';
import { authenticate } from '../../../src/transport/tor/auth.js';
import { getInfo } from '../../../src/transport/tor/commands.js';
import { TorControlClosedError, TorControlReplyError } from '../../../src/transport/tor/errors.js';
import { skipWithoutTor, startStandaloneTor, type StandaloneTor } from '../../helpers/tor-network.js';

const skip = skipWithoutTor();

interface TorInternals {
  connection: net.Socket;
}
const socketOf = (t: Tor): net.Socket => (t as unknown as TorInternals).connection;

describe.skipIf(skip)('tor-control-ts@1.0.0 against a real tor', () => {
  let tor: StandaloneTor;
  const opened: Tor[] = [];
  const ours: TorControlClient[] = [];

  async function lib(): Promise<Tor> {
    const t = new Tor({ host: '127.0.0.1', port: tor.controlPort, password: tor.controlPassword });
    await t.connect();
    opened.push(t);
    return t;
  }
  async function own(auth: { password?: string; cookieFile?: string }): Promise<TorControlClient> {
    const c = await TorControlClient.connect({ kind: 'tcp', host: '127.0.0.1', port: tor.controlPort }, { clock: systemClock, logger: silentLogger() });
    ours.push(c);
    await authenticate(c, auth);
    return c;
  }

  beforeAll(async () => {
    tor = await startStandaloneTor();
  });
  afterAll(async () => {
    for (const t of opened) socketOf(t)?.destroy();
    for (const c of ours) c.destroy();
    await tor?.stop();
  });

  it('adds a data listener per command and never removes it', async () => {
    const t = await lib();
    const before = socketOf(t).listenerCount('data');
    for (let i = 0; i < 50; i++) await t.sendCommand('GETINFO version');
    const after = socketOf(t).listenerCount('data');
    console.info(`tor-control-ts: ${before} data listener(s) after connect, ${after} after 50 GETINFO calls`);
    expect(after - before).toBe(50);
  });

  it('resolves a command with the first TCP chunk: a 230 kB GETINFO desynchronises the next command', async () => {
    const t = await lib();
    const keys = Array.from({ length: 19 }, () => 'config/names');
    const big = await t.sendCommand(`GETINFO ${keys.join(' ')}`).catch((e: unknown) => e as { data: string });
    const next = await t.sendCommand('GETINFO version');
    console.info(`tor-control-ts: big reply resolved with ${big.data.length} bytes; next reply starts ${JSON.stringify(next.data.slice(0, 40))}`);
    expect(big.data.length).toBeLessThan(230_000);
    expect(next.data.startsWith('250-version=')).toBe(false);

    const c = await own({ password: tor.controlPassword });
    const info = await getInfo(c, keys);
    expect(info.get('config/names')?.length).toBeGreaterThan(10_000);
    expect((await getInfo(c, ['version'])).get('version')).toMatch(/^0\.4\./);
  });

  it('returns an asynchronous 650 event as the reply of a command', async () => {
    const t = await lib();
    await t.sendCommand('SETEVENTS CONF_CHANGED');
    const trigger = await own({ password: tor.controlPassword });
    let stop = false;
    const churn = (async () => {
      for (let i = 0; !stop; i++) await trigger.command(`SETCONF MaxCircuitDirtiness=${600 + (i % 2)}`);
    })();
    let hijacked: string | undefined;
    const deadline = Date.now() + 20_000;
    while (!hijacked && Date.now() < deadline) {
      const r = await t.sendCommand('GETINFO version');
      if (r.data.startsWith('650')) hijacked = r.data;
    }
    stop = true;
    await churn;
    console.info(`tor-control-ts: GETINFO resolved with ${JSON.stringify(hijacked?.slice(0, 40))}`);
    expect(hijacked).toMatch(/^650-CONF_CHANGED/);
  });

  it('resolves 5xx errors instead of rejecting', async () => {
    const t = await lib();
    const r = await t.sendCommand('GETINFO no-such-key');
    expect(r.type).toBe(552);
    const c = await own({ password: tor.controlPassword });
    await expect(getInfo(c, ['no-such-key'])).rejects.toBeInstanceOf(TorControlReplyError);
  });

  it('supports neither COOKIE nor SAFECOOKIE: without a password it cannot authenticate', async () => {
    const t = new Tor({ host: '127.0.0.1', port: tor.controlPort, password: '' });
    const err = await t.connect().then(() => undefined, (e: unknown) => e as { message: string; data: string });
    opened.push(t);
    expect(err?.message).toBe('Authentication failed');
    expect(err?.data).toMatch(/^515 /);
    const c = await TorControlClient.connect({ kind: 'tcp', host: '127.0.0.1', port: tor.controlPort }, { clock: systemClock, logger: silentLogger() });
    ours.push(c);
    expect(await authenticate(c, { cookieFile: tor.cookieFile })).toBe('SAFECOOKIE');
  });

  it('never settles a command sent after tor closed the connection', async () => {
    const t = await lib();
    const sock = socketOf(t);
    sock.on('error', () => undefined);
    const closed = once(sock, 'close');
    await t.quit(); // tor answers "250 closing connection" and closes
    await closed;
    let settled = false;
    void t.sendCommand('GETINFO version').then(() => (settled = true), () => (settled = true));
    // A full round trip on another connection gives any late settlement time to happen.
    const c = await own({ password: tor.controlPassword });
    expect((await getInfo(c, ['version'])).get('version')).toMatch(/^0\.4\./);
    expect(settled).toBe(false);

    await c.command('QUIT');
    await new Promise((r) => c.once('close', r));
    await expect(getInfo(c, ['version'])).rejects.toBeInstanceOf(TorControlClosedError);
  });

  it('rejects our pending commands when tor dies mid-command', async () => {
    const c = await own({ password: tor.controlPassword });
    process.kill(tor.pid, 'SIGSTOP'); // tor cannot answer: the command stays in flight
    const pending = getInfo(c, ['version']).catch((e: unknown) => e);
    process.kill(tor.pid, 'SIGKILL');
    expect(await pending).toBeInstanceOf(TorControlClosedError);
  });
});
