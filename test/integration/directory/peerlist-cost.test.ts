/**
 * GETPEERLIST cannot amplify: besides the per-peer request rate, the reply bytes are charged
 * to the requester's byte allowance; a request in debt gets no reply.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DnPeer, startTestDirectory, testNick } from '../../helpers/dn-peer.js';
import { expectStillServing } from '../../helpers/dn-checks.js';
import { parsePeerlist } from '../../../src/protocol/peerlist.js';
import type { DirectoryServer } from '../../../src/directory/index.js';

let dn: DirectoryServer;
let port: number;
const open: DnPeer[] = [];

afterEach(async () => {
  for (const p of open.splice(0)) p.destroy();
  await dn.stop();
});

/** Every PEERLIST line the peer has received but not consumed. */
const peerlists = (p: DnPeer): string[] => p.unread.filter((l) => l.startsWith('{"type": 789,'));

describe('GETPEERLIST reply cost', () => {
  it('reply bytes are charged to the requester: 6 quick requests within the count limit get 2 replies', async () => {
    ({ dn, port } = await startTestDirectory({ limits: { peerlistBytesPerMin: 4_096, rateGetpeerlistPerMin: 6 } }));
    for (let i = 0; i < 60; i++) open.push(await DnPeer.joined(port, { nick: testNick(`maker-${i}`), location: `127.0.0.1:${10_000 + i}` }));
    const asker = await DnPeer.joined(port, { nick: testNick('asker') });
    open.push(asker);
    for (let i = 0; i < 6; i++) asker.send(791, '');
    await asker.barrier();
    const lines = peerlists(asker);
    const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
    // One reply is 61 entries in 4 lines, ~2.1 kB: the 4,096-byte allowance pays for two.
    expect(lines).toHaveLength(8);
    expect(lines.flatMap((l) => parsePeerlist(JSON.parse(l).line as string))).toHaveLength(2 * 61);
    expect(bytes).toBeLessThanOrEqual(4_096 + bytes / 2);
    expect(dn.stats.rateLimitDrops.peerlist_bytes).toBe(4);
    expect(asker.isClosed).toBe(false);
    await expectStillServing(port, 'peerlist', open);
  });
});
