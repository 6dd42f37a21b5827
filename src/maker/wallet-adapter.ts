/**
 * The real Wallet + Bitcoin Core behind the maker's ports: coins from the last sync (bonds and
 * frozen/locked coins excluded), fresh internal addresses persisted through `persist`, keys
 * only for our own P2WPKH scripts, chain facts via gettxout / gettransaction, and the best
 * fidelity bond with a proof re-certified as the tip moves (BondProver).
 */
import { z } from 'zod';
import type { MakerUtxo } from '../protocol/coinjoin/tx-check.js';
import type { Outpoint } from '../protocol/coinjoin/utxo.js';
import { BondProver } from '../wallet/bond-prover.js';
import { coreBondChain } from '../wallet/backend/bond-verifier.js';
import { bestBond, describeBonds } from '../wallet/backend/bonds.js';
import { RpcError } from '../wallet/backend/rpc-errors.js';
import type { CoreRpc } from '../wallet/backend/rpc.js';
import type { WalletSync } from '../wallet/backend/sync.js';
import { chainUtxo, p2wpkhPrivateKey, spendableP2wpkhCoins } from '../wallet/coins.js';
import { EXTERNAL, INTERNAL } from '../wallet/hd.js';
import type { Wallet } from '../wallet/wallet.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { MakerBond, MakerChain, MakerCoin, MakerWallet, TxStatus, UtxoInfo } from './ports.js';

export interface CoreWalletOptions {
  /** Saves the wallet file after an address index moved (never loses a handed-out address). */
  persist?: () => Promise<void>;
  logger?: Logger;
}

export class CoreMakerWallet implements MakerWallet, MakerChain {
  private saving: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  /** `rpc` is the node RPC; `sync.coreRpc` the watch-only wallet RPC. */
  constructor(readonly wallet: Wallet, readonly sync: WalletSync, readonly rpc: CoreRpc, private readonly o: CoreWalletOptions = {}) {
    this.log = o.logger ?? silentLogger();
  }

  get mixdepthCount(): number {
    return this.wallet.mixdepthCount;
  }

  async refresh(): Promise<void> {
    await this.sync.sync();
  }

  coins(mixdepth: number): MakerCoin[] {
    return spendableP2wpkhCoins(this.wallet, mixdepth);
  }

  freshAddress(mixdepth: number, internal: boolean): string {
    const a = this.wallet.nextAddress(mixdepth, internal ? INTERNAL : EXTERNAL);
    if (this.o.persist) {
      const persist = this.o.persist;
      this.saving = this.saving.then(persist).catch((e: unknown) => this.log.error({ err: (e as Error).message }, 'could not save the wallet file'));
    }
    return a.address;
  }

  /** Resolves when pending wallet-file writes are done. */
  flush(): Promise<void> {
    return this.saving;
  }

  privateKey(u: MakerUtxo): Uint8Array {
    return p2wpkhPrivateKey(this.wallet, u);
  }

  lock(us: readonly Outpoint[]): void {
    for (const u of us) this.wallet.lockUtxo(u);
  }

  unlock(us: readonly Outpoint[]): void {
    for (const u of us) this.wallet.unlockUtxo(u);
  }

  getUtxo(o: Outpoint): Promise<UtxoInfo | null> {
    return chainUtxo(this.rpc, o);
  }

  /** The tx pays our watched cj address, so the watch-only wallet knows it once it exists. */
  async txStatus(txid: string): Promise<TxStatus> {
    try {
      const t = await this.sync.coreRpc.call('gettransaction', [txid], z.object({ confirmations: z.number().int() }), { wallet: true });
      return t.confirmations > 0 ? 'confirmed' : t.confirmations === 0 ? 'mempool' : 'unseen';
    } catch (e) {
      if (e instanceof RpcError) return 'unseen';
      throw e;
    }
  }

  broadcast(rawHex: string): Promise<string> {
    return this.rpc.sendRawTransaction(rawHex);
  }

  tipHeight(): Promise<number> {
    return this.rpc.getBlockCount();
  }
}

/** The wallet's best confirmed bond as a MakerBond, or null when it has none. */
export async function loadMakerBond(wallet: Wallet, rpc: CoreRpc): Promise<MakerBond | null> {
  const { bonds } = await describeBonds(wallet.bondUtxos(), coreBondChain(rpc));
  const best = bestBond(bonds);
  if (!best || !best.utxo.bond) return null;
  const key = wallet.keys.bondKey(best.utxo.bond.timenumber).privateKey;
  if (!key) throw new Error('wallet has no bond private key');
  const prover = new BondProver({ txid: best.utxo.txid, vout: best.utxo.vout, locktime: best.locktime, utxoPrivateKey: Uint8Array.from(key) });
  const info = { txid: best.utxo.txid, vout: best.utxo.vout, locktime: best.locktime, valueSats: Number(best.utxo.valueSat) };
  return {
    // the tip decides the certificate expiry; BondProver re-signs when it moves to a new period
    proofFor: async (taker, maker) => prover.proofFor(taker, maker, await rpc.getBlockCount()),
    describe: () => info,
  };
}
