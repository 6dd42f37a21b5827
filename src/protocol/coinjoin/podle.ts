/**
 * PoDLE anti-snooping commitments (coinjoin-protocol.md §6): NUMS points J(i) (§6.1), the
 * taker's proof (§6.2), the maker's checks in REF order (§6.3), and the `!auth` revelation
 * `utxo|P|P2|s|e` (§4.5). Pure: the proof nonce is injected; chain facts are passed in.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { bytesToHex, concatBytes, sha256, tryHex } from '../crypto.js';
import { type Result, ok, fail } from './result.js';
import { parseUtxoString } from './utxo.js';

type Point = InstanceType<typeof secp256k1.Point>;
const { Point } = secp256k1;
const N = Point.CURVE().n;

export const PODLE_COMMITMENT_TYPE = 'P';
/** taker_utxo_retries: maker accepts NUMS indices 0..2. */
export const TAKER_UTXO_RETRIES = 3;
export const TAKER_UTXO_AGE = 5;
export const TAKER_UTXO_AMTPERCENT = 20;
export const MAX_NUMS_INDEX = 255;
export const DEFAULT_PODLE_INDICES: readonly number[] = [0, 1, 2];

const numsCache = new Map<number, Uint8Array>();

/** J(i), 33-byte compressed (§6.1): first valid 0x02‖SHA256(Genc‖i‖ctr). */
export function getNums(index: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index > MAX_NUMS_INDEX) {
    throw new RangeError(`NUMS index out of range: ${index}`);
  }
  const hit = numsCache.get(index);
  if (hit) return hit;
  for (const genc of [Point.BASE.toBytes(true), Point.BASE.toBytes(false)]) {
    for (let ctr = 0; ctr < 256; ctr++) {
      const candidate = concatBytes(Uint8Array.of(2), sha256(concatBytes(genc, Uint8Array.of(index, ctr))));
      if (decodePoint(candidate)) {
        numsCache.set(index, candidate);
        return candidate;
      }
    }
  }
  throw new Error(`no NUMS point for index ${index}`); // unreachable in practice
}

function decodePoint(b: Uint8Array): Point | null {
  try {
    const p = Point.fromBytes(b);
    p.assertValidity();
    return p;
  } catch {
    return null;
  }
}

function scalarOf(b: Uint8Array): bigint {
  return BigInt('0x' + (bytesToHex(b) || '0'));
}

function scalarBytes(k: bigint): Uint8Array {
  return tryHex(k.toString(16).padStart(64, '0')) as Uint8Array;
}

export interface PodleProof {
  /** `txid:vout` of the committed utxo. */
  utxo: string;
  P: Uint8Array;
  P2: Uint8Array;
  s: Uint8Array;
  e: Uint8Array;
}

/** C = SHA256(P2); on the wire `"P" + hex(C)` in `!fill`. */
export function podleCommitment(P2: Uint8Array): Uint8Array {
  return sha256(P2);
}

/** e = SHA256(KG ‖ KJ ‖ P ‖ P2), all 33-byte compressed. */
function challenge(KG: Point, KJ: Point, P: Uint8Array, P2: Uint8Array): Uint8Array {
  return sha256(concatBytes(KG.toBytes(true), KJ.toBytes(true), P, P2));
}

/**
 * Prover (§6.2). `nonce` is 32 bytes, a valid scalar (REF: random). The result is checked
 * with `verifyPodle` at exactly `index` before it is returned.
 */
export function generatePodle(privateKey: Uint8Array, utxo: string, index: number, nonce: Uint8Array): PodleProof {
  if (!parseUtxoString(utxo).ok) throw new RangeError(`generatePodle: bad utxo ${utxo}`);
  const x = scalarOf(privateKey);
  const k = scalarOf(nonce);
  if (privateKey.length !== 32 || x <= 0n || x >= N) throw new RangeError('generatePodle: bad private key');
  if (nonce.length !== 32 || k <= 0n || k >= N) throw new RangeError('generatePodle: bad nonce');
  const J = Point.fromBytes(getNums(index));
  const P = Point.BASE.multiply(x).toBytes(true);
  const P2 = J.multiply(x).toBytes(true);
  const e = challenge(Point.BASE.multiply(k), J.multiply(k), P, P2);
  const s = (k + x * scalarOf(e)) % N;
  if (s === 0n) throw new Error('generatePodle: degenerate nonce');
  const proof = { utxo, P, P2, s: scalarBytes(s), e };
  const check = verifyPodle(proof, podleCommitment(P2), [index]);
  if (!check.ok) throw new Error(`generatePodle: self-check failed: ${check.reason}`);
  return proof;
}

/** `utxo|P|P2|s|e` (§4.5), lowercase hex. */
export function serializeRevelation(p: PodleProof): string {
  return [p.utxo, bytesToHex(p.P), bytesToHex(p.P2), bytesToHex(p.s), bytesToHex(p.e)].join('|');
}

/** Step 1 of §6.3: exactly 5 parts, utxo `txid:vout`, lengths 33/33/32/32 (NG). */
export function parseRevelation(text: string): Result<PodleProof> {
  const parts = text.split('|');
  if (parts.length !== 5) return fail(`revelation must have 5 |-separated parts, got ${parts.length}`);
  const [utxoT, pT, p2T, sT, eT] = parts as [string, string, string, string, string];
  const utxo = parseUtxoString(utxoT);
  if (!utxo.ok) return utxo;
  const fields: Array<[string, string, number]> = [['P', pT, 33], ['P2', p2T, 33], ['s', sT, 32], ['e', eT, 32]];
  const bytes: Uint8Array[] = [];
  for (const [name, t, len] of fields) {
    const b = tryHex(t);
    if (!b || b.length !== len) return fail(`revelation ${name} must be ${len} bytes of hex`);
    bytes.push(b);
  }
  const [P, P2, s, e] = bytes as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  return ok({ utxo: `${utxo.value.txid}:${utxo.value.vout}`, P, P2, s, e });
}

/**
 * Steps 2–3 of §6.3: SHA256(P2) == commitment, then for each allowed index
 * KG' = s·G − e·P, KJ' = s·J(i) − e·P2 and SHA256(KG'‖KJ'‖P‖P2) == e.
 */
export function verifyPodle(
  proof: PodleProof,
  commitment: Uint8Array,
  indices: readonly number[] = DEFAULT_PODLE_INDICES,
): Result<{ index: number }> {
  if (commitment.length !== 32 || bytesToHex(podleCommitment(proof.P2)) !== bytesToHex(commitment)) {
    return fail('commitment does not match P2');
  }
  const P = proof.P.length === 33 ? decodePoint(proof.P) : null;
  const P2 = proof.P2.length === 33 ? decodePoint(proof.P2) : null;
  if (!P || !P2) return fail('P or P2 is not a valid compressed point');
  if (proof.s.length !== 32 || proof.e.length !== 32) return fail('s and e must be 32 bytes');
  const s = scalarOf(proof.s);
  if (s <= 0n || s >= N) return fail('s out of range');
  const minusE = (N - (scalarOf(proof.e) % N)) % N;
  const eHex = bytesToHex(proof.e);
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i > MAX_NUMS_INDEX) return fail(`NUMS index out of range: ${i}`);
    const J = Point.fromBytes(getNums(i));
    const KG = Point.BASE.multiply(s).add(P.multiplyUnsafe(minusE));
    const KJ = J.multiply(s).add(P2.multiplyUnsafe(minusE));
    if (KG.is0() || KJ.is0()) continue;
    if (bytesToHex(challenge(KG, KJ, proof.P, proof.P2)) === eHex) return ok({ index: i });
  }
  return fail('PoDLE proof does not verify at any allowed index');
}

/** Chain facts about the committed utxo (`gettxout`), looked up by the caller. */
export interface PodleUtxoInfo {
  confirmations: number;
  valueSats: number;
  scriptPubKey: Uint8Array;
}

/** Steps 5–7 of §6.3 (step 4, existence, is the caller's lookup). */
export function checkPodleUtxo(info: PodleUtxoInfo, P: Uint8Array, cjAmountSats: number): Result<true> {
  if (info.confirmations < TAKER_UTXO_AGE) {
    return fail(`commitment utxo has ${info.confirmations} confirmations, need ${TAKER_UTXO_AGE}`);
  }
  const minValue = (BigInt(cjAmountSats) * BigInt(TAKER_UTXO_AMTPERCENT)) / 100n;
  if (BigInt(info.valueSats) < minValue) return fail(`commitment utxo value ${info.valueSats} below ${minValue}`);
  if (!pubkeyOwnsScript(P, info.scriptPubKey)) return fail('P does not own the commitment utxo script');
  return ok(true);
}

/** P2WPKH, P2SH-P2WPKH or P2PKH of the compressed key P (REF `pubkey_has_script`). */
export function pubkeyOwnsScript(P: Uint8Array, script: Uint8Array): boolean {
  const h = ripemd160(sha256(P));
  const wpkh = concatBytes(Uint8Array.of(0x00, 0x14), h);
  const candidates = [
    wpkh,
    concatBytes(Uint8Array.of(0xa9, 0x14), ripemd160(sha256(wpkh)), Uint8Array.of(0x87)),
    concatBytes(Uint8Array.of(0x76, 0xa9, 0x14), h, Uint8Array.of(0x88, 0xac)),
  ];
  const want = bytesToHex(script);
  return candidates.some((c) => bytesToHex(c) === want);
}
