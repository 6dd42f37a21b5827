/**
 * A real maker on loopback for directory tests (a fake wallet with one coin and a fake chain):
 * DirectChannel on 127.0.0.1 (its location), a DirectoryPool to the DN, and the Maker over both.
 */
import { DirectoryPool } from '../../src/client/directory-pool.js';
import type { BackoffOptions } from '../../src/client/backoff.js';
import { NickIdentity } from '../../src/client/identity.js';
import { CommitmentBlacklist } from '../../src/maker/commitments.js';
import { DirectChannel } from '../../src/maker/direct-channel.js';
import { Maker } from '../../src/maker/maker.js';
import { PoolChannel } from '../../src/maker/pool-channel.js';
import { DEFAULT_YIELD_CONFIG } from '../../src/protocol/coinjoin/yield.js';
import { FakeChain, FakeWallet, NET } from '../unit/maker/fakes.js';

export interface LoopbackMaker {
  nick: string;
  identity: NickIdentity;
  location: string;
  pool: DirectoryPool;
  stop(): Promise<void>;
}

export async function startLoopbackMaker(dnPort: number, o: { identity?: NickIdentity; backoff?: Partial<BackoffOptions> } = {}): Promise<LoopbackMaker> {
  const identity = o.identity ?? NickIdentity.random();
  const wallet = new FakeWallet();
  wallet.addCoin(0, 3_000_000);
  const direct = new DirectChannel({ identity, network: 'regtest' });
  const location = await direct.listen();
  const pool = new DirectoryPool({
    directories: [{ host: '127.0.0.1', port: dnPort }], identity, network: 'regtest', location, backoff: o.backoff ?? { initialMs: 50, maxMs: 200 },
  });
  const maker = new Maker({
    channels: [new PoolChannel(pool, {}), direct], wallet, chain: new FakeChain(), commitments: CommitmentBlacklist.memory(), network: NET,
    yieldConfig: { ...DEFAULT_YIELD_CONFIG, cjfeeR: '0.0002', txfee: 10, minsize: 100_000 }, algorithm: 'basic',
  });
  await maker.start();
  await pool.whenConnected(10_000);
  return { nick: identity.nick, identity, location, pool, stop: () => maker.stop() };
}

/** Polls `pred` every 20 ms; throws naming `what` after `ms`. */
export async function until(pred: () => boolean, what: string | (() => string), ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
