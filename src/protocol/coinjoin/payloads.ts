/**
 * Plaintexts carried inside E(·) (coinjoin-protocol.md §4.5–§4.8): `!auth` is the PoDLE
 * revelation (podle.ts), `!ioauth` the maker's inputs/addresses/ownership signature, `!tx`
 * base64 of the unsigned tx, `!sig` base64 of push(sig) ‖ push(pubkey).
 */
import { Transaction, address as btcAddress, type Network } from 'bitcoinjs-lib';
import {
  bytesToHex,
  concatBytes,
  fromBase64,
  isValidPublicKey,
  signMessageDer,
  toBase64,
  tryHex,
  verifyMessageDer,
} from '../crypto.js';
import { type Result, ok, fail } from './result.js';
import { type Outpoint, formatUtxo, outpointKey, parseUtxoString } from './utxo.js';

/** NG's cap on maker inputs; REF has none (taker policy). */
export const MAX_MAKER_UTXOS = 15;

export interface Ioauth {
  utxos: Outpoint[];
  authPub: Uint8Array;
  cjAddress: string;
  changeAddress: string;
  btcSig: Uint8Array;
}
export interface ParsedIoauth extends Ioauth {
  cjScript: Uint8Array;
  changeScript: Uint8Array;
}

function outputScript(addr: string, network: Network): Uint8Array | null {
  try {
    return btcAddress.toOutputScript(addr, network);
  } catch {
    return null;
  }
}

/** `utxo,utxo… auth_pub cj_addr change_addr btc_sig` (§4.6); exactly 5 fields. */
export function parseIoauth(plaintext: string, network: Network): Result<ParsedIoauth> {
  const toks = plaintext.split(' ');
  if (toks.length !== 5) return fail(`ioauth: expected 5 fields, got ${toks.length}`);
  const [utxoT, pubT, cjT, changeT, sigT] = toks as [string, string, string, string, string];
  const utxos: Outpoint[] = [];
  const seen = new Set<string>();
  for (const u of utxoT.split(',')) {
    const o = parseUtxoString(u);
    if (!o.ok) return fail(`ioauth: ${o.reason}`);
    if (seen.has(outpointKey(o.value))) return fail(`ioauth: duplicate utxo ${u}`);
    seen.add(outpointKey(o.value));
    utxos.push(o.value);
  }
  const authPub = tryHex(pubT);
  if (!authPub || !isValidPublicKey(authPub)) return fail('ioauth: auth_pub is not a compressed public key');
  const cjScript = outputScript(cjT, network);
  if (!cjScript) return fail('ioauth: invalid cj address');
  const changeScript = outputScript(changeT, network);
  if (!changeScript) return fail('ioauth: invalid change address');
  if (bytesToHex(cjScript) === bytesToHex(changeScript)) return fail('ioauth: cj and change address are equal');
  const btcSig = fromBase64(sigT);
  if (!btcSig || btcSig.length < 8 || btcSig.length > 73) return fail('ioauth: btc_sig is not a base64 DER signature');
  return ok({ utxos, authPub, cjAddress: cjT, changeAddress: changeT, btcSig, cjScript, changeScript });
}

export function formatIoauth(m: Ioauth): string {
  if (m.utxos.length === 0) throw new RangeError('formatIoauth: no utxos');
  return [m.utxos.map(formatUtxo).join(','), bytesToHex(m.authPub), m.cjAddress, m.changeAddress, toBase64(m.btcSig)].join(' ');
}

/** Maker: sign the ASCII hex of its own NaCl pubkey with the first utxo's key (verifies itself). */
export function signNaclKeyOwnership(authPriv: Uint8Array, makerNaclPubHex: string): Uint8Array {
  return signMessageDer(makerNaclPubHex.toLowerCase(), authPriv);
}

/** Taker: btc_sig must verify against auth_pub over the maker pubkey hex it received. */
export function verifyNaclKeyOwnership(m: Ioauth, makerNaclPubHex: string): boolean {
  return verifyMessageDer(m.btcSig, makerNaclPubHex, m.authPub);
}

/** `!tx` plaintext: base64 of the raw unsigned tx, legacy serialisation (no witnesses). */
export function formatTxPlaintext(tx: Transaction): string {
  if (tx.hasWitnesses() || tx.ins.some((i) => i.script.length > 0)) {
    throw new RangeError('formatTxPlaintext: the !tx transaction must be unsigned');
  }
  return toBase64(tx.toBuffer());
}

/** Parses either serialisation; trailing bytes or garbage → {ok:false}. */
export function parseTxPlaintext(plaintext: string): Result<Transaction> {
  const raw = fromBase64(plaintext);
  if (!raw || raw.length === 0) return fail('tx: not base64');
  try {
    return ok(Transaction.fromBuffer(raw));
  } catch (e) {
    return fail(`tx: undecodable transaction (${e instanceof Error ? e.message : 'error'})`);
  }
}

export interface SigPayload {
  /** DER signature followed by its sighash byte. */
  signature: Uint8Array;
  pubkey: Uint8Array;
  /** Third push of legacy p2sh-p2wpkh makers (REF takers accept 2 or 3 items). */
  extra?: Uint8Array;
}

export const SIGHASH_ALL = 0x01;

function push(b: Uint8Array): Uint8Array {
  if (b.length === 0 || b.length > 75) throw new RangeError('push: only 1..75-byte direct pushes');
  return concatBytes(Uint8Array.of(b.length), b);
}

/** `!sig` plaintext for one input: base64(push(sig‖0x01) ‖ push(pubkey)). */
export function formatSigPlaintext(signatureWithHashType: Uint8Array, pubkey: Uint8Array): string {
  if (signatureWithHashType.at(-1) !== SIGHASH_ALL) throw new RangeError('formatSigPlaintext: sighash must be ALL');
  if (!isValidPublicKey(pubkey)) throw new RangeError('formatSigPlaintext: bad pubkey');
  return toBase64(concatBytes(push(signatureWithHashType), push(pubkey)));
}

/** Splits 2 or 3 direct pushes; signature 9..73 bytes ending in SIGHASH_ALL, pubkey 33 bytes. */
export function parseSigPlaintext(plaintext: string): Result<SigPayload> {
  const raw = fromBase64(plaintext);
  if (!raw) return fail('sig: not base64');
  const items: Uint8Array[] = [];
  let i = 0;
  while (i < raw.length) {
    const len = raw[i] as number;
    if (len < 1 || len > 75 || i + 1 + len > raw.length) return fail('sig: malformed push');
    items.push(raw.subarray(i + 1, i + 1 + len));
    i += 1 + len;
  }
  if (items.length !== 2 && items.length !== 3) return fail(`sig: expected 2 or 3 pushes, got ${items.length}`);
  const [signature, pubkey, extra] = items as [Uint8Array, Uint8Array, Uint8Array | undefined];
  if (signature.length < 9 || signature.length > 73 || signature[0] !== 0x30) return fail('sig: not a DER signature');
  if (signature.at(-1) !== SIGHASH_ALL) return fail('sig: sighash type is not ALL');
  if (!isValidPublicKey(pubkey)) return fail('sig: pubkey is not a compressed public key');
  return ok(extra ? { signature, pubkey, extra } : { signature, pubkey });
}
