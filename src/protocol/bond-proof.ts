/**
 * Fidelity-bond proof, the 252-byte `!tbond` blob (wallet-and-bonds.md §8.2–8.4, §9 steps 2–5).
 * Pure: build, serialise, parse, verify signatures. Chain checks live in src/wallet/backend.
 * Layout `<72s72s33sH33s32sII`: nick_sig, cert_sig (DER, 0xFF left-padded), cert_pub,
 * cert_expiry (u16 LE, 2016-block periods), utxo_pub, txid (display order), vout, locktime.
 */
import {
  bytesToHex, concatBytes, hexToBytes, isValidPrivateKey, isValidPublicKey, publicKeyOf,
  signMessageDer, toBase64, utf8ToBytes, verifyMessageDer,
} from './crypto.js';

export const BOND_PROOF_LENGTH = 252;
export const BOND_PROOF_BASE64_LENGTH = 336;
export const SIG_FIELD_LENGTH = 72;
export const RETARGET_PERIOD = 2016;
/** REF/NG BLOCK_COUNT_SAFETY and CERT_MAX_VALIDITY_TIME. */
export const CERT_BLOCK_SAFETY = 2;
export const CERT_MAX_VALIDITY_PERIODS = 1;
const CERT_PREFIX = 'fidelity-bond-cert|';

export interface BondProof {
  nickSig: Uint8Array;
  certSig: Uint8Array;
  certPub: Uint8Array;
  /** Absolute retarget period; the proof is invalid once height > certExpiry * 2016. */
  certExpiry: number;
  utxoPub: Uint8Array;
  /** Display (RPC) order hex, lowercase. */
  txid: string;
  vout: number;
  locktime: number;
}

export type BondProofParse = { ok: true; proof: BondProof } | { ok: false; reason: string };
export type BondSigCheck = { ok: true; certForm: 'binary' | 'ascii' } | { ok: false; reason: string };

/** cert_expiry a maker uses at tip height h: floor((h + 2) / 2016) + 1. */
export function certExpiryForHeight(height: number): number {
  if (!Number.isSafeInteger(height) || height < 0) throw new RangeError(`bad block height ${height}`);
  return Math.floor((height + CERT_BLOCK_SAFETY) / RETARGET_PERIOD) + CERT_MAX_VALIDITY_PERIODS;
}

export function isCertExpired(certExpiry: number, height: number): boolean {
  return height > certExpiry * RETARGET_PERIOD;
}

export function nickMessage(takerNick: string, makerNick: string): string {
  return `${takerNick}|${makerNick}`;
}

/** Certificate message: binary form (REF/NG hot) or ASCII-hex form (NG cold / offline signers). */
export function certMessage(certPub: Uint8Array, certExpiry: number, form: 'binary' | 'ascii' = 'binary'): Uint8Array {
  const pubPart = form === 'binary' ? certPub : utf8ToBytes(bytesToHex(certPub));
  return concatBytes(utf8ToBytes(CERT_PREFIX), pubPart, utf8ToBytes(`|${certExpiry}`));
}

/** cert_sig: the bond (utxo) key authorises certPub until certExpiry. */
export function signBondCertificate(utxoPrivateKey: Uint8Array, certPub: Uint8Array, certExpiry: number): Uint8Array {
  checkExpiry(certExpiry);
  return signMessageDer(certMessage(certPub, certExpiry, 'binary'), utxoPrivateKey);
}

export interface BuildBondProofArgs {
  takerNick: string;
  makerNick: string;
  certPrivateKey: Uint8Array;
  certExpiry: number;
  /** Either the bond key (hot) or a pre-made certificate signature plus the bond pubkey (cold). */
  utxoPrivateKey?: Uint8Array;
  certSignature?: Uint8Array;
  utxoPublicKey?: Uint8Array;
  txid: string;
  vout: number;
  locktime: number;
}

export function buildBondProof(a: BuildBondProofArgs): { proof: BondProof; blob: Uint8Array; base64: string } {
  if (!isValidPrivateKey(a.certPrivateKey)) throw new Error('buildBondProof: invalid cert private key');
  checkExpiry(a.certExpiry);
  const certPub = publicKeyOf(a.certPrivateKey);
  let utxoPub = a.utxoPublicKey;
  let certSig = a.certSignature;
  if (a.utxoPrivateKey) {
    const derived = publicKeyOf(a.utxoPrivateKey);
    if (utxoPub && bytesToHex(utxoPub) !== bytesToHex(derived)) throw new Error('buildBondProof: utxo key and pubkey disagree');
    utxoPub = derived;
    certSig ??= signBondCertificate(a.utxoPrivateKey, certPub, a.certExpiry);
  }
  if (!utxoPub || !certSig) throw new Error('buildBondProof: need utxoPrivateKey, or certSignature with utxoPublicKey');
  const proof: BondProof = {
    nickSig: signMessageDer(nickMessage(a.takerNick, a.makerNick), a.certPrivateKey),
    certSig, certPub, certExpiry: a.certExpiry, utxoPub,
    txid: a.txid.toLowerCase(), vout: a.vout, locktime: a.locktime,
  };
  const blob = serializeBondProof(proof);
  return { proof, blob, base64: toBase64(blob) };
}

export function serializeBondProof(p: BondProof): Uint8Array {
  checkExpiry(p.certExpiry);
  if (!/^[0-9a-fA-F]{64}$/.test(p.txid)) throw new Error('bond proof: txid must be 64 hex chars');
  for (const [name, v] of [['vout', p.vout], ['locktime', p.locktime]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`bond proof: ${name} must be a uint32`);
  }
  if (p.certPub.length !== 33 || p.utxoPub.length !== 33) throw new Error('bond proof: pubkeys must be 33 bytes');
  const out = new Uint8Array(BOND_PROOF_LENGTH);
  const dv = new DataView(out.buffer);
  out.set(padSig(p.nickSig, 'nick_sig'), 0);
  out.set(padSig(p.certSig, 'cert_sig'), 72);
  out.set(p.certPub, 144);
  dv.setUint16(177, p.certExpiry, true);
  out.set(p.utxoPub, 179);
  out.set(hexToBytes(p.txid.toLowerCase()), 212);
  dv.setUint32(244, p.vout, true);
  dv.setUint32(248, p.locktime, true);
  return out;
}

const STRICT_B64 = /^[A-Za-z0-9+/]+$/;

/** Strict base64 (exactly 336 chars, standard alphabet) then parseBondProofBytes. */
export function parseBondProof(b64: string): BondProofParse {
  if (typeof b64 !== 'string') return { ok: false, reason: 'bond proof is not a string' };
  if (b64.length !== BOND_PROOF_BASE64_LENGTH) {
    return { ok: false, reason: `bond proof must be ${BOND_PROOF_BASE64_LENGTH} base64 chars, got ${b64.length}` };
  }
  if (!STRICT_B64.test(b64)) return { ok: false, reason: 'bond proof is not standard base64' };
  return parseBondProofBytes(new Uint8Array(Buffer.from(b64, 'base64')));
}

export function parseBondProofBytes(blob: Uint8Array): BondProofParse {
  if (blob.length !== BOND_PROOF_LENGTH) return { ok: false, reason: `bond proof must be ${BOND_PROOF_LENGTH} bytes, got ${blob.length}` };
  const nick = unpadSig(blob.subarray(0, 72));
  if (typeof nick === 'string') return { ok: false, reason: `nick_sig: ${nick}` };
  const cert = unpadSig(blob.subarray(72, 144));
  if (typeof cert === 'string') return { ok: false, reason: `cert_sig: ${cert}` };
  const certPub = blob.slice(144, 177);
  const utxoPub = blob.slice(179, 212);
  if (!isValidPublicKey(certPub)) return { ok: false, reason: 'cert_pub is not a valid compressed public key' };
  if (!isValidPublicKey(utxoPub)) return { ok: false, reason: 'utxo_pub is not a valid compressed public key' };
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  return {
    ok: true,
    proof: {
      nickSig: nick, certSig: cert, certPub,
      certExpiry: dv.getUint16(177, true),
      utxoPub,
      txid: bytesToHex(blob.subarray(212, 244)),
      vout: dv.getUint32(244, true),
      locktime: dv.getUint32(248, true),
    },
  };
}

/** §9 steps 3–4: nick_sig by cert_pub over `taker|maker`, cert_sig by utxo_pub (either form). */
export function verifyBondProofSignatures(proof: BondProof, takerNick: string, makerNick: string): BondSigCheck {
  if (!verifyMessageDer(proof.nickSig, nickMessage(takerNick, makerNick), proof.certPub)) {
    return { ok: false, reason: `nick signature does not verify for "${takerNick}|${makerNick}"` };
  }
  for (const form of ['binary', 'ascii'] as const) {
    if (verifyMessageDer(proof.certSig, certMessage(proof.certPub, proof.certExpiry, form), proof.utxoPub)) return { ok: true, certForm: form };
  }
  return { ok: false, reason: 'certificate signature does not verify with the utxo pubkey' };
}

function checkExpiry(e: number): void {
  if (!Number.isInteger(e) || e < 0 || e > 0xffff) throw new RangeError(`cert_expiry must be a uint16, got ${e}`);
}

function padSig(sig: Uint8Array, name: string): Uint8Array {
  if (sig.length < 8 || sig.length > SIG_FIELD_LENGTH || sig[0] !== 0x30) throw new Error(`bond proof: ${name} is not a DER signature of <= 72 bytes`);
  const out = new Uint8Array(SIG_FIELD_LENGTH).fill(0xff);
  out.set(sig, SIG_FIELD_LENGTH - sig.length);
  return out;
}

/** REF rule: cut everything before the first 0x30; then the DER length byte must match. */
function unpadSig(field: Uint8Array): Uint8Array | string {
  const start = field.indexOf(0x30);
  if (start < 0) return 'no DER header (0x30) found';
  const sig = field.slice(start);
  if (sig.length < 8) return `DER signature too short (${sig.length} bytes)`;
  if (sig[1] !== sig.length - 2) return `DER length byte ${sig[1]} does not match ${sig.length - 2} bytes after padding`;
  return sig;
}
