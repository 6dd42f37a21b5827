/**
 * Fidelity-bond timelock script and its P2WSH (wallet-and-bonds.md §5):
 * <scriptnum(locktime)> OP_CHECKLOCKTIMEVERIFY OP_DROP <33-byte pubkey> OP_CHECKSIG.
 */
import { bech32 } from '@scure/base';
import { sha256 } from '../protocol/crypto.js';
import type { NetworkParams } from './network.js';

export const OP_CHECKLOCKTIMEVERIFY = 0xb1;
export const OP_DROP = 0x75;
export const OP_CHECKSIG = 0xac;

/** Minimal CScriptNum (little-endian, sign bit kept clear) of a non-negative integer. */
export function scriptNumEncode(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`scriptnum: expected a non-negative integer, got ${n}`);
  const out: number[] = [];
  let v = n;
  while (v > 0) {
    out.push(v % 256);
    v = Math.floor(v / 256);
  }
  if (out.length > 0 && (out[out.length - 1]! & 0x80) !== 0) out.push(0);
  return Uint8Array.from(out);
}

/** The bond's witness script; refuses uncompressed keys and out-of-range locktimes. */
export function freezeScript(pubkey: Uint8Array, locktime: number): Uint8Array {
  if (pubkey.length !== 33 || (pubkey[0] !== 2 && pubkey[0] !== 3)) throw new Error('bond pubkey must be 33-byte compressed');
  if (!Number.isInteger(locktime) || locktime < 500_000_000 || locktime > 0xffffffff) {
    throw new RangeError(`bond locktime must be a Unix timestamp in [500000000, 2^32-1], got ${locktime}`);
  }
  const num = scriptNumEncode(locktime);
  return Uint8Array.from([num.length, ...num, OP_CHECKLOCKTIMEVERIFY, OP_DROP, 33, ...pubkey, OP_CHECKSIG]);
}

/** Parses a freeze script back into (locktime, pubkey); null unless it is exactly canonical. */
export function parseFreezeScript(script: Uint8Array): { locktime: number; pubkey: Uint8Array } | null {
  const len = script[0];
  if (len !== 4 && len !== 5) return null;
  if (script.length !== len + 38) return null; // push, CLTV, DROP, push33 + key, CHECKSIG
  let locktime = 0;
  for (let i = len; i >= 1; i--) locktime = locktime * 256 + script[i]!;
  const pubkey = script.slice(len + 4, len + 37);
  try {
    const again = freezeScript(pubkey, locktime);
    return again.every((b, i) => b === script[i]) ? { locktime, pubkey } : null;
  } catch {
    return null;
  }
}

/** scriptPubKey `0x00 0x20 sha256(witnessScript)`. */
export function p2wshScriptPubKey(witnessScript: Uint8Array): Uint8Array {
  return Uint8Array.from([0x00, 0x20, ...sha256(witnessScript)]);
}

/** bech32 (v0) address of a v0 witness program. */
export function segwitV0Address(program: Uint8Array, network: NetworkParams): string {
  return bech32.encode(network.hrp, [0, ...bech32.toWords(program)]);
}

export interface BondAddress {
  witnessScript: Uint8Array;
  scriptPubKey: Uint8Array;
  address: string;
}

export function bondAddress(pubkey: Uint8Array, locktime: number, network: NetworkParams): BondAddress {
  const witnessScript = freezeScript(pubkey, locktime);
  const scriptPubKey = p2wshScriptPubKey(witnessScript);
  return { witnessScript, scriptPubKey, address: segwitV0Address(scriptPubKey.subarray(2), network) };
}
