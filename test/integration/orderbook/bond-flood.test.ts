/**
 * `!tbond` floods at the watcher over our DN: every privmsg may carry a bond proof, and each
 * new proof costs two ECDSA checks and chain lookups. A proof a nick already holds costs
 * nothing; new ones are checked within a budget per nick and overall; the honest maker's bond
 * is still checked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NickIdentity } from '../../../src/client/identity.js';
import { DirectoryPool } from '../../../src/client/directory-pool.js';
import { OrderbookWatcher } from '../../../src/orderbook/watcher.js';
import type { BondChain } from '../../../src/orderbook/bonds.js';
import { buildBondProof } from '../../../src/protocol/bond-proof.js';
import { MsgType } from '../../../src/protocol/message-types.js';
import { DnPeer } from '../../helpers/dn-peer.js';
import { NETWORK, TEST_BOND, startDirectories, stubChain, waitFor } from './watch-helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** stubChain, counting the UTXO lookups (one per chain check that gets past the signatures). */
function countingChain(): { chain: BondChain; lookups: () => number } {
  const base = stubChain(100_000_000);
  let n = 0;
  return { chain: { ...base, getTxOut: (t, v) => (n++, base.getTxOut(t, v)) }, lookups: () => n };
}

async function setup(opts: { bondProofsGlobal?: number } = {}) {
  const { servers, addrs } = await startDirectories(1);
  cleanups.push(async () => { for (const s of servers) await s.stop(); });
  const c = countingChain();
  const pool = new DirectoryPool({ directories: addrs, identity: NickIdentity.random(), network: NETWORK });
  const watcher = new OrderbookWatcher({ pool, network: NETWORK, chain: c.chain, ...opts });
  watcher.start();
  pool.start();
  cleanups.push(() => pool.stop(), () => watcher.stop());
  await pool.whenConnected(10_000);
  const join = async (id: NickIdentity): Promise<DnPeer> => {
    const p = await DnPeer.joined(addrs[0]!.port, { nick: id.nick, network: NETWORK });
    cleanups.push(() => p.destroy());
    return p;
  };
  return { pool, watcher, join, lookups: c.lookups };
}

/** An offers reply with a bond proof for the watcher's nick; `certExpiry` makes each proof distinct. */
function reply(id: NickIdentity, to: string, certExpiry: number): string {
  const proof = buildBondProof({ takerNick: to, makerNick: id.nick, ...TEST_BOND, certExpiry }).base64;
  return id.signPrivmsg(to, 'sw0reloffer', `0 27300 5000000 0 0.0002!tbond ${proof}`);
}

/** Sends an offer with oid 9 after everything else and waits for it: the peer's earlier privmsgs were all handled. */
async function marker(watcher: OrderbookWatcher, p: DnPeer, id: NickIdentity, to: string): Promise<void> {
  p.send(MsgType.PRIVMSG, id.signPrivmsg(to, 'sw0absoffer', '9 27300 5000000 0 250'));
  await waitFor(watcher, () => watcher.book.get(id.nick)?.offers.has(9) === true, 20_000, 'the marker offer');
}

describe('watcher under a !tbond flood', () => {
  it('one nick sending 100 distinct proofs gets two checked; repeating one proof costs no lookup', async () => {
    const { pool, watcher, join, lookups } = await setup();
    const mallory = NickIdentity.random();
    const p = await join(mallory);
    for (let i = 0; i < 100; i++) p.send(MsgType.PRIVMSG, reply(mallory, pool.nick, 400 + i));
    await marker(watcher, p, mallory, pool.nick);
    expect(watcher.bondProofsDropped).toBe(98);
    await waitFor(watcher, () => lookups() === 2, 10_000, 'two chain checks');

    const alice = NickIdentity.random();
    const honest = await join(alice);
    const line = reply(alice, pool.nick, 450);
    for (let i = 0; i < 50; i++) honest.send(MsgType.PRIVMSG, line); // the same reply again and again
    await waitFor(watcher, () => watcher.orderbook().bonds.some((b) => b.nick === alice.nick && b.status === 'verified'), 10_000, 'honest bond verified');
    expect(lookups()).toBe(3);
    expect(watcher.bondProofsDropped).toBe(98);
  }, 60_000);

  it('many nicks with one proof each: no more checks than the overall budget', async () => {
    const { pool, watcher, join, lookups } = await setup({ bondProofsGlobal: 10 });
    const nicks = Array.from({ length: 30 }, () => NickIdentity.random());
    const peers = await Promise.all(nicks.map(join));
    peers.forEach((p, i) => p.send(MsgType.PRIVMSG, reply(nicks[i]!, pool.nick, 450)));
    await Promise.all(peers.map((p, i) => marker(watcher, p, nicks[i]!, pool.nick)));
    expect(watcher.bondProofsDropped).toBe(20);
    await waitFor(watcher, () => lookups() === 10, 10_000, 'ten chain checks');
    expect(watcher.orderbook().bonds).toHaveLength(10);
  }, 60_000);
});
