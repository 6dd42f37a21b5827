/**
 * The squatting scenario: right after a directory restart, before the real maker is back, an
 * attacker claims the maker's nick and its location. In prefer mode the maker, which
 * authenticates its nick and serves its location, gets both back on every reconnect; in require
 * mode the attacker cannot even connect.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DirectoryServer } from '../../../src/directory/index.js';
import type { NickAuthMode } from '../../../src/directory/nick-auth.js';
import { DnPeer, closesWithin } from '../../helpers/dn-peer.js';
import { startLoopbackMaker, until } from '../../helpers/loopback-maker.js';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function dnOn(port: number, mode: NickAuthMode): Promise<DirectoryServer> {
  const dn = new DirectoryServer({ network: 'regtest', listen: { host: '127.0.0.1', port }, nickAuth: { mode } });
  await dn.start();
  return dn;
}

describe.each(['prefer', 'require'] as const)('squatting after a DN restart (%s mode)', (mode) => {
  it('the real maker gets its nick and location back on 3 of 3 reconnects; the attacker gets neither', async () => {
    let dn = await dnOn(0, mode);
    const port = dn.address!.port;
    const m = await startLoopbackMaker(port, { backoff: { initialMs: 300, maxMs: 300, jitter: 0 } });
    cleanup.push(() => m.stop());
    const { identity, location } = m;
    for (let round = 1; round <= 3; round++) {
      await dn.stop();
      dn = await dnOn(port, mode);
      // The attacker is faster than the maker's backoff: it claims the nick and the location.
      const squatter = await DnPeer.connect(port);
      cleanup.push(() => squatter.destroy());
      const reply = await squatter.handshake({ nick: identity.nick, network: 'regtest', location, features: { ping: true } });
      expect(reply.accepted).toBe(mode === 'prefer'); // require: refused outright
      await until(() => dn.registry.byNick(identity.nick)?.verifiedPubkey === identity.pubkeyHex, `round ${round}: the maker's verified registration`);
      await until(() => dn.registry.byNick(identity.nick)?.listedLocation === location, `round ${round}: the maker's proven location`);
      if (mode === 'prefer') expect(dn.stats.nickAuth.displaced).toBe(1);
      expect(await closesWithin(squatter)).toBe(true); // displaced (prefer) or refused (require)
    }
    await dn.stop();
  }, 60_000);
});
