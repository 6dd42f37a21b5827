/**
 * Proven locations in loopback mode, over real TCP: our real maker (DirectChannel + Maker) is
 * listed as serving only once the DN found its nick at its location; a squatter claiming that
 * location stays unlisted and connected; failures are retried with backoff within a budget;
 * concurrent probes are capped; a reconnecting maker is proven from the cache; the budget is the
 * location's; the DN's own ports and directories prove nobody; a full queue costs no attempt;
 * departures name the listed location.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NickIdentity } from '../../../src/client/identity.js';
import { DirectChannel } from '../../../src/maker/direct-channel.js';
import { MsgType } from '../../../src/protocol/message-types.js';
import { parsePeerlist } from '../../../src/protocol/peerlist.js';
import type { DirectoryServer } from '../../../src/directory/index.js';
import { DnPeer, startTestDirectory, testNick } from '../../helpers/dn-peer.js';
import { startLoopbackMaker, until } from '../../helpers/loopback-maker.js';

const stops: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function dnWith(limits: Parameters<typeof startTestDirectory>[0] = {}): Promise<{ dn: DirectoryServer; port: number }> {
  const r = await startTestDirectory({ network: 'regtest', http: { host: '127.0.0.1', port: 0 }, ...limits });
  stops.push(() => r.dn.stop());
  return r;
}

async function startMaker(port: number, identity?: NickIdentity) {
  const m = await startLoopbackMaker(port, identity ? { identity } : {});
  stops.push(() => m.stop());
  return m;
}

async function listing(port: number): Promise<Map<string, string>> {
  const p = await DnPeer.joined(port, { nick: testNick(`watch${Math.random()}`), network: 'regtest', features: { peerlist_features: true } });
  p.send(MsgType.GETPEERLIST, '');
  const env = await p.nextOfType(MsgType.PEERLIST);
  p.destroy();
  return new Map(parsePeerlist(env.line).map((e) => [e.nick, e.location]));
}

/** A port nothing listens on (bound, then closed). */
async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

/** Listeners that accept and never answer (each probe of them runs into its timeout). */
async function silentServers(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    const srv = net.createServer((sock) => {
      sock.on('error', () => {});
      sock.resume();
    }).listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    stops.push(() => new Promise((r) => srv.close(r)));
    ports.push((srv.address() as net.AddressInfo).port);
  }
  return ports;
}

describe('proven locations (loopback)', () => {
  it('lists our real maker as serving only once its location is proven; /metrics and /health count it', async () => {
    const { dn, port } = await dnWith({ locationProofs: { limits: { retryBaseMs: 60_000 } } });
    const m = await startMaker(port);
    await until(() => dn.locationCounts().proven === 1, 'the proof');
    expect((await listing(port)).get(m.nick)).toBe(m.location);
    expect(dn.prover!.stats).toMatchObject({ probes: 1, proven: 1, failed: 0 });
    const http = dn.httpAddress!;
    const health = (await (await fetch(`http://${http.host}:${http.port}/health`)).json()) as Record<string, unknown>;
    expect(health.locations).toEqual({ proven: 1, pending: 0, failed: 0 });
    const metrics = await (await fetch(`http://${http.host}:${http.port}/metrics`)).text();
    expect(metrics).toContain('jm_directory_locations{state="proven"} 1');
    expect(metrics).toContain('jm_directory_location_proofs_total{event="probes"} 1');
  });

  it('a squatter claiming the maker\'s location stays unlisted and connected; it never blocks the maker', async () => {
    const { dn, port } = await dnWith({ locationProofs: { limits: { retryBaseMs: 60_000, minIntervalMs: 100 } } });
    // The maker's listener exists before the maker joins: the squatter claims it first.
    const identity = NickIdentity.random();
    const direct = new DirectChannel({ identity, network: 'regtest' });
    const location = await direct.listen();
    await direct.stop();
    const squatNick = testNick('squatter');
    const squatter = await DnPeer.joined(port, { nick: squatNick, network: 'regtest', location, features: { ping: true } });
    stops.push(() => squatter.destroy());
    await until(() => dn.locationCounts().failed === 1, 'the squatter\'s failed proof');
    const m = await startMaker(port, identity); // its failed-over location may be a fresh port: claim that one too
    const squatter2 = await DnPeer.joined(port, { nick: testNick('squatter2'), network: 'regtest', location: m.location, features: { ping: true } });
    stops.push(() => squatter2.destroy());
    await until(() => dn.locationCounts().proven === 1 && dn.locationCounts().failed === 2, 'the proofs');
    const listed = await listing(port);
    expect(listed.get(m.nick)).toBe(m.location);
    expect(listed.get(squatNick)).toBe('NOT-SERVING-ONION'); // listed, but never as serving
    await squatter2.barrier(); // still connected
    expect(dn.registry.byNick(testNick('squatter2'))?.listedLocation).toBe('NOT-SERVING-ONION');
  });

  it('retries a failed proof with backoff until the location\'s budget is spent, without disconnecting; fresh nicks get no fresh attempts', async () => {
    const { dn, port } = await dnWith({ locationProofs: { limits: { retryBaseMs: 100, maxAttempts: 3, minIntervalMs: 0 } } });
    const deadPort = await freePort(); // nothing listens there
    const key = `127.0.0.1:${deadPort}`;
    const claim = (label: string): Promise<DnPeer> => DnPeer.joined(port, { nick: testNick(label), network: 'regtest', location: key, features: { ping: true } });
    const p = await claim('nobody-home');
    stops.push(() => p.destroy());
    await until(() => dn.prover!.status(key)?.attempts === 3, 'three failed probes');
    // Spent: the next probe is armed a whole retryMaxMs (30 min) after the last failure.
    const st = dn.prover!.status(key)!;
    expect(st).toMatchObject({ state: 'waiting', reason: expect.stringMatching(/^dial failed/) });
    expect(st.dueAt - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(dn.prover!.stats.probes).toBe(3);
    await p.barrier();
    expect(dn.locationCounts()).toEqual({ proven: 0, pending: 0, failed: 1 });
    // A fresh nick claiming the same location is told at once and dials nothing; so is one
    // that claims it after every earlier claimant left (the budget outlives them).
    const fresh = await claim('fresh-nick');
    stops.push(() => fresh.destroy());
    expect(dn.locationCounts()).toEqual({ proven: 0, pending: 0, failed: 2 });
    p.destroy();
    fresh.destroy();
    await until(() => dn.registry.size === 0, 'both gone');
    const later = await claim('later-nick');
    stops.push(() => later.destroy());
    expect(dn.locationCounts()).toEqual({ proven: 0, pending: 0, failed: 1 });
    expect(dn.prover!.stats.probes).toBe(3);
    expect(dn.prover!.status(key)).toMatchObject({ attempts: 3, state: 'waiting', claimants: 1 });
  });

  it('never dials its own listener or HTTP port, nor a loopback port outside the allowed range', async () => {
    const { dn, port } = await dnWith({ locationProofs: { loopbackPorts: { min: 2000, max: 65535 } } });
    const http = dn.httpAddress!.port;
    const claims = [`127.0.0.1:${port}`, `localhost:${http}`, '127.0.0.1:1999'];
    for (const [i, location] of claims.entries()) {
      const p = await DnPeer.joined(port, { nick: testNick(`self-${i}`), network: 'regtest', location, features: { ping: true } });
      stops.push(() => p.destroy());
    }
    expect(dn.prover!.stats).toMatchObject({ refused: 3, probes: 0 });
    expect(dn.locationCounts()).toEqual({ proven: 0, pending: 0, failed: 3 });
    for (const [i] of claims.entries()) expect((await listing(port)).get(testNick(`self-${i}`))).toBe('NOT-SERVING-ONION');
  });

  it('a location that answers as a directory proves nobody', async () => {
    const other = await dnWith({ locationProofs: { enabled: false } });
    const { dn, port } = await dnWith();
    const key = `127.0.0.1:${other.port}`;
    const p = await DnPeer.joined(port, { nick: testNick('claims-a-dn'), network: 'regtest', location: key, features: { ping: true } });
    stops.push(() => p.destroy());
    await until(() => dn.prover!.status(key)?.attempts === 1, 'the failed probe');
    expect(dn.prover!.status(key)!.reason).toBe('the location is a directory node');
    expect(dn.locationCounts().failed).toBe(1);
  });

  it('a claim that finds the probe queue full spends no attempt and is proven once there is room (maxQueued hit)', async () => {
    const silent = await silentServers(2);
    const { dn, port } = await dnWith({ locationProofs: { limits: { maxConcurrent: 1, maxQueued: 1, maxAttempts: 1, timeoutLoopbackMs: 300, retryBaseMs: 200 } } });
    for (const [i, sp] of silent.entries()) {
      const p = await DnPeer.joined(port, { nick: testNick(`queued${i}`), network: 'regtest', location: `127.0.0.1:${sp}`, features: { ping: true } });
      stops.push(() => p.destroy());
    }
    expect([dn.prover!.active, dn.prover!.queued]).toEqual([1, 1]);
    const m = await startMaker(port); // newer than both: waits for room
    await until(() => dn.prover!.stats.queueFull >= 1, 'the full queue');
    expect(dn.prover!.status(m.location)).toMatchObject({ attempts: 0, state: 'waiting' });
    await until(() => dn.locationCounts().proven === 1, 'the maker\'s proof');
    expect((await listing(port)).get(m.nick)).toBe(m.location);
  });

  it('a departure notice names the location as listed: proven as claimed, unproven as NOT-SERVING-ONION', async () => {
    const { dn, port } = await dnWith({ limits: { departureCoalesceMs: 0 }, locationProofs: { limits: { retryBaseMs: 60_000 } } });
    const watcher = await DnPeer.joined(port, { nick: testNick('watcher'), network: 'regtest', features: { ping: true } });
    stops.push(() => watcher.destroy());
    const m = await startMaker(port);
    await until(() => dn.locationCounts().proven === 1, 'the proof');
    const claimed = `127.0.0.1:${await freePort()}`;
    const squat = await DnPeer.joined(port, { nick: testNick('unproven'), network: 'regtest', location: claimed, features: { ping: true } });
    await until(() => dn.locationCounts().failed === 1, 'the failed proof');
    squat.destroy();
    expect(await watcher.waitFor((l) => l.includes(';D'))).toContain(`${testNick('unproven')};NOT-SERVING-ONION;D`);
    expect(watcher.received.toString()).not.toContain(claimed);
    await m.stop();
    expect(await watcher.waitFor((l) => l.includes(`${m.nick};`) && l.includes(';D'))).toContain(`${m.nick};${m.location};D`);
  });

  it('caps concurrent probes and proves a reconnecting maker from the cache', async () => {
    let open = 0;
    let maxOpen = 0;
    const silent = net.createServer((s) => {
      maxOpen = Math.max(maxOpen, ++open);
      s.on('close', () => open--);
      s.on('error', () => {});
      s.resume(); // reads and ignores everything, so it sees the probe hang up
    }).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    stops.push(() => new Promise((r) => silent.close(r)));
    const sp = (silent.address() as net.AddressInfo).port;
    const { dn, port } = await dnWith({ locationProofs: { limits: { maxConcurrent: 1, timeoutLoopbackMs: 300, retryBaseMs: 60_000 } } });
    // Three claims on distinct keys (loopback keys keep the port; localhost names the same host).
    for (const [i, loc] of [`127.0.0.1:${sp}`, `localhost:${sp}`].entries()) {
      const p = await DnPeer.joined(port, { nick: testNick(`silent${i}`), network: 'regtest', location: loc, features: { ping: true } });
      stops.push(() => p.destroy());
    }
    const m = await startMaker(port);
    await until(() => dn.locationCounts().proven === 1 && dn.locationCounts().failed >= 1, () => `the probes (${JSON.stringify(dn.locationCounts())} ${JSON.stringify(dn.prover!.stats)})`);
    expect(maxOpen).toBe(1);
    expect(dn.prover!.stats.probes).toBe(2); // 127.0.0.1 and localhost:<sp> are one location
    // The maker's DN connection drops; its pool reconnects with the same nick and location.
    const first = dn.registry.byNick(m.nick)!;
    first.socket.destroy();
    await until(() => dn.registry.byNick(m.nick) !== undefined && dn.registry.byNick(m.nick) !== first, 'the reconnection');
    await until(() => dn.locationCounts().proven === 1, 'the proof of the reconnection');
    expect(dn.prover!.stats).toMatchObject({ probes: 2, cacheHits: 1 });
    expect((await listing(port)).get(m.nick)).toBe(m.location);
  });
});
