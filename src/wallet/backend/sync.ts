/**
 * Watch-only sync with Bitcoin Core (blockchain-backend.md §3, §5 items 2–4; §2.3 for the
 * legacy path): a watch-only Core wallet named jm_<fp>_<network>, ranged wpkh descriptors per
 * mixdepth/branch plus addr() for bond addresses; descriptor wallet + importdescriptors when
 * the node supports it, else a legacy wallet + importmulti. Then rescan (with progress),
 * gap-limit discovery via listreceivedbyaddress, and listunspent mapped to mixdepths.
 */
import type { Logger } from 'pino';
import { silentLogger } from '../../util/logger.js';
import { withChecksum } from '../descriptor.js';
import { EXTERNAL, INTERNAL } from '../hd.js';
import type { WalletUtxo } from '../utxo.js';
import type { Wallet } from '../wallet.js';
import { bytesToHex } from '../../protocol/crypto.js';
import { RpcError, RPC_WALLET_ERROR } from './rpc-errors.js';
import type { CoreRpc } from './rpc.js';
import type { ImportDescriptorRequest } from './rpc-schemas.js';

export type ImportMode = 'descriptors' | 'legacy';

export interface SyncOptions {
  /** Unused addresses kept watched past the last used one per branch (NG 20, REF 6). */
  gap?: number;
  /** Minimum descriptor range end per branch (NG scan_range 1000). */
  lookahead?: number;
  /** Bond timenumbers to watch: all 960 (REF) or a list. */
  bondTimenumbers?: 'all' | number[];
  /** 'auto': rescan only after new imports. */
  rescan?: 'auto' | 'always' | 'never';
  rescanFrom?: number;
  onProgress?: (p: { stage: 'import' | 'rescan' | 'scan'; fraction: number }) => void;
  /** How often the rescan progress is polled. */
  progressIntervalMs?: number;
  logger?: Logger;
}

export interface SyncResult {
  coreWallet: string;
  mode: ImportMode;
  created: boolean;
  imported: number;
  rescanned: boolean;
  tipHeight: number;
  medianTimePast: number;
  utxos: WalletUtxo[];
  balances: bigint[];
}

export class WalletSync {
  private readonly log: Logger;
  private readonly rpc: CoreRpc;
  private mode: ImportMode | null = null;

  constructor(private readonly wallet: Wallet, node: CoreRpc, private readonly o: SyncOptions = {}) {
    this.log = o.logger ?? silentLogger();
    this.rpc = node.withWallet(wallet.coreWalletName);
  }

  get coreRpc(): CoreRpc {
    return this.rpc;
  }

  /** Loads or creates the watch-only Core wallet; reports which import API it supports. */
  async ensureWatchWallet(): Promise<{ mode: ImportMode; created: boolean }> {
    const name = this.wallet.coreWalletName;
    let created = false;
    if (!(await this.rpc.listWallets()).includes(name)) {
      try {
        await this.rpc.loadWallet(name);
      } catch (e) {
        if (!(e instanceof RpcError)) throw e;
        this.log.info({ wallet: name }, 'creating watch-only Core wallet');
        try {
          await this.rpc.createWallet(name, true);
        } catch (e2) {
          // -4 "Compiled without sqlite support (required for descriptor wallets)": legacy fallback
          if (!(e2 instanceof RpcError && e2.code === RPC_WALLET_ERROR && /sqlite|descriptor/i.test(e2.message))) throw e2;
          await this.rpc.createWallet(name, false);
        }
        created = true;
      }
    }
    const info = await this.rpc.getWalletInfo();
    if (info.private_keys_enabled) throw new Error(`Core wallet "${name}" holds private keys; refusing to use it as our watch-only wallet`);
    this.mode = info.descriptors ? 'descriptors' : 'legacy';
    return { mode: this.mode, created };
  }

  /** Imports what is not yet watched; returns how many descriptors were imported. */
  async importMissing(gap: number): Promise<number> {
    const mode = this.mode ?? (await this.ensureWatchWallet()).mode;
    const fp = this.wallet.keys.fingerprint;
    const coin = this.wallet.network.coinType;
    const reqs: ImportDescriptorRequest[] = [];
    for (let md = 0; md < this.wallet.mixdepthCount; md++) {
      for (const chain of [EXTERNAL, INTERNAL] as const) {
        const end = Math.max(this.o.lookahead ?? 1000, this.wallet.nextIndex(md, chain) + gap) - 1;
        if (await this.isWatched(this.wallet.getAddress(md, chain, end).address)) continue;
        const desc = withChecksum(`wpkh([${fp}/84'/${coin}'/${md}']${this.wallet.keys.accountXpub(md)}/${chain}/*)`);
        reqs.push({ desc, range: [0, end], timestamp: 'now', internal: chain === INTERNAL, active: false });
      }
    }
    const bonds = this.o.bondTimenumbers ?? 'all';
    const list = bonds === 'all' ? this.wallet.allBonds() : bonds.map((n) => this.wallet.bond(n));
    const last = list[list.length - 1];
    if (last && !(await this.isWatched(last.address))) {
      for (const b of list) reqs.push({ desc: withChecksum(`addr(${b.address})`), timestamp: 'now' });
    }
    if (reqs.length === 0) return 0;
    this.o.onProgress?.({ stage: 'import', fraction: 0 });
    const results = mode === 'descriptors'
      ? await this.rpc.importDescriptors(reqs)
      : await this.rpc.importMulti(reqs.map((r) => ({ desc: r.desc, timestamp: r.timestamp, ...(r.range ? { range: r.range } : {}), watchonly: true as const })), false);
    const failed = results.map((r, i) => ({ r, desc: reqs[i]?.desc })).filter((x) => !x.r.success);
    if (failed.length > 0) throw new Error(`import into Core failed: ${failed.slice(0, 3).map((f) => `${f.desc}: ${f.r.error?.message ?? 'unknown'}`).join('; ')}`);
    this.o.onProgress?.({ stage: 'import', fraction: 1 });
    this.log.info({ count: reqs.length, mode }, 'imported watch-only descriptors');
    return reqs.length;
  }

  private async isWatched(address: string): Promise<boolean> {
    const info = await this.rpc.getAddressInfo(address);
    return info.ismine || info.iswatchonly === true;
  }

  /** rescanblockchain while polling getwalletinfo.scanning for progress. */
  async rescan(fromHeight: number): Promise<void> {
    let polling = true;
    const poll = (async () => {
      while (polling) {
        await new Promise((r) => setTimeout(r, this.o.progressIntervalMs ?? 500));
        if (!polling) break;
        try {
          const s = (await this.rpc.getWalletInfo()).scanning;
          if (s) this.o.onProgress?.({ stage: 'rescan', fraction: s.progress });
        } catch { /* progress is best effort */ }
      }
    })();
    try {
      this.o.onProgress?.({ stage: 'rescan', fraction: 0 });
      await this.rpc.rescanBlockchain(fromHeight);
      this.o.onProgress?.({ stage: 'rescan', fraction: 1 });
    } finally {
      polling = false;
      await poll;
    }
  }

  async sync(): Promise<SyncResult> {
    const gap = this.o.gap ?? 20;
    const { mode, created } = await this.ensureWatchWallet();
    let imported = 0;
    let rescanned = false;
    // discovery loop: used addresses move the indices, which can widen the watched window
    for (let round = 0; round < 100; round++) {
      let t = Date.now();
      const n = await this.importMissing(gap);
      this.log.debug({ ms: Date.now() - t, n }, 'import step');
      t = Date.now();
      imported += n;
      const policy = this.o.rescan ?? 'auto';
      if ((policy === 'auto' && (n > 0 || created) && !rescanned) || (policy === 'always' && !rescanned)) {
        await this.rescan(this.o.rescanFrom ?? 0);
        rescanned = true;
        this.log.debug({ ms: Date.now() - t }, 'rescan step');
      }
      // listreceivedbyaddress skips coinbase outputs, so unspent ones count as used too
      const used = new Set((await this.rpc.listReceivedByAddress(0)).map((r) => r.address));
      for (const u of await this.rpc.listUnspent(0)) if (u.address) used.add(u.address);
      if (!this.applyUsed(used, gap)) break;
    }
    const chain = await this.rpc.getBlockchainInfo();
    const utxos = this.mapUnspent(await this.rpc.listUnspent(0), chain.blocks);
    this.wallet.setUtxos(utxos);
    this.o.onProgress?.({ stage: 'scan', fraction: 1 });
    return { coreWallet: this.wallet.coreWalletName, mode, created, imported, rescanned, tipHeight: chain.blocks, medianTimePast: chain.mediantime, utxos, balances: this.wallet.balances() };
  }

  /** Marks used indices; true if any next index moved (so the window must be re-checked). */
  private applyUsed(used: Set<string>, gap: number): boolean {
    let moved = false;
    for (const a of this.wallet.watchWindow(gap)) {
      if (used.has(a.address) && this.wallet.markUsed(a.mixdepth, a.chain, a.index)) moved = true;
    }
    return moved;
  }

  private mapUnspent(rows: Awaited<ReturnType<CoreRpc['listUnspent']>>, tip: number): WalletUtxo[] {
    const out: WalletUtxo[] = [];
    for (const u of rows) {
      const owner = this.wallet.lookupScript(u.scriptPubKey);
      const base = { txid: u.txid, vout: u.vout, valueSat: u.valueSat, scriptPubKey: u.scriptPubKey, confirmations: u.confirmations, height: u.confirmations > 0 ? tip - u.confirmations + 1 : null };
      if (!owner) {
        this.log.warn({ outpoint: `${u.txid}:${u.vout}` }, 'UTXO in the watch-only wallet that we cannot map; ignored');
      } else if (owner.kind === 'p2wpkh') {
        const a = owner.addr;
        out.push({ ...base, address: a.address, mixdepth: a.mixdepth, chain: a.chain, index: a.index, path: a.path });
      } else {
        const b = owner.bond;
        out.push({ ...base, address: b.address, mixdepth: 0, chain: 2, index: b.timenumber, path: b.path, bond: { timenumber: b.timenumber, locktime: b.locktime, witnessScript: bytesToHex(b.witnessScript) } });
      }
    }
    return out;
  }
}
