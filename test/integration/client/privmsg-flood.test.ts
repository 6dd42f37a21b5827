/**
 * A peer on our DN sends a client thousands of privmsgs under its own nick with signatures
 * that do not verify (the DN's per-connection allowance is 6,000 a minute). Each used to cost
 * the receiver an ECDSA verification on its main thread; now a sender that fails three is not
 * verified again for a while, and an honest sender is still heard at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryPool } from '../../../src/client/directory-pool.js';
import { NickIdentity } from '../../../src/client/identity.js';
import type { DirectoryServer } from '../../../src/directory/index.js';
import { verifyPrivmsgFast, type SignedPrivmsg } from '../../../src/protocol/jm-message.js';
import { MsgType } from '../../../src/protocol/message-types.js';
import { DnPeer, startTestDirectory } from '../../helpers/dn-peer.js';

const FLOOD = 2_000;

describe('privmsg signature flood', () => {
  let dn: DirectoryServer;
  let port: number;
  let pool: DirectoryPool;
  let verifications = 0;
  const peers: DnPeer[] = [];

  beforeAll(async () => {
    ({ dn, port } = await startTestDirectory());
    pool = new DirectoryPool({
      directories: [{ host: '127.0.0.1', port }], identity: NickIdentity.random(), network: 'testnet',
      verifier: (m: SignedPrivmsg) => (verifications++, verifyPrivmsgFast(m)),
    });
    pool.start();
    await pool.whenConnected(10_000);
  });

  afterAll(async () => {
    for (const p of peers) p.destroy();
    await pool.stop();
    await dn.stop();
  });

  it(`${FLOOD} forged privmsgs from one nick cost three verifications; an honest privmsg after them is delivered`, async () => {
    const mallory = NickIdentity.random();
    const attacker = await DnPeer.joined(port, { nick: mallory.nick, network: 'testnet' });
    peers.push(attacker);
    let dropped = 0;
    const allDropped = new Promise<void>((resolve) => pool.on('forged', (f) => {
      if (f.from === mallory.nick && ++dropped === FLOOD) resolve();
    }));
    for (let i = 0; i < FLOOD; i++) {
      // a real signature over other args: every cheap check passes, ECDSA fails
      const line = mallory.signPrivmsg(pool.nick, 'error', `x${i}`).replace(` x${i} `, ` y${i} `);
      attacker.send(MsgType.PRIVMSG, line);
    }
    await allDropped;
    expect(verifications).toBe(3);
    expect(pool.client(pool.directoryIds()[0]!)!.privmsgChecks).toMatchObject({ failed: 3, overBudget: FLOOD - 3 });

    const alice = NickIdentity.random();
    const honest = await DnPeer.joined(port, { nick: alice.nick, network: 'testnet' });
    peers.push(honest);
    const heard = new Promise<string>((resolve) => pool.on('privmsg', (m) => m.from === alice.nick && resolve(`${m.cmd} ${m.args}`)));
    honest.send(MsgType.PRIVMSG, alice.signPrivmsg(pool.nick, 'fill', '0 100000 abc P01'));
    expect(await heard).toBe('fill 0 100000 abc P01');
    expect(verifications).toBe(4);
  }, 60_000);
});
