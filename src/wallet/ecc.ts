/**
 * One place that wires tiny-secp256k1 into bitcoinjs-lib and bip32 (wallet-and-bonds.md §3).
 * tiny-secp256k1 is libsecp256k1 compiled to WASM: RFC 6979, low-S, constant time.
 */
import * as ecc from 'tiny-secp256k1';
import { initEccLib } from 'bitcoinjs-lib';
import { BIP32Factory, type BIP32API } from 'bip32';

initEccLib(ecc);

export const bip32: BIP32API = BIP32Factory(ecc);
export { ecc };
