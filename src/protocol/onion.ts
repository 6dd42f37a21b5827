/**
 * Tor v3 onion addresses and JoinMarket location strings (wire-protocol.md §2.6, rend-spec-v3):
 * host = base32(pubkey[32] | checksum[2] | version[1]) + ".onion", lowercase, 56 chars, where
 * checksum = SHA3-256(".onion checksum" | pubkey | version)[0:2] and version = 3.
 */
import { base32 } from '@scure/base';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { concatBytes, utf8ToBytes } from './crypto.js';

export const NOT_SERVING_ONION = 'NOT-SERVING-ONION';
export const ONION_VIRTUAL_PORT = 5222;

const ONION_HOST_RE = /^[a-z2-7]{56}\.onion$/;
const CHECKSUM_PREFIX = utf8ToBytes('.onion checksum');

export function onionChecksum(pubkey: Uint8Array): Uint8Array {
  return sha3_256(concatBytes(CHECKSUM_PREFIX, pubkey, Uint8Array.of(3))).subarray(0, 2);
}

/** The v3 host ("<56 chars>.onion") for a 32-byte ed25519 public key. */
export function onionHostFromPubkey(pubkey: Uint8Array): string {
  if (pubkey.length !== 32) throw new RangeError('onion pubkey must be 32 bytes');
  return base32.encode(concatBytes(pubkey, onionChecksum(pubkey), Uint8Array.of(3))).toLowerCase() + '.onion';
}

/** Checks length, alphabet, version byte and checksum of a v3 onion host. */
export function isValidOnionV3Host(host: string): boolean {
  if (!ONION_HOST_RE.test(host)) return false;
  let raw: Uint8Array;
  try {
    raw = base32.decode(host.slice(0, 56).toUpperCase());
  } catch {
    return false;
  }
  if (raw.length !== 35 || raw[34] !== 3) return false;
  const sum = onionChecksum(raw.subarray(0, 32));
  return raw[32] === sum[0] && raw[33] === sum[1];
}

export type Location =
  | { kind: 'onion'; host: string; port: number }
  | { kind: 'loopback'; host: string; port: number }
  | { kind: 'not-serving' };

export interface LocationPolicy {
  /** Accept 127.0.0.1:port / localhost:port (the reference's testing mode, §8). */
  allowLoopback: boolean;
}

function parsePort(s: string): number | null {
  if (!/^[0-9]{1,5}$/.test(s)) return null;
  const p = Number(s);
  return p >= 1 && p <= 65535 ? p : null;
}

/** Parses a handshake location string; null when the policy refuses it. */
export function parseLocation(s: string, policy: LocationPolicy): Location | null {
  if (s === NOT_SERVING_ONION) return { kind: 'not-serving' };
  const i = s.lastIndexOf(':');
  if (i <= 0) return null;
  const host = s.slice(0, i);
  const port = parsePort(s.slice(i + 1));
  if (port === null) return null;
  if (isValidOnionV3Host(host)) return { kind: 'onion', host, port };
  if (policy.allowLoopback && (host === '127.0.0.1' || host === 'localhost')) return { kind: 'loopback', host, port };
  return null;
}

export function formatLocation(loc: Location): string {
  return loc.kind === 'not-serving' ? NOT_SERVING_ONION : `${loc.host}:${loc.port}`;
}
