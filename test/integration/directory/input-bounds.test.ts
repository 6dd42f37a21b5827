/**
 * Unterminated lines: one buffer per connection, a deadline to finish a started line (also
 * after the handshake), and a DN-wide budget that cuts the oldest unfinished lines first.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DnPeer, closesWithin, startTestDirectory } from '../../helpers/dn-peer.js';
import { expectStillServing, joinAs, until } from '../../helpers/dn-checks.js';
import { encodeEnvelope } from '../../../src/protocol/framing.js';
import { ManualClock } from '../../../src/util/clock.js';
import type { DirectoryServer, DirectoryServerOptions } from '../../../src/directory/index.js';

let dn: DirectoryServer;
let port: number;
const open: DnPeer[] = [];
const join = (label: string) => joinAs(port, open, label);

async function setup(opts: Partial<DirectoryServerOptions> = {}): Promise<void> {
  ({ dn, port } = await startTestDirectory(opts));
}

afterEach(async () => {
  for (const p of open.splice(0)) p.destroy();
  await dn.stop();
});

describe('unterminated lines', () => {
  it('a handshaked peer that does not finish a started line is closed at the line deadline', async () => {
    const clock = new ManualClock();
    await setup({ clock, limits: { lineTimeoutMs: 10_000, sweepIntervalMs: 1_000 } });
    const dripper = await join('dripper');
    const finisher = await join('finisher');
    const watcher = await join('watcher');
    const base = dn.stats.bytesIn;
    const never = `{"type": 687, "line": "${dripper.nick}!PUBLIC!never ends`;
    const half = `{"type": 687, "line": "${finisher.nick}!PUBLIC!slow but`;
    dripper.p.sendRaw(never);
    finisher.p.sendRaw(half);
    await until(() => dn.stats.bytesIn === base + never.length + half.length, 'both unfinished lines read');
    clock.advance(9_000);
    finisher.p.sendRaw(' complete"}\r\n');
    expect(await watcher.p.nextLine()).toBe(encodeEnvelope(687, `${finisher.nick}!PUBLIC!slow but complete`));
    expect(dripper.p.isClosed).toBe(false);
    clock.advance(1_000);
    expect(await closesWithin(dripper.p)).toBe(true);
    expect(dn.stats.disconnects.get('line-timeout')).toBe(1);
    await finisher.p.barrier();
    expect(finisher.p.isClosed).toBe(false);
    expect(dn.partialLineBytes).toBe(0);
    await expectStillServing(port, 'deadline', open);
  });

  it('dripped bytes are held in one buffer per connection (50 peers x 1,000 one-byte writes)', async () => {
    await setup({ limits: { ratePubmsgPerMin: 0, pubmsgBytesPerMin: 0 } });
    const drippers = await Promise.all(Array.from({ length: 50 }, (_, i) => join(`drip-${i}`)));
    for (const d of drippers) d.p.socket.setNoDelay(true);
    const line = (nick: string): Buffer => Buffer.from(`{"type": 687, "line": "${nick}!PUBLIC!${'z'.repeat(1_500)}"}\r\n`);
    const lines = drippers.map((d) => line(d.nick));
    for (let i = 0; i < 1_000; i++) {
      drippers.forEach((d, k) => d.p.sendRaw(lines[k]!.subarray(i, i + 1)));
      await new Promise((r) => setImmediate(r));
    }
    await until(() => dn.partialLineBytes >= 50 * 1_000, 'every dripped byte read');
    // 1,000 bytes each, in a buffer that doubled from 256: 1,024 bytes per connection.
    expect(dn.partialLineBytes).toBe(50 * 1_024);
    const watcher = await join('watcher');
    for (const [k, d] of drippers.entries()) d.p.sendRaw(lines[k]!.subarray(1_000));
    for (let k = 0; k < drippers.length; k++) await watcher.p.waitFor((l) => l.startsWith('{"type": 687'));
    expect(dn.partialLineBytes).toBe(0);
  });

  it('over the input budget, the peers whose lines started first are cut', async () => {
    await setup({ limits: { inputBudgetBytes: 256 * 1024 } });
    const holders: Array<{ p: DnPeer; nick: string }> = [];
    for (let i = 0; i < 8; i++) {
      const h = await join(`holder-${i}`);
      holders.push(h);
      const before = dn.partialLineBytes;
      h.p.sendRaw(`{"type": 687, "line": "${h.nick}!PUBLIC!${'w'.repeat(39_000)}`);
      await until(() => dn.partialLineBytes > before || dn.stats.disconnects.get('input-budget') !== undefined, `holder ${i} counted`);
    }
    // 8 x ~39 kB > 256 kB: the first two started lines are cut, the rest stay.
    expect(await closesWithin(holders[0]!.p)).toBe(true);
    expect(await closesWithin(holders[1]!.p)).toBe(true);
    expect(dn.stats.disconnects.get('input-budget')).toBe(2);
    expect(dn.partialLineBytes).toBeLessThanOrEqual(256 * 1024);
    const last = holders[7]!;
    last.p.sendRaw('"}\r\n');
    await last.p.barrier();
    expect(last.p.isClosed).toBe(false);
    await expectStillServing(port, 'budget', open);
  });
});
