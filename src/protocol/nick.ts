/**
 * JoinMarket nicks (wire-protocol.md §5.1–5.2):
 * nick = "J" + "5" + pad14(base58(sha256(ascii(lowercase pubkey hex))[0:10]), "O").
 */
import { base58 } from '@scure/base';
import { bytesToHex, publicKeyOf, sha256, utf8ToBytes } from './crypto.js';

export const NICK_HEADER = 'J';
export const JM_VERSION = 5;
export const NICK_HASH_LEN = 10;
export const NICK_MAX_ENCODED = 14;
export const NICK_LENGTH = 2 + NICK_MAX_ENCODED;

const NICK_RE = /^J5[1-9A-HJ-NP-Za-km-z]{1,14}O*$/;

/** The nick body (base58 of the first 10 bytes of sha256 of the hex text), unpadded. */
function nickBody(pubkeyHex: string): string {
  return base58.encode(sha256(utf8ToBytes(pubkeyHex)).subarray(0, NICK_HASH_LEN));
}

export function nickFromPubkeyHex(pubkeyHex: string): string {
  const body = nickBody(pubkeyHex);
  return NICK_HEADER + String(JM_VERSION) + body.padEnd(NICK_MAX_ENCODED, 'O');
}

export function nickFromPrivateKey(priv: Uint8Array): string {
  return nickFromPubkeyHex(bytesToHex(publicKeyOf(priv)));
}

/** Format check only (16 chars, J5 prefix, base58 body, 'O' padding). */
export function isValidNickFormat(nick: string): boolean {
  return nick.length === NICK_LENGTH && NICK_RE.test(nick);
}

/**
 * The reference receiver's check: drop the 2-char header, delete every 'O' from the next 14
 * characters and compare with the base58 body of sha256(pubkey hex as received).
 */
export function nickMatchesPubkey(nick: string, pubkeyHex: string): boolean {
  if (nick.length !== NICK_LENGTH || !nick.startsWith('J5')) return false;
  return nick.slice(2, 2 + NICK_MAX_ENCODED).replaceAll('O', '') === nickBody(pubkeyHex);
}
