/**
 * Output held for peers that do not read: bounded per connection (high-water mark, checked
 * whenever output is added) and for the whole DN (output budget; largest queues cut first).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DnPeer, startTestDirectory, testNick } from '../../helpers/dn-peer.js';
import { expectStillServing, until } from '../../helpers/dn-checks.js';
import type { DirectoryServer } from '../../../src/directory/index.js';

let dn: DirectoryServer;
let port: number;
const open: DnPeer[] = [];

afterEach(async () => {
  for (const p of open.splice(0)) p.destroy();
  await dn.stop();
});

/** Bytes the DN's sockets hold for every registered peer (what they have not read). */
function heldForPeers(): number {
  let n = 0;
  for (const c of dn.registry.peers) n += c.socket.writableLength;
  return n;
}

describe('output held for peers that do not read', () => {
  it('non-readers each under the high-water mark: the DN-wide budget cuts the largest, honest peers stay', async () => {
    const budget = 2 * 1024 * 1024;
    // No privmsg byte budgets and no soft mark (privmsgs to a full queue would be dropped): only
    // the output budget stands between these queues and the DN's memory.
    ({ dn, port } = await startTestDirectory({
      limits: { ratePrivmsgPerMin: 0, outputBudgetBytes: budget, privmsgBytesPerMin: 0, privmsgRecvBytesPerSec: 0, writeSoftMarkBytes: 0 },
    }));
    const honest = await DnPeer.joined(port, { nick: testNick('honest') });
    open.push(honest);
    const body = 'q'.repeat(39_000);
    const attackers: DnPeer[] = [];
    for (let i = 0; i < 6; i++) {
      const nick = testNick(`non-reader-${i}`);
      const p = await DnPeer.joined(port, { nick });
      open.push(p);
      attackers.push(p);
      p.socket.pause();
      const conn = dn.registry.byNick(nick)!;
      // Privmsgs to itself until the kernel buffers are full and ~600 kB wait in the DN's
      // socket: under the 1 MiB high-water mark, so only the budget can catch it.
      for (let n = 0; n < 2_000 && conn.socket.writableLength < 600_000 && dn.registry.byNick(nick) === conn; n++) {
        const routed = dn.stats.routed.privmsg;
        p.send(685, `${nick}!${nick}!${body} 02ab c2ln`);
        await until(() => dn.stats.routed.privmsg > routed || dn.registry.byNick(nick) !== conn, 'the privmsg relayed');
      }
    }
    expect(heldForPeers()).toBeLessThanOrEqual(budget);
    expect(dn.stats.slowReaderDisconnects).toBe(0);
    expect(dn.stats.disconnects.get('output-budget') ?? 0).toBeGreaterThanOrEqual(1);
    await honest.barrier();
    expect(honest.isClosed).toBe(false);
    await expectStillServing(port, 'output-budget', open);
  });
});
