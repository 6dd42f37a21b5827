/**
 * Failures on our side during a round (the node, the wallet file, a bug of ours) end it
 * cleanly: no unhandled rejection, a clear error, no maker blamed, and no retry that would
 * spend another commitment while the cause is still there.
 */
import { describe, expect, it } from 'vitest';
import type { Outpoint } from '../../../src/protocol/coinjoin/utxo.js';
import { CoreTakerWallet } from '../../../src/taker/adapters.js';
import type { ChainUtxo, TakerChain, TakerNetwork } from '../../../src/taker/ports.js';
import { CoreRpc } from '../../../src/wallet/backend/rpc.js';
import { getNetwork } from '../../../src/wallet/network.js';
import { Wallet } from '../../../src/wallet/wallet.js';
import { FakeTakerWallet } from './bus.js';
import { TAKER, worldsStoppedAfterEach, type World } from './world.js';

const world = worldsStoppedAfterEach();
async function twoMakers(): Promise<World> {
  const w = world();
  await w.honest('J5makerAOOOOOOOO');
  await w.honest('J5makerBOOOOOOOO');
  return w;
}

/** The world's chain, with our node's UTXO lookups replaced. */
function chainWith(w: World, getUtxo: (o: Outpoint) => Promise<ChainUtxo | null>): TakerChain {
  return { getUtxo, broadcast: (hex) => w.chain.broadcast(hex), tipHeight: () => w.chain.tipHeight() };
}

describe('Taker: failures on our side end the round cleanly', () => {
  it('an RPC error while checking a maker input: clear error, no maker blamed, no second commitment', async () => {
    const w = await twoMakers();
    const chain = chainWith(w, async () => {
      throw new Error('RPC timeout after 30000 ms');
    });
    const e = await w.taker({ chain }).coinjoin({ ...w.request(2), maxAttempts: 3 }).catch((x: Error) => x);
    expect((e as Error).message).toMatch(/^coinjoin failed: our node could not check J5maker[AB]OOOOOOOO's inputs: RPC timeout after 30000 ms$/);
    expect(w.commitments.size).toBe(1);
    expect(w.chain.broadcasts).toEqual([]);
  });

  it('a node too slow to answer by the !ioauth deadline: makers that answered are not blamed', async () => {
    const w = await twoMakers();
    const chain = chainWith(w, () => new Promise<never>(() => {}));
    const e = await w.taker({ chain }).coinjoin({ ...w.request(2), maxAttempts: 3 }).catch((x: Error) => x);
    expect((e as Error).message).toBe('coinjoin failed: our node did not finish checking the makers\' inputs in time');
    expect(w.commitments.size).toBe(1);
  });

  it('a bug of ours after every maker answered (sending !tx throws) ends the round with that error', async () => {
    const w = await twoMakers();
    const inner = w.bus.taker(TAKER);
    const net: TakerNetwork = {
      nick: TAKER,
      onPrivmsg: (h) => inner.onPrivmsg(h),
      send: (to, cmd, args) => {
        if (cmd === 'tx') throw new Error('socket went away');
        return inner.send(to, cmd, args);
      },
    };
    const e = await w.taker({ net }).coinjoin(w.request(2)).catch((x: Error) => x);
    expect((e as Error).message).toBe('coinjoin failed: internal error: socket went away');
    expect(w.commitments.size).toBe(1);
  });

  it('a change address that cannot be saved stops the coinjoin before any commitment is spent', async () => {
    const w = await twoMakers();
    class UnsavableWallet extends FakeTakerWallet {
      override changeAddress(): Promise<string> {
        return Promise.reject(new Error('cannot save wallet.jmw: ENOSPC'));
      }
    }
    const wallet = new UnsavableWallet(w.chain);
    wallet.addCoin(0, 2_000_000);
    await expect(w.taker({ wallet }).coinjoin(w.request(2))).rejects.toThrow('cannot save wallet.jmw: ENOSPC');
    expect(w.commitments.size).toBe(0);
  });

  it('CoreTakerWallet hands out a change address only once the wallet file holds its index', async () => {
    const wallet = Wallet.create({ network: getNetwork('regtest'), words: 12 });
    const rpc = new CoreRpc({ url: 'http://127.0.0.1:9', auth: { user: 'u', password: 'p' } });
    const failing = new CoreTakerWallet(wallet, rpc, () => Promise.reject(new Error('EACCES: wallet.jmw')));
    await expect(failing.changeAddress(0)).rejects.toThrow('EACCES: wallet.jmw');
    const saved: number[] = [];
    const ok = new CoreTakerWallet(wallet, rpc, async () => void saved.push(wallet.nextIndex(0, 1)));
    const a = await ok.changeAddress(0);
    expect(a).toBe(wallet.getAddress(0, 1, 1).address);
    expect(saved).toEqual([2]);
  });
});
