/**
 * The JoinMarket BIP84 wallet (wallet-and-bonds.md §2–§6): seed, mixdepth/branch indices,
 * address lookup, the last synced UTXO set, locks/freezes and P2WPKH signing. No chain I/O;
 * src/wallet/backend fills the UTXO set. Used by jm-wallet and (later) maker/taker.
 */
import { address as bjsAddress, Psbt, Transaction } from 'bitcoinjs-lib';
import { z } from 'zod';
import { bytesToHex } from '../protocol/crypto.js';
import { buildBondSpend } from './bond-spend.js';
import { selectCoins, type Selection } from './coin-select.js';
import {
  checkMixdepth, DEFAULT_MIXDEPTHS, EXTERNAL, HdKeys, INTERNAL, MAX_MIXDEPTHS,
  type Chain, type DerivedAddress, type DerivedBond,
} from './hd.js';
import { generateMnemonic, mnemonicToSeed, parseMnemonic, type MnemonicWords } from './mnemonic.js';
import { getNetwork, networkNameSchema, toBitcoinjs, type NetworkParams } from './network.js';
import { signP2wpkhInput, txidToHash } from './sign.js';
import { TIMENUMBER_COUNT } from './timenumber.js';
import { outpointKey, type WalletUtxo } from './utxo.js';
import { deriveWalletKey, openWalletText, sealWallet, DEFAULT_KDF, WalletFileError, WalletNetworkError, type KdfParams, type WalletKey } from './wallet-file.js';
import { outputWeight } from './vsize.js';
import { promises as fs } from 'node:fs';
import { assertPrivateFile, FileExistsError, InsecureFileError, writeFileAtomic } from '../util/atomic-file.js';

const idx = z.number().int().min(0).max(0x7fffffff);
export const walletDataSchema = z.object({
  kind: z.literal('jm-bip84'),
  mnemonic: z.string().min(1),
  extension: z.string(),
  network: networkNameSchema,
  mixdepths: z.number().int().min(1).max(MAX_MIXDEPTHS),
  /** Per mixdepth [next external index, next internal index]. */
  nextIndex: z.array(z.tuple([idx, idx])),
  frozen: z.array(z.string().regex(/^[0-9a-f]{64}:\d+$/)),
  createdAt: z.number().int(),
}).strict().refine((d) => d.nextIndex.length === d.mixdepths, 'nextIndex must have one entry per mixdepth');
export type WalletData = z.infer<typeof walletDataSchema>;

export type ScriptOwner = { kind: 'p2wpkh'; addr: DerivedAddress } | { kind: 'bond'; bond: DerivedBond };

export interface CreateWalletOptions {
  network: NetworkParams;
  mnemonic?: string;
  words?: MnemonicWords;
  extension?: string;
  mixdepths?: number;
  now?: number;
}

export interface SpendRequest {
  mixdepth: number;
  destination: string;
  /** Satoshis to pay; not with `sweep`. */
  amountSat?: bigint;
  sweep?: boolean;
  satPerVb: number;
  /** Coin control: spend only these coins of the mixdepth. */
  outpoints?: readonly { txid: string; vout: number }[];
}

export interface Prevout {
  index: number;
  valueSat: bigint;
  scriptPubKey: Uint8Array | string;
}

export class Wallet {
  readonly keys: HdKeys;
  private readonly data: WalletData;
  private readonly scripts = new Map<string, ScriptOwner>();
  private bondCache: DerivedBond[] | null = null;
  private utxoSet: WalletUtxo[] = [];
  private readonly locked = new Set<string>();
  /** Derived file key (from load or setPassword); kept so a save never re-runs scrypt. */
  private fileKey: WalletKey | null = null;

  private constructor(data: WalletData, readonly network: NetworkParams) {
    if (data.network !== network.name) throw new WalletNetworkError(data.network, network.name);
    this.data = data;
    this.keys = new HdKeys(mnemonicToSeed(data.mnemonic, data.extension), network);
  }

  static create(o: CreateWalletOptions): Wallet {
    const mixdepths = o.mixdepths ?? DEFAULT_MIXDEPTHS;
    const mnemonic = o.mnemonic !== undefined ? parseMnemonic(o.mnemonic) : generateMnemonic(o.words ?? 24);
    return new Wallet(walletDataSchema.parse({
      kind: 'jm-bip84', mnemonic, extension: o.extension ?? '', network: o.network.name, mixdepths,
      nextIndex: Array.from({ length: mixdepths }, () => [0, 0]), frozen: [],
      createdAt: Math.floor((o.now ?? Date.now()) / 1000),
    }), o.network);
  }

  static fromData(raw: unknown, network?: NetworkParams): Wallet {
    const r = walletDataSchema.safeParse(raw);
    if (!r.success) throw new WalletFileError(`wallet contents invalid: ${r.error.issues.map((i) => i.message).join('; ')}`);
    return new Wallet(r.data, network ?? getNetwork(r.data.network));
  }

  /** Reads and decrypts a wallet file; refuses one that others can read. */
  static async load(path: string, password: string, network?: NetworkParams): Promise<Wallet> {
    const text = await readWalletFile(path);
    const { plaintext, key } = await openWalletText(text, password);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(plaintext));
    } catch {
      throw new WalletFileError('wallet contents are not JSON');
    }
    const w = Wallet.fromData(json, network);
    w.fileKey = key;
    return w;
  }

  /** Derives the file key (scrypt, fresh salt) for a new wallet or a new password. */
  async setPassword(password: string, kdf: KdfParams = DEFAULT_KDF): Promise<void> {
    this.fileKey = await deriveWalletKey(password, kdf);
  }

  /** The KDF settings the file is (or will be) encrypted with; null before a password is set. */
  get kdf(): KdfParams | null {
    return this.fileKey && { N: this.fileKey.kdf.N, r: this.fileKey.kdf.r, p: this.fileKey.kdf.p };
  }

  /**
   * Writes the encrypted file atomically with mode 0600, using the key from load() or
   * setPassword(): the file's KDF settings are kept and no scrypt runs. Refuses to replace an
   * existing file unless `overwrite` (default true).
   */
  async save(path: string, o: { overwrite?: boolean } = {}): Promise<void> {
    if (!this.fileKey) throw new WalletFileError('no wallet password set (setPassword) before saving');
    const text = sealWallet(new TextEncoder().encode(JSON.stringify(this.data)), this.fileKey);
    try {
      await writeFileAtomic(path, text, { overwrite: o.overwrite ?? true });
    } catch (e) {
      if (e instanceof FileExistsError) throw new WalletFileError(e.message);
      throw e;
    }
  }

  toData(): WalletData {
    return structuredClone(this.data);
  }

  get mnemonic(): string { return this.data.mnemonic; }
  get extension(): string { return this.data.extension; }
  get mixdepthCount(): number { return this.data.mixdepths; }
  /** Stable id for naming the watch-only Core wallet: jm_<fp8>_<network> (NG style). */
  get coreWalletName(): string { return `jm_${this.keys.fingerprint}_${this.network.name}`; }

  getAddress(mixdepth: number, chain: Chain, index: number): DerivedAddress {
    checkMixdepth(mixdepth, this.data.mixdepths);
    const a = this.keys.address(mixdepth, chain, index);
    this.scripts.set(bytesToHex(a.scriptPubKey), { kind: 'p2wpkh', addr: a });
    return a;
  }

  nextIndex(mixdepth: number, chain: Chain): number {
    checkMixdepth(mixdepth, this.data.mixdepths);
    return this.data.nextIndex[mixdepth]![chain];
  }

  /** A fresh address: returns the current index and moves past it. Save the wallet afterwards. */
  nextAddress(mixdepth: number, chain: Chain): DerivedAddress {
    const a = this.getAddress(mixdepth, chain, this.nextIndex(mixdepth, chain));
    this.data.nextIndex[mixdepth]![chain]++;
    return a;
  }

  /** Records that an address has history; returns true when the next index moved. */
  markUsed(mixdepth: number, chain: Chain, index: number): boolean {
    if (index < this.nextIndex(mixdepth, chain)) return false;
    this.data.nextIndex[mixdepth]![chain] = index + 1;
    return true;
  }

  /** Addresses 0 .. next+gap-1 on every external/internal branch. */
  watchWindow(gap: number): DerivedAddress[] {
    const out: DerivedAddress[] = [];
    for (let md = 0; md < this.data.mixdepths; md++) {
      for (const chain of [EXTERNAL, INTERNAL] as const) {
        const end = this.nextIndex(md, chain) + gap;
        for (let i = 0; i < end; i++) out.push(this.getAddress(md, chain, i));
      }
    }
    return out;
  }

  bond(timenumber: number): DerivedBond {
    const b = this.keys.bond(timenumber);
    this.scripts.set(bytesToHex(b.scriptPubKey), { kind: 'bond', bond: b });
    return b;
  }

  /** All 960 bond addresses (derived once, ~0.3 s, then cached). */
  allBonds(): DerivedBond[] {
    if (!this.bondCache) {
      this.bondCache = [];
      for (let n = 0; n < TIMENUMBER_COUNT; n++) this.bondCache.push(this.bond(n));
    }
    return [...this.bondCache];
  }

  lookupScript(scriptPubKeyHex: string): ScriptOwner | null {
    const k = scriptPubKeyHex.toLowerCase();
    if (!this.scripts.has(k) && !this.bondCache && k.length === 68) this.allBonds();
    return this.scripts.get(k) ?? null;
  }

  setUtxos(utxos: WalletUtxo[]): void {
    this.utxoSet = [...utxos];
  }

  utxos(mixdepth?: number): WalletUtxo[] {
    return this.utxoSet.filter((u) => (mixdepth === undefined || u.mixdepth === mixdepth) && u.chain !== 2);
  }

  bondUtxos(): WalletUtxo[] {
    return this.utxoSet.filter((u) => u.chain === 2);
  }

  /** Confirmed-or-not balance per mixdepth, bonds excluded. */
  balances(): bigint[] {
    const b = Array.from({ length: this.data.mixdepths }, () => 0n);
    for (const u of this.utxos()) b[u.mixdepth]! += u.valueSat;
    return b;
  }

  /** In-memory lock (e.g. inputs promised to a coinjoin in progress). */
  lockUtxo(o: { txid: string; vout: number }): void { this.locked.add(outpointKey(o)); }
  unlockUtxo(o: { txid: string; vout: number }): void { this.locked.delete(outpointKey(o)); }
  /** Persisted freeze (user choice; saved with the wallet). */
  freezeUtxo(o: { txid: string; vout: number }): void {
    const k = outpointKey(o);
    if (!this.data.frozen.includes(k)) this.data.frozen.push(k);
  }
  unfreezeUtxo(o: { txid: string; vout: number }): void {
    this.data.frozen = this.data.frozen.filter((k) => k !== outpointKey(o));
  }
  isUnavailable(o: { txid: string; vout: number }): boolean {
    const k = outpointKey(o);
    return this.locked.has(k) || this.data.frozen.includes(k);
  }
  unavailable(): Set<string> {
    return new Set([...this.locked, ...this.data.frozen]);
  }

  /** Signs the given P2WPKH inputs of tx with wallet keys; refuses foreign and bond scripts. */
  signInputs(tx: Transaction, prevouts: readonly Prevout[]): void {
    for (const p of prevouts) {
      const spk = typeof p.scriptPubKey === 'string' ? p.scriptPubKey : bytesToHex(p.scriptPubKey);
      const owner = this.lookupScript(spk);
      if (!owner) throw new Error(`input ${p.index}: scriptPubKey ${spk} is not a wallet address we have derived`);
      if (owner.kind !== 'p2wpkh') throw new Error(`input ${p.index}: refusing to sign a fidelity-bond input here`);
      signP2wpkhInput(tx, p.index, this.keys.key(owner.addr.mixdepth, owner.addr.chain, owner.addr.index), p.valueSat);
    }
  }

  /** Signs the PSBT inputs (all or the given indices) whose witnessUtxo is one of our P2WPKH scripts. */
  signPsbt(psbt: Psbt, indices?: readonly number[]): number[] {
    const signed: number[] = [];
    psbt.data.inputs.forEach((input, i) => {
      if (indices && !indices.includes(i)) return;
      const wu = input.witnessUtxo;
      if (!wu) return;
      const owner = this.lookupScript(bytesToHex(wu.script));
      if (owner?.kind !== 'p2wpkh') return;
      psbt.signInput(i, this.keys.key(owner.addr.mixdepth, owner.addr.chain, owner.addr.index));
      signed.push(i);
    });
    return signed;
  }

  /**
   * A signed payment from one mixdepth (wallet-and-bonds.md §3); change goes to that
   * mixdepth's internal chain. `outpoints` limits the coins to those (coin control); `sweep`
   * spends all of them (or the whole mixdepth) to `destination`, without change.
   */
  createSpend(o: SpendRequest): { tx: Transaction; selection: Selection; change?: DerivedAddress } {
    let destScript: Uint8Array;
    try {
      destScript = bjsAddress.toOutputScript(o.destination, toBitcoinjs(this.network));
    } catch {
      throw new Error(`"${o.destination}" is not a valid ${this.network.name} address`);
    }
    const sel = selectCoins(this.spendCandidates(o.mixdepth, o.outpoints), {
      targetSat: o.amountSat ?? 0n, satPerVb: o.satPerVb, outputsWeight: outputWeight(destScript.length),
      exclude: this.unavailable(), sweep: o.sweep ?? false,
    });
    const tx = new Transaction();
    tx.version = 2;
    for (const u of sel.inputs) tx.addInput(txidToHash(u.txid), u.vout, 0xfffffffd);
    tx.addOutput(destScript, o.sweep ? sel.totalInSat - sel.feeSat : o.amountSat!);
    const change = sel.changeSat > 0n ? this.nextAddress(o.mixdepth, INTERNAL) : undefined;
    if (change) tx.addOutput(change.scriptPubKey, sel.changeSat);
    this.signInputs(tx, sel.inputs.map((u, i) => ({ index: i, valueSat: u.valueSat, scriptPubKey: u.scriptPubKey })));
    return { tx, selection: sel, ...(change ? { change } : {}) };
  }

  /** The mixdepth's coins, or exactly the given ones (each must be an available coin of it). */
  private spendCandidates(mixdepth: number, outpoints?: readonly { txid: string; vout: number }[]): WalletUtxo[] {
    const all = this.utxos(mixdepth);
    if (!outpoints) return all;
    return outpoints.map((o) => {
      const u = all.find((x) => x.txid === o.txid && x.vout === o.vout);
      if (!u) throw new Error(`${outpointKey(o)} is not an unspent coin of mixdepth ${mixdepth}`);
      if (this.isUnavailable(u)) throw new Error(`${outpointKey(o)} is frozen or locked`);
      if (u.confirmations < 1) throw new Error(`${outpointKey(o)} is unconfirmed`);
      return u;
    });
  }

  /** Signed spend of one expired bond UTXO to `destination` (wallet-and-bonds.md §6). */
  createBondSpend(u: WalletUtxo, destination: Uint8Array, satPerVb: number): { tx: Transaction; feeSat: bigint } {
    if (!u.bond) throw new Error(`${u.txid}:${u.vout} is not a fidelity-bond UTXO`);
    return buildBondSpend({
      txid: u.txid, vout: u.vout, valueSat: u.valueSat, witnessScript: Buffer.from(u.bond.witnessScript, 'hex'),
      key: this.keys.bondKey(u.bond.timenumber), destinationScript: destination, satPerVb,
    });
  }
}

async function readWalletFile(path: string): Promise<string> {
  try {
    await assertPrivateFile(path, 'wallet file');
    return await fs.readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof InsecureFileError) throw new WalletFileError(e.message);
    const err = e as NodeJS.ErrnoException;
    throw new WalletFileError(err.code === 'ENOENT' ? `no wallet file at ${path}` : `cannot read ${path}: ${err.message}`);
  }
}
