/**
 * jm-directory over a private Tor network, end to end: the CLI publishes an onion through the
 * control port, clients reach it through SOCKS and exchange messages; the address survives a DN
 * restart; a tor restart makes the DN re-publish and the clients reconnect; managed tor joins the
 * network through the join torrc; a torrc HiddenServiceDir serves it too.
 */
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryClient, NickIdentity, type DirectoryClientEvents } from '../../../src/client/index.js';
import { isValidOnionV3Host } from '../../../src/protocol/onion.js';
import { ManagedTor } from '../../../src/transport/tor/managed-tor.js';
import { TorControlClient, authenticate } from '../../../src/transport/tor/index.js';
import { systemClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { dialSocks } from '../../../src/transport/socks.js';
import { skipWithoutTor, startTorNetwork, type TorNetwork } from '../../helpers/tor-network.js';
import { DnProcess, type Ready } from './dn-process.js';

const skip = skipWithoutTor();
const LONG = 120_000;
const ONION_LOC = /^[a-z2-7]{56}\.onion:5222$/;

/** Resolves with the next event of `client` matching pred. */
function next<K extends keyof DirectoryClientEvents>(
  client: DirectoryClient,
  event: K,
  ms: number,
  pred: (p: DirectoryClientEvents[K]) => boolean = () => true,
): Promise<DirectoryClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${client.nick}: no ${String(event)} within ${ms} ms (last error: ${client.lastError})`));
    }, ms);
    const off = client.on(event, (p) => {
      if (!pred(p)) return;
      off();
      clearTimeout(timer);
      resolve(p);
    });
  });
}

describe.skipIf(skip)('jm-directory on a private Tor network', () => {
  let tn: TorNetwork;
  let tmp = '';
  const dns: DnProcess[] = [];
  const clients: DirectoryClient[] = [];
  let onion = '';

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'jm-tor-dn-'));
    tn = await startTorNetwork();
    console.info(`private tor network ${tn.torVersion} bootstrapped in ${tn.bootstrapSeconds.toFixed(1)} s`);
  }, LONG);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await Promise.all(dns.map((d) => d.kill()));
    await tn?.stop();
    await rm(tmp, { recursive: true, force: true });
  }, LONG);

  function startDn(args: string[]): DnProcess {
    const d = DnProcess.start(['--transport', 'tor', '--network', 'regtest', ...args]);
    dns.push(d);
    return d;
  }

  /**
   * The clients dial through the same tor that serves the DN's onion. While that tor restarts, a
   * dial would let the fresh tor fetch the pre-restart descriptor from the HSDirs (intro points that
   * lead nowhere) and park the stream on a rendezvous circuit that never completes (tor gives up
   * only after ~2 min). Dials wait here while closed; reconnecting is still the clients' own loop.
   */
  let dialGate: Promise<void> = Promise.resolve();

  function client(location?: string, reconnect = true): DirectoryClient {
    const identity = NickIdentity.random();
    const c = new DirectoryClient({
      host: onion,
      port: 5222,
      identity,
      network: 'regtest',
      ...(location ? { location } : {}),
      reconnect,
      connectTimeoutMs: 60_000,
      backoff: { initialMs: 300, factor: 1.5, maxMs: 2000, jitter: 0.1 },
      dialer: async (host, port) => {
        await dialGate;
        return dialSocks({ socksHost: '127.0.0.1', socksPort: tn.socksPort, host, port, timeoutMs: 15_000, retries: 20, backoffMs: 250, maxBackoffMs: 2000, isolationId: identity.nick });
      },
    });
    clients.push(c);
    return c;
  }

  const controlArgs = (): string[] => ['--tor-control', `127.0.0.1:${tn.controlPort}`, '--data-dir', path.join(tmp, 'dn'), '--http', '127.0.0.1:0'];
  let a: DirectoryClient;
  let b: DirectoryClient;
  /** More peers for the restart figures (a, b and these). */
  const crowd: DirectoryClient[] = [];
  let dn: DnProcess;
  let ready: Ready;

  /** SIGNAL NEWNYM on the clients' tor: fresh circuits and a purged onion-service client cache. */
  async function newnym(): Promise<void> {
    const ctl = await TorControlClient.connect({ kind: 'tcp', host: '127.0.0.1', port: tn.controlPort }, { clock: systemClock, logger: silentLogger() });
    try {
      await authenticate(ctl, { password: tn.controlPassword, method: 'HASHEDPASSWORD' });
      expect((await ctl.command('SIGNAL NEWNYM')).code).toBe(250);
    } finally {
      ctl.destroy();
    }
  }

  async function exchange(tag: string): Promise<void> {
    const pub = next(b, 'pubmsg', 30_000, (m) => m.from === a.nick);
    expect(a.sendPubmsg(`!hello ${tag}`)).toEqual({ ok: true });
    expect((await pub).commands).toEqual([expect.objectContaining({ name: 'hello', args: [tag] })]);
    expect((await pub).body).toBe(`hello ${tag}`);
    const priv = next(b, 'privmsg', 30_000, (m) => m.from === a.nick);
    expect(a.sendPrivmsg(b.nick, 'fill', `1 ${tag}`)).toEqual({ ok: true });
    // Emitted only after the signature and nick/pubkey binding verified.
    expect(await priv).toMatchObject({ from: a.nick, to: b.nick, cmd: 'fill', args: `1 ${tag}`, pubkeyHex: expect.stringMatching(/^[0-9a-f]{66}$/) });
  }

  it('control port: ready after upload, onion in handshake, peerlist and /health; clients talk over SOCKS', async () => {
    const t0 = Date.now();
    dn = startDn(controlArgs());
    ready = await dn.ready(90_000);
    console.info(`DN published ${ready.onion} in ${Date.now() - t0} ms`);
    onion = ready.onion.slice(0, -5);
    expect(ready.onion).toMatch(ONION_LOC);
    expect(isValidOnionV3Host(onion)).toBe(true);
    expect(ready.location).toBe(ready.onion);
    expect(ready.listen).toBe(`127.0.0.1:${ready.port}`);
    expect(dn.lines.some((l) => l.msg === 'onion descriptor uploaded; service reachable' && l.onion === onion)).toBe(true);
    // Location proofs go through the SOCKS port of the same tor (its control port told us where).
    expect(dn.lines.find((l) => l.msg === 'location proofs dial onions through this SOCKS proxy')).toMatchObject({ socks: `127.0.0.1:${tn.socksPort}`, from: 'tor' });
    const key = path.join(tmp, 'dn', 'onion-key.json');
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(key, 'utf8'))).toMatchObject({ onion });

    const health = (await (await fetch(`http://${ready.http}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ onion: ready.onion, location: ready.onion, network: 'regtest', nick: ready.nick });

    a = client();
    b = client();
    a.start();
    b.start();
    const [ia, ib] = await Promise.all([a.whenConnected(60_000), b.whenConnected(60_000)]);
    expect(ia.nick).toBe(ready.nick);
    expect(ib.motd).toContain(`DIRECTORY NODE: ${ready.onion}\n`);
    await exchange('one');
    for (let i = 0; i < 6; i++) crowd.push(client());
    for (const c of crowd) c.start();
    await Promise.all(crowd.map((c) => c.whenConnected(60_000)));
    const entries = await a.requestPeerlist(30_000);
    expect(entries).toContainEqual(expect.objectContaining({ nick: ready.nick, location: ready.onion }));

    // Onion mode refuses loopback locations (reference testing mode only).
    const c = client('127.0.0.1:9999', false);
    const rejected = next(c, 'disconnected', 60_000);
    c.start();
    expect((await rejected).reason).toMatch(/rejected: .*invalid location-string/);
  }, LONG);

  /**
   * Restart figures: peers before, peers back, time from the trigger until the last one is back,
   * peers lost (not back within the deadline). Printed for docs/directory.md.
   */
  async function measureReturn(label: string, trigger: () => Promise<void>): Promise<{ before: number; back: number; lost: number; allBackMs: number; lastBackAt: number }> {
    const peers = [a, b, ...crowd];
    const before = ((await (await fetch(`http://${ready.http}/health`)).json()) as { peers: number }).peers;
    const backAt = new Map<DirectoryClient, number>();
    const offs = peers.map((c) => c.on('connected', () => { if (!backAt.has(c)) backAt.set(c, Date.now()); }));
    const t0 = Date.now();
    await trigger();
    const deadline = Date.now() + 120_000;
    while (backAt.size < peers.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const off of offs) off();
    const allBackMs = backAt.size === 0 ? -1 : Math.max(...backAt.values()) - t0;
    const r = { before, back: backAt.size, lost: peers.length - backAt.size, allBackMs, lastBackAt: t0 + allBackMs };
    console.info(`${label}: peers before ${r.before}, back ${r.back}, lost ${r.lost}, all back ${r.allBackMs} ms after the trigger`);
    return r;
  }

  it('a restart with the same key file publishes the same onion and the clients reconnect', async () => {
    // The clients' tor keeps the old DN's descriptor (dead intro points) cached across the restart;
    // hold their dials until the new descriptor is up, then NEWNYM purges tor's onion client state.
    let openGate = (): void => undefined;
    let again: Ready | undefined;
    let reachableAt = 0;
    const r = await measureReturn('DN restart (SIGTERM, same onion key)', async () => {
      dialGate = new Promise<void>((resolve) => { openGate = resolve; });
      expect(await dn.stop()).toBe(0);
      dn = startDn(controlArgs());
      again = await dn.ready(90_000);
      await newnym();
      reachableAt = Date.now();
      openGate();
    });
    console.info(`DN restart: all back ${r.lastBackAt - reachableAt} ms after the new DN was ready and published (clients' first backoff step: 300 ms here, 4 s by default)`);
    expect(again!.onion).toBe(ready.onion);
    expect(again!.nick).not.toBe(ready.nick); // a fresh DN nick per run
    expect(r).toMatchObject({ before: 8, back: 8, lost: 0 });
    ready = again!;
    await exchange('two');
  }, LONG);

  it('a tor restart: the DN keeps its listener, re-publishes the same onion, clients reconnect', async () => {
    const lost = dn.waitLine((l) => l.msg === 'onion service lost; listener and peers kept, re-publishing', 60_000, 'the lost line');
    const republished = dn.waitLine((l) => l.msg === 'directory onion re-published', 90_000, 'the re-published line');
    // Closed before tor goes down; opens once the DN reports the new descriptor on the HSDirs (or gave up).
    dialGate = republished.then(
      () => undefined,
      () => undefined,
    );
    let restarted = 0;
    let again = 0;
    const t0 = Date.now();
    const r = await measureReturn('tor restart (DN process kept)', async () => {
      await tn.restartClient();
      restarted = Date.now() - t0;
      await lost;
      expect((await republished).location).toBe(ready.onion);
      again = Date.now() - t0;
    });
    console.info(`after the tor restart began: tor bootstrapped ${restarted} ms, DN re-published ${again} ms`);
    expect(r).toMatchObject({ before: 8, lost: 0 });
    expect(dn.child.exitCode).toBeNull();
    expect(dn.lines.filter((l) => l.msg === 'ready')).toHaveLength(1);
    // The same HTTP endpoint and listener still serve.
    const health = (await (await fetch(`http://${ready.http}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ onion: ready.onion, takers: 8 });
    await exchange('three');
    await Promise.all([a, b, ...crowd].map((c) => c.stop()));
    expect(await dn.stop()).toBe(0);
  }, LONG);

  it('managed tor joins the network through --tor-torrc-include; a client reaches it; tor stops with the DN', async () => {
    const dataDir = path.join(tmp, 'managed');
    const t0 = Date.now();
    const m = startDn(['--managed-tor', '--tor-torrc-include', tn.joinTorrc, '--data-dir', dataDir]);
    const r = await m.ready(110_000);
    console.info(`managed tor DN ready in ${Date.now() - t0} ms`);
    expect(r.onion).toMatch(ONION_LOC);
    expect(r.onion).not.toBe(ready.onion);
    expect(m.lines.some((l) => l.msg === 'tor mode' && l.tor === 'managed tor (--managed-tor)')).toBe(true);
    expect(m.lines.find((l) => l.msg === 'location proofs dial onions through this SOCKS proxy')).toMatchObject({ socks: expect.stringMatching(/^127\.0\.0\.1:\d+$/), from: 'tor' });
    onion = r.onion.slice(0, -5);
    const d = client();
    d.start();
    expect((await d.whenConnected(60_000)).nick).toBe(r.nick);
    await d.stop();
    const portFile = await readFile(path.join(dataDir, 'managed-tor', 'control-port'), 'utf8');
    const port = Number(/:(\d+)/.exec(portFile)?.[1]);
    expect(await m.stop()).toBe(0);
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve('connected');
      });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  }, LONG);

  it('HiddenServiceDir: the DN announces the hostname tor wrote and a client reaches it', async () => {
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    // A tor of the operator's, configured by torrc: on this network, with the service of the DN.
    const hsDir = path.join(tmp, 'hs');
    const fragment = path.join(tmp, 'hs.torrc');
    await writeFile(fragment, `%include ${tn.joinTorrc}\nHiddenServiceDir ${hsDir}\nHiddenServicePort 5222 127.0.0.1:${port}\n`);
    const tor = new ManagedTor({ dataDir: path.join(tmp, 'hs-tor'), torrcInclude: fragment, logger: silentLogger(), clock: systemClock });
    await tor.start();
    try {
      const h = startDn(['--hidden-service-dir', hsDir, '--listen', `127.0.0.1:${port}`]);
      const r = await h.ready(30_000);
      const host = (await readFile(path.join(hsDir, 'hostname'), 'utf8')).trim();
      expect(r.onion).toBe(`${host}:5222`);
      expect(r.listen).toBe(`127.0.0.1:${port}`);
      onion = host;
      const d = client();
      d.start();
      expect((await d.whenConnected(60_000)).motd).toContain(`DIRECTORY NODE: ${host}:5222\n`);
      await d.stop();
      expect(await h.stop()).toBe(0);
    } finally {
      await tor.stop();
    }
  }, LONG);

  it('one-line errors, exit 1: authentication refused, cookie unreadable', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--tor-password', 'wrong'], /^jm-directory: tor refused HASHEDPASSWORD authentication: 515 .*\n$/],
      [['--tor-cookie-file', path.join(tmp, 'no-cookie')], /^jm-directory: cannot read tor control cookie .*no-cookie: ENOENT\n$/],
    ];
    for (const [extra, want] of cases) {
      const d = startDn(['--tor-control', `127.0.0.1:${tn.controlPort}`, '--data-dir', path.join(tmp, 'err'), ...extra]);
      expect(await d.exited).toBe(1);
      expect(d.stderr).toMatch(want);
    }
  }, LONG);
});
