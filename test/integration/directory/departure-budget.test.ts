/**
 * The `;D` notice byte budget over real sockets (a real DirectoryServer, a ManualClock so the
 * bucket does not refill unless told): churners that each get one privmsg relayed and leave
 * are announced only until the budget is down to half; a maker that announced an offer is
 * still announced below half; the DN's own `;D` at shutdown reaches everyone whatever the
 * budget; a refilled budget announces again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DnPeer, startTestDirectory, testNick } from '../../helpers/dn-peer.js';
import { expectStillServing, joinAs, until } from '../../helpers/dn-checks.js';
import { ManualClock } from '../../../src/util/clock.js';
import type { DirectoryServer } from '../../../src/directory/index.js';
import type { HealthBody } from '../../../src/directory/health.js';

let dn: DirectoryServer;
let port: number;
const open: DnPeer[] = [];
// 1,000 bytes a second, 10 s worth: 10,000 bytes, of which ordinary departures may take 5,000.
const LIMITS = { departureCoalesceMs: 0, departureBytesPerSec: 1_000, broadcastBurstMs: 10_000 };

async function setup(clock: ManualClock, departureBytesPerSec = LIMITS.departureBytesPerSec): Promise<void> {
  ({ dn, port } = await startTestDirectory({ clock, locationProofs: { enabled: false }, http: { host: '127.0.0.1', port: 0 }, limits: { ...LIMITS, departureBytesPerSec } }));
}

/** `n` peers each join, privmsg `sink` (so others may know them) and leave; resolves once all are gone. */
async function churn(label: string, n: number, sink: string): Promise<void> {
  for (let i = 0; i < n; i += 25) {
    await Promise.all(Array.from({ length: Math.min(25, n - i) }, async (_, k) => {
      const nick = testNick(`${label}-${i + k}`);
      const c = await DnPeer.joined(port, { nick });
      c.send(685, `${nick}!${sink}!hi sig`);
      await c.barrier();
      c.destroy();
      await until(() => dn.registry.byNick(nick) === undefined, `${nick} gone`);
    }));
  }
}

/** `;D` entries (nicks) and their PEERLIST bytes among the lines the peer has received. */
function departures(p: DnPeer): { nicks: string[]; bytes: number } {
  const nicks: string[] = [];
  let bytes = 0;
  for (const l of p.unread) {
    if (!l.startsWith('{"type": 789,') || !l.includes(';D')) continue;
    bytes += Buffer.byteLength(l);
    for (const m of l.matchAll(/([^,;"]+);[^,;"]+;D/g)) nicks.push(m[1]!);
  }
  return { nicks, bytes };
}

async function health(): Promise<HealthBody> {
  const a = dn.httpAddress!;
  return (await (await fetch(`http://${a.host}:${a.port}/health`)).json()) as HealthBody;
}

afterEach(async () => {
  for (const p of open.splice(0)) p.destroy();
  await dn.stop();
});

describe('departure notice budget', () => {
  it('a churn of known nicks is announced down to half the budget, then dropped; an offering maker and the DN itself still are', async () => {
    await setup(new ManualClock());
    const watcher = await joinAs(port, open, 'watcher');
    const sink = await joinAs(port, open, 'sink');
    await churn('churner', 300, sink.nick);
    await watcher.p.barrier();
    const d = departures(watcher.p);
    // ~40 bytes a departure: 300 would be ~12 kB; about 5,000 went out, the rest were dropped.
    expect(d.bytes).toBeLessThanOrEqual(5_000);
    expect(d.bytes).toBeGreaterThan(4_000);
    const h = await health();
    expect(h.departures.dropped).toEqual({ priority: 0, other: 300 - d.nicks.length });
    expect(h.departures.dropped.other).toBeGreaterThan(100);
    expect(h.departures.level).toBeLessThan(0.51);
    expect(h.departures.level).toBeGreaterThan(0.49);
    const metrics = await (await fetch(`http://${dn.httpAddress!.host}:${dn.httpAddress!.port}/metrics`)).text();
    expect(metrics).toContain(`jm_directory_departure_drops_total{class="other"} ${300 - d.nicks.length}`);

    // A maker that announced an offer: announced below half, an ordinary nick leaving with it is not.
    const maker = await joinAs(port, open, 'maker');
    maker.p.send(687, `${maker.nick}!PUBLIC!!sw0reloffer 0 27300 1000000 0 0.0002`);
    await maker.p.barrier();
    await churn('late', 1, sink.nick);
    maker.p.destroy();
    await until(() => dn.registry.byNick(maker.nick) === undefined, 'maker gone');
    await watcher.p.barrier();
    const after = departures(watcher.p).nicks;
    expect(after.slice(d.nicks.length)).toEqual([maker.nick]);
    expect((await health()).departures.dropped).toEqual({ priority: 0, other: 301 - d.nicks.length });
    await expectStillServing(port, 'after-churn', open);

    // Shutdown: the DN's own `;D` reaches the watcher whatever the budget.
    const own = watcher.p.waitFor((l) => l === `{"type": 789, "line": "${dn.nick};${dn.publicLocation};D"}\r\n`);
    await dn.stop();
    expect(await own).toBeTruthy();
  });

  it('a refilled budget announces again', async () => {
    const clock = new ManualClock();
    await setup(clock);
    const watcher = await joinAs(port, open, 'watcher');
    const sink = await joinAs(port, open, 'sink');
    await churn('a', 200, sink.nick);
    await watcher.p.barrier();
    const before = departures(watcher.p).nicks.length;
    expect(before).toBeLessThan(200);
    clock.advance(10_000);
    await churn('b', 5, sink.nick);
    await watcher.p.barrier();
    expect(departures(watcher.p).nicks.length).toBe(before + 5);
  });

  it('0 turns the budget off: every known departure is announced', async () => {
    await setup(new ManualClock(), 0);
    const watcher = await joinAs(port, open, 'watcher');
    const sink = await joinAs(port, open, 'sink');
    await churn('c', 300, sink.nick);
    await watcher.p.barrier();
    expect(departures(watcher.p).nicks).toHaveLength(300);
    expect((await health()).departures).toEqual({ level: null, dropped: { priority: 0, other: 0 } });
  });
});
