/**
 * Nick ownership authentication, JMP-0005 (wire-protocol.md §2.8, vector V10), as joinmarket-ng
 * runs it after an accepted handshake when both sides advertise `nick_auth`:
 *
 *   DN → 803 {"challenge":"<64 lowercase hex>","directory-id":"<id>"}
 *   client → 805 {"pubkey":"<02|03 + 64 lowercase hex>","signature":"<canonical base64 of strict DER>"}
 *   DN → 807 {"code":"ok|malformed|expired|invalid|policy","verified":<code == ok>}
 *
 * The signature is ECDSA (low-S) over the Bitcoin signed-message hash of the ASCII bytes
 * `nick-auth|<challenge>|<directory-id>|<sha256 hex of the exact handshake line>|<nick>|<pubkey>`
 * followed directly by `nick-auth-v1`; the nick must be the one derived from the pubkey.
 * Payloads are compact JSON, parsed strictly (no duplicate or extra keys). Pure; verification
 * uses libsecp256k1, natively where it loads (secp-fast.ts; measured in docs/performance.md).
 */
import * as ecc from 'tiny-secp256k1';
import { createHash } from 'node:crypto';
import { bytesToHex, compactToDer, messageHash, messageHashNative, parseStrictDer, toBase64, utf8ToBytes } from './crypto.js';
import { nickFromPubkeyHex } from './nick.js';
import { parseFlatJsonObject, type FlatValue } from './strict-json.js';
import { signCompact, verifyCompact } from './secp-fast.js';

export { compactToDer, parseStrictDer };

export const NICK_AUTH_FEATURE = 'nick_auth';
export const NICK_AUTH_DOMAIN = 'nick-auth-v1';
/** ng's cap on the exchange's deadline; a longer configured value is clamped to it. */
export const NICK_AUTH_MAX_TIMEOUT_MS = 30_000;
export const NICK_AUTH_CODES = ['ok', 'malformed', 'expired', 'invalid', 'policy'] as const;
export type NickAuthCode = (typeof NICK_AUTH_CODES)[number];

const HEX64 = /^[0-9a-f]{64}$/;
const PUBKEY = /^0[23][0-9a-f]{64}$/;
const DIRECTORY_ID = /^[a-z0-9][a-z0-9.:_-]*$/;
const ONION_HOST = /^[a-z2-7]{56}\.onion$/;
const NICK = /^J[0-9][1-9A-HJ-NP-Za-km-zO]{14}$/;
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface NickAuthChallenge {
  challenge: string;
  directoryId: string;
}
export interface NickAuthProof {
  pubkey: string;
  signature: string;
}
export interface NickAuthResult {
  code: NickAuthCode;
  verified: boolean;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export function isValidDirectoryId(id: string): boolean {
  return id.length <= 255 && DIRECTORY_ID.test(id);
}

/** ng's derivation for a dialled endpoint: only onions have an implied id (lowercase host:port). */
export function directoryIdForEndpoint(host: string, port: number): string | null {
  const h = host.toLowerCase().replace(/\.$/, '');
  return ONION_HOST.test(h) && Number.isInteger(port) && port >= 1 && port <= 65535 ? `${h}:${port}` : null;
}

export function handshakeSha256(line: string): string {
  return createHash('sha256').update(line, 'utf8').digest('hex');
}

/** The signed bytes (before the signed-message hash). Inputs must already be valid. */
export function nickAuthMessage(challenge: string, directoryId: string, hsSha256: string, nick: string, pubkey: string): Uint8Array {
  return utf8ToBytes(`nick-auth|${challenge}|${directoryId}|${hsSha256}|${nick}|${pubkey}${NICK_AUTH_DOMAIN}`);
}

/** Exactly the keys named, with string/boolean values as typed; anything else is malformed. */
function fields<K extends string>(line: string, keys: readonly K[]): Parsed<Record<K, FlatValue>> {
  const p = parseFlatJsonObject(line, keys.length);
  if (!p.ok) return p;
  if (p.value.size !== keys.length) return { ok: false, reason: `expected exactly the keys ${keys.join(', ')}` };
  const out = {} as Record<K, FlatValue>;
  for (const k of keys) {
    if (!p.value.has(k)) return { ok: false, reason: `missing "${k}"` };
    out[k] = p.value.get(k)!;
  }
  return { ok: true, value: out };
}

export function buildChallenge(c: NickAuthChallenge): string {
  return JSON.stringify({ challenge: c.challenge, 'directory-id': c.directoryId });
}

export function parseChallenge(line: string): Parsed<NickAuthChallenge> {
  const f = fields(line, ['challenge', 'directory-id']);
  if (!f.ok) return f;
  const { challenge, 'directory-id': directoryId } = f.value;
  if (typeof challenge !== 'string' || !HEX64.test(challenge)) return { ok: false, reason: 'challenge is not 64 lowercase hex' };
  if (typeof directoryId !== 'string' || !isValidDirectoryId(directoryId)) return { ok: false, reason: 'invalid directory-id' };
  return { ok: true, value: { challenge, directoryId } };
}

export function buildProof(p: NickAuthProof): string {
  return JSON.stringify({ pubkey: p.pubkey, signature: p.signature });
}

/**
 * Field formats only (pubkey shape, canonical base64 of strict DER); whether the pubkey is on the
 * curve is found by verifyNickAuthProof (it decompresses the point anyway).
 */
export function parseProof(line: string): Parsed<ParsedProof> {
  const f = fields(line, ['pubkey', 'signature']);
  if (!f.ok) return f;
  const { pubkey, signature } = f.value;
  if (typeof pubkey !== 'string' || !PUBKEY.test(pubkey)) return { ok: false, reason: 'pubkey is not a lowercase compressed key' };
  if (typeof signature !== 'string') return { ok: false, reason: 'signature is not a string' };
  const der = decodeCanonicalBase64(signature);
  const compact = der ? parseStrictDer(der) : null;
  if (!der || !compact) return { ok: false, reason: 'signature is not canonical base64 of strict DER' };
  return { ok: true, value: { pubkey, signature, der, compact } };
}

export function buildResult(code: NickAuthCode): string {
  return JSON.stringify({ code, verified: code === 'ok' });
}

export function parseResult(line: string): Parsed<NickAuthResult> {
  const f = fields(line, ['code', 'verified']);
  if (!f.ok) return f;
  const { code, verified } = f.value;
  if (typeof code !== 'string' || !(NICK_AUTH_CODES as readonly string[]).includes(code)) return { ok: false, reason: 'unknown result code' };
  if (typeof verified !== 'boolean' || verified !== (code === 'ok')) return { ok: false, reason: 'verified must be true exactly with code ok' };
  return { ok: true, value: { code: code as NickAuthCode, verified } };
}

function decodeCanonicalBase64(s: string): Uint8Array | null {
  if (s.length === 0 || s.length % 4 !== 0 || !B64.test(s)) return null;
  const b = Buffer.from(s, 'base64');
  return b.toString('base64') === s ? new Uint8Array(b) : null;
}

/** The proof a client sends: signs with libsecp256k1 (RFC 6979, low-S) and checks its own output. */
export function signNickAuthProof(privateKey: Uint8Array, challenge: NickAuthChallenge, handshakeLine: string, nick: string): NickAuthProof {
  const pubkey = bytesToHex(ecc.pointFromScalar(privateKey, true)!);
  if (nickFromPubkeyHex(pubkey) !== nick) throw new Error('nick-auth: the key does not match our nick');
  const digest = messageHash(nickAuthMessage(challenge.challenge, challenge.directoryId, handshakeSha256(handshakeLine), nick, pubkey));
  const compact = ecc.sign(digest, privateKey);
  const der = compactToDer(compact);
  if (verifyNickAuthProof({ pubkey, signature: '', der, compact }, challenge, handshakeLine, nick) !== 'ok') throw new Error('nick-auth: self-check of the proof failed');
  return { pubkey, signature: toBase64(der) };
}

/** A proof whose fields passed parseProof (`compact`: its signature as r ‖ s). */
export type ParsedProof = NickAuthProof & { der: Uint8Array; compact: Uint8Array };

/** The exact handshake line received, or its SHA-256 hex computed on receipt (all a verifier keeps). */
export type HandshakeRef = string | { sha256: string };

/** What one ECDSA verification needs, after the cheap checks of a parsed proof. */
export interface VerifyInput {
  digest: Uint8Array;
  pub: Uint8Array;
  /** 64-byte r ‖ s. */
  compact: Uint8Array;
}

/**
 * The cheap part of the DN's check: the nick must derive from the pubkey (else 'invalid', or
 * 'malformed' when the pubkey is not a curve point, as ng's parser finds). Returns the input
 * of the one verification left.
 */
export function nickAuthVerifyInput(proof: ParsedProof, expected: NickAuthChallenge, handshake: HandshakeRef, nick: string): VerifyInput | 'invalid' | 'malformed' {
  const compact = proof.compact;
  const pub = Buffer.from(proof.pubkey, 'hex');
  if (!NICK.test(nick) || nickFromPubkeyHex(proof.pubkey) !== nick) return ecc.isPoint(pub) ? 'invalid' : 'malformed';
  const hs = typeof handshake === 'string' ? handshakeSha256(handshake) : handshake.sha256;
  const digest = messageHashNative(nickAuthMessage(expected.challenge, expected.directoryId, hs, nick, proof.pubkey));
  return { digest, pub, compact };
}

/**
 * The whole check of a parsed proof on this thread: 'ok', 'malformed' (the pubkey is not a curve
 * point) or 'invalid' (nick ↔ key, or the signature, high-S included, as libsecp256k1 refuses it).
 */
export function verifyNickAuthProof(proof: ParsedProof, expected: NickAuthChallenge, handshake: HandshakeRef, nick: string): 'ok' | 'malformed' | 'invalid' {
  const v = nickAuthVerifyInput(proof, expected, handshake, nick);
  return typeof v === 'string' ? v : verifyCompact(v.digest, v.pub, v.compact);
}

/** The 805 proof over a precomputed public key (no self-check): for load generators. */
export function signNickAuthFast(privateKey: Uint8Array, pubkey: string, challenge: NickAuthChallenge, handshakeLine: string, nick: string): NickAuthProof {
  const digest = messageHashNative(nickAuthMessage(challenge.challenge, challenge.directoryId, handshakeSha256(handshakeLine), nick, pubkey));
  return { pubkey, signature: toBase64(compactToDer(signCompact(digest, privateKey))) };
}
