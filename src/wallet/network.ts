/**
 * Network parameters (wallet-and-bonds.md §1 network table, §3 coin type).
 * Bitcoin Core first (bc/tb/bcrt); anything else (e.g. the litecoind test node's "rltc")
 * is injected with customNetwork() so the code never hard-codes a test chain.
 */
import type { Network as BjsNetwork } from 'bitcoinjs-lib';
import { z } from 'zod';

export const NETWORK_NAMES = ['mainnet', 'testnet', 'signet', 'regtest'] as const;
export type NetworkName = (typeof NETWORK_NAMES)[number];
export const networkNameSchema = z.enum(NETWORK_NAMES);

export interface NetworkParams {
  /** Base network: decides coin type, chain check and wire network string. */
  readonly name: NetworkName;
  /** bech32 human-readable part. */
  readonly hrp: string;
  /** BIP44 coin type (path level 2, hardened). */
  readonly coinType: number;
  readonly wif: number;
  readonly bip32: { readonly public: number; readonly private: number };
  readonly pubKeyHash: number;
  readonly scriptHash: number;
  readonly messagePrefix: string;
  /** Names `getblockchaininfo.chain` may report for this network. */
  readonly coreChains: readonly string[];
}

const MAIN_BIP32 = { public: 0x0488b21e, private: 0x0488ade4 };
const TEST_BIP32 = { public: 0x043587cf, private: 0x04358394 };
const MSG = '\x18Bitcoin Signed Message:\n';

const BUILTIN: Record<NetworkName, NetworkParams> = {
  mainnet: { name: 'mainnet', hrp: 'bc', coinType: 0, wif: 0x80, bip32: MAIN_BIP32, pubKeyHash: 0x00, scriptHash: 0x05, messagePrefix: MSG, coreChains: ['main'] },
  testnet: { name: 'testnet', hrp: 'tb', coinType: 1, wif: 0xef, bip32: TEST_BIP32, pubKeyHash: 0x6f, scriptHash: 0xc4, messagePrefix: MSG, coreChains: ['test', 'testnet4'] },
  signet: { name: 'signet', hrp: 'tb', coinType: 1, wif: 0xef, bip32: TEST_BIP32, pubKeyHash: 0x6f, scriptHash: 0xc4, messagePrefix: MSG, coreChains: ['signet'] },
  regtest: { name: 'regtest', hrp: 'bcrt', coinType: 1, wif: 0xef, bip32: TEST_BIP32, pubKeyHash: 0x6f, scriptHash: 0xc4, messagePrefix: MSG, coreChains: ['regtest'] },
};

export function getNetwork(name: NetworkName): NetworkParams {
  return BUILTIN[name];
}

export function parseNetworkName(s: string): NetworkName {
  const r = networkNameSchema.safeParse(s === 'main' ? 'mainnet' : s === 'test' ? 'testnet' : s);
  if (!r.success) throw new Error(`unknown network "${s}" (expected one of ${NETWORK_NAMES.join(', ')})`);
  return r.data;
}

const HRP_RE = /^[a-z0-9]{1,20}$/;

/** A built-in network with some fields replaced (e.g. `{ hrp: 'rltc', scriptHash: 0x3a }`). */
export function customNetwork(base: NetworkName, overrides: Partial<Omit<NetworkParams, 'name'>>): NetworkParams {
  const p = { ...BUILTIN[base], ...overrides };
  if (!HRP_RE.test(p.hrp)) throw new Error(`invalid bech32 hrp "${p.hrp}"`);
  return p;
}

/** The bitcoinjs-lib view of these parameters. */
export function toBitcoinjs(p: NetworkParams): BjsNetwork {
  return {
    messagePrefix: p.messagePrefix,
    bech32: p.hrp,
    bip32: { public: p.bip32.public, private: p.bip32.private },
    pubKeyHash: p.pubKeyHash,
    scriptHash: p.scriptHash,
    wif: p.wif,
  };
}
