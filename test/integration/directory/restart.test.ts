/**
 * Restarts: a stopping directory tells every peer `<dn>;<loc>;D` before closing; our client
 * then retries at its first backoff step (not a growing one) and is back as soon as a new
 * directory listens on the same address.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DirectoryClient, NickIdentity } from '../../../src/client/index.js';
import { MsgType } from '../../../src/protocol/message-types.js';
import { DirectoryServer } from '../../../src/directory/index.js';
import { DnPeer, closesWithin, startTestDirectory, testNick } from '../../helpers/dn-peer.js';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('directory restart', () => {
  it('sends its own departure to every peer before closing; our client retries at the first backoff step until it is back', async () => {
    const { dn, port } = await startTestDirectory();
    const ref = await DnPeer.joined(port, { nick: testNick('ref-taker') });
    cleanup.push(() => ref.destroy());
    const c = new DirectoryClient({
      host: '127.0.0.1', port, identity: NickIdentity.random(), network: 'testnet',
      backoff: { initialMs: 100, factor: 10, maxMs: 60_000, jitter: 0.2 },
    });
    cleanup.push(() => c.stop());
    c.start();
    await c.whenConnected(10_000);
    const retries: number[] = [];
    c.on('disconnected', (d) => retries.push(d.retryInMs ?? -1));
    const self = `${dn.nick};${dn.publicLocation}`;
    await dn.stop();
    // The reference-style peer got the notice as its last line, then the close.
    expect(await closesWithin(ref)).toBe(true);
    expect(ref.unread.at(-1)).toBe(`{"type": ${MsgType.PEERLIST}, "line": "${self};D"}\r\n`);
    // Down for a while: several refused attempts, none of them beyond the first step (≤ 120 ms).
    while (retries.length < 4) await new Promise((r) => setTimeout(r, 20));
    expect(Math.max(...retries)).toBeLessThanOrEqual(120);
    const again = new DirectoryServer({ network: 'testnet', listen: { host: '127.0.0.1', port } });
    await again.start();
    cleanup.push(() => again.stop());
    const t0 = Date.now();
    await new Promise<void>((resolve) => c.once('connected', () => resolve()));
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(c.directory?.nick).toBe(again.nick);
  });
});
