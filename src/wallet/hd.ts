/**
 * JoinMarket's BIP84 layout (wallet-and-bonds.md §3, §4):
 * m/84'/coin'/mixdepth'/chain/index; chain 0 external, 1 internal, 2 fidelity bonds
 * (mixdepth 0 only, index = timenumber).
 */
import type { BIP32Interface } from 'bip32';
import { payments } from 'bitcoinjs-lib';
import { bip32 } from './ecc.js';
import { toBitcoinjs, type NetworkParams } from './network.js';
import { bondAddress, type BondAddress } from './bond-script.js';
import { isValidTimenumber, timenumberToLocktime } from './timenumber.js';
import { bytesToHex } from '../protocol/crypto.js';

export const PURPOSE = 84;
export const DEFAULT_MIXDEPTHS = 5;
export const MAX_MIXDEPTHS = 100;
export const EXTERNAL = 0;
export const INTERNAL = 1;
export const BOND_CHAIN = 2;
export type Chain = typeof EXTERNAL | typeof INTERNAL;

const HARD = 0x80000000;

export function accountPath(coinType: number, mixdepth: number): string {
  return `m/${PURPOSE}'/${coinType}'/${mixdepth}'`;
}

export function keyPath(coinType: number, mixdepth: number, chain: number, index: number): string {
  return `${accountPath(coinType, mixdepth)}/${chain}/${index}`;
}

/** Parses `m/a'/b/...` (also h for hardened) into child indices; throws on junk. */
export function parsePath(path: string): number[] {
  const parts = path.trim().split('/');
  if (parts[0] !== 'm') throw new Error(`derivation path must start with "m/": ${path}`);
  return parts.slice(1).map((p) => {
    const m = /^(\d{1,10})(['hH]?)$/.exec(p);
    if (!m) throw new Error(`bad path element "${p}" in ${path}`);
    const n = Number(m[1]);
    if (n >= HARD) throw new Error(`path index ${n} out of range in ${path}`);
    return m[2] ? n + HARD : n;
  });
}

export interface DerivedAddress {
  path: string;
  mixdepth: number;
  chain: Chain;
  index: number;
  pubkey: Uint8Array;
  scriptPubKey: Uint8Array;
  address: string;
}

export interface DerivedBond extends BondAddress {
  path: string;
  timenumber: number;
  locktime: number;
  pubkey: Uint8Array;
}

/** Key derivation over one seed with per-account caching; no I/O. */
export class HdKeys {
  readonly root: BIP32Interface;
  private accounts = new Map<number, BIP32Interface>();
  private branches = new Map<string, BIP32Interface>();

  constructor(seed: Uint8Array, readonly network: NetworkParams) {
    this.root = bip32.fromSeed(seed, toBitcoinjs(network));
  }

  get fingerprint(): string {
    return bytesToHex(this.root.fingerprint);
  }

  account(mixdepth: number): BIP32Interface {
    checkMixdepth(mixdepth);
    let a = this.accounts.get(mixdepth);
    if (!a) {
      a = this.root.derivePath(accountPath(this.network.coinType, mixdepth));
      this.accounts.set(mixdepth, a);
    }
    return a;
  }

  branch(mixdepth: number, chain: number): BIP32Interface {
    const k = `${mixdepth}/${chain}`;
    let b = this.branches.get(k);
    if (!b) {
      b = this.account(mixdepth).derive(chain);
      this.branches.set(k, b);
    }
    return b;
  }

  key(mixdepth: number, chain: number, index: number): BIP32Interface {
    if (!Number.isInteger(index) || index < 0 || index >= HARD) throw new RangeError(`bad address index ${index}`);
    return this.branch(mixdepth, chain).derive(index);
  }

  derivePath(path: string): BIP32Interface {
    let k = this.root;
    for (const i of parsePath(path)) k = k.derive(i);
    return k;
  }

  /** Account xpub/tpub (plain versions, as REF exports and Core descriptors expect). */
  accountXpub(mixdepth: number): string {
    return this.account(mixdepth).neutered().toBase58();
  }

  address(mixdepth: number, chain: Chain, index: number): DerivedAddress {
    const key = this.key(mixdepth, chain, index);
    const p = payments.p2wpkh({ pubkey: key.publicKey, network: toBitcoinjs(this.network) });
    if (!p.output || !p.address) throw new Error('p2wpkh derivation failed');
    return {
      path: keyPath(this.network.coinType, mixdepth, chain, index),
      mixdepth, chain, index,
      pubkey: key.publicKey,
      scriptPubKey: p.output,
      address: p.address,
    };
  }

  bondKey(timenumber: number): BIP32Interface {
    if (!isValidTimenumber(timenumber)) throw new RangeError(`timenumber must be in [0, 959], got ${timenumber}`);
    return this.key(0, BOND_CHAIN, timenumber);
  }

  bond(timenumber: number): DerivedBond {
    const key = this.bondKey(timenumber);
    const locktime = timenumberToLocktime(timenumber);
    return {
      ...bondAddress(key.publicKey, locktime, this.network),
      path: keyPath(this.network.coinType, 0, BOND_CHAIN, timenumber),
      timenumber, locktime,
      pubkey: key.publicKey,
    };
  }
}

export function checkMixdepth(md: number, count = MAX_MIXDEPTHS): void {
  if (!Number.isInteger(md) || md < 0 || md >= count) throw new RangeError(`mixdepth must be an integer in [0, ${count - 1}], got ${md}`);
}
