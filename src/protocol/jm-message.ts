/**
 * PUBMSG/PRIVMSG payloads and privmsg signatures (wire-protocol.md §4–§5):
 *   pubmsg  = from "!PUBLIC" "!" cmd…        privmsg = from "!" to "!" cmd " " args " " pub " " sig
 * Signed text = args + "onion-network"; args excludes the first command name, the nicks,
 * the pubkey and the signature, but includes every later "!cmd …" chunk.
 */
import {
  bytesToHex, compactToDer, fromBase64, messageHashNative, normaliseLowS, parseStrictDer, publicKeyOf, toBase64, tryHex, verifyMessageDer,
} from './crypto.js';
import { nickMatchesPubkey } from './nick.js';
import { signCompact, verifyCompact } from './secp-fast.js';

export const PUBLIC = 'PUBLIC';
export const HOSTID = 'onion-network';

export interface RoutedLine {
  from: string;
  to: string;
  /** Everything after "from!to!" (no leading '!'). */
  body: string;
}

/** Splits "from!to!body"; null when either separator is missing or a part is empty. */
export function splitRouted(line: string): RoutedLine | null {
  const a = line.indexOf('!');
  if (a <= 0) return null;
  const b = line.indexOf('!', a + 1);
  if (b <= a + 1 || b === line.length - 1) return null;
  return { from: line.slice(0, a), to: line.slice(a + 1, b), body: line.slice(b + 1) };
}

export function buildPubmsg(from: string, body: string): string {
  return `${from}!${PUBLIC}!${body.startsWith('!') ? body.slice(1) : body}`;
}

export interface SignedPrivmsg {
  from: string;
  to: string;
  cmd: string;
  args: string;
  pubkeyHex: string;
  sigBase64: string;
}

/** Builds a signed privmsg line: `from!to!cmd args pub sig`. `args` must be non-empty. */
export function buildSignedPrivmsg(from: string, to: string, cmd: string, args: string, priv: Uint8Array): string {
  if (args === '') throw new Error('privmsg args must not be empty');
  return `${from}!${to}!${cmd} ${args}${privmsgSignature(args, priv, publicKeyOf(priv))}`;
}

/**
 * The ` <pubkey hex> <base64 DER>` that ends a signed privmsg over `args`: libsecp256k1
 * (secp-fast.ts; RFC 6979, low S, the same bytes as any other RFC 6979 signer), checked
 * against `pub` before it is returned.
 */
export function privmsgSignature(args: string, priv: Uint8Array, pub: Uint8Array): string {
  const digest = messageHashNative(args + HOSTID);
  const compact = signCompact(digest, priv);
  if (verifyCompact(digest, pub, compact) !== 'ok') throw new Error('privmsg signature: self-check failed (wrong public key?)');
  return ` ${bytesToHex(pub)} ${toBase64(compactToDer(compact))}`;
}

export type PrivmsgResult = { ok: true; msg: SignedPrivmsg } | { ok: false; reason: string };

/** Parses the body of a privmsg into command, args, pubkey and signature (no verification). */
export function parsePrivmsgBody(from: string, to: string, body: string): PrivmsgResult {
  const toks = body.split(' ');
  if (toks.length < 4) return { ok: false, reason: 'privmsg has no signature appended' };
  const cmd = toks[0]!;
  if (cmd === '' || cmd.startsWith('!')) return { ok: false, reason: 'privmsg command is empty' };
  const pubkeyHex = toks[toks.length - 2]!;
  const sigBase64 = toks[toks.length - 1]!;
  const args = toks.slice(1, -2).join(' ');
  if (args === '') return { ok: false, reason: 'privmsg has empty args' };
  return { ok: true, msg: { from, to, cmd, args, pubkeyHex, sigBase64 } };
}

export type PrivmsgCheck = { ok: true } | { ok: false; reason: string };

/** Verifies the signature over args + hostid and that the nick belongs to the key. */
export function verifyPrivmsg(m: SignedPrivmsg): PrivmsgCheck {
  const pub = tryHex(m.pubkeyHex);
  if (!pub || pub.length !== 33) return { ok: false, reason: 'pubkey is not 33-byte hex' };
  const sig = fromBase64(m.sigBase64);
  if (!sig) return { ok: false, reason: 'signature is not base64' };
  if (!verifyMessageDer(sig, m.args + HOSTID, pub)) return { ok: false, reason: 'bad signature' };
  if (!nickMatchesPubkey(m.from, m.pubkeyHex)) return { ok: false, reason: 'nick does not match pubkey' };
  return { ok: true };
}

/**
 * verifyPrivmsg on libsecp256k1 (about 25× faster than the pure-JS path; secp-fast.ts), for
 * every privmsg a client or a maker receives. The signature must be strict DER (BIP 66), as
 * every implementation signs (libsecp256k1 in REF and NG, RFC 6979 here); a high S is
 * accepted after normalising, as verifyPrivmsg does.
 */
export function verifyPrivmsgFast(m: SignedPrivmsg): PrivmsgCheck {
  const pub = tryHex(m.pubkeyHex);
  if (!pub || pub.length !== 33) return { ok: false, reason: 'pubkey is not 33-byte hex' };
  const der = fromBase64(m.sigBase64);
  if (!der) return { ok: false, reason: 'signature is not base64' };
  const compact = parseStrictDer(der);
  if (!compact) return { ok: false, reason: 'signature is not strict DER' };
  if (verifyCompact(messageHashNative(m.args + HOSTID), pub, normaliseLowS(compact)) !== 'ok') return { ok: false, reason: 'bad signature' };
  if (!nickMatchesPubkey(m.from, m.pubkeyHex)) return { ok: false, reason: 'nick does not match pubkey' };
  return { ok: true };
}

/**
 * What a receiver checks before it believes a privmsg: the cheap checks a forger can fail for
 * free (key format, signature length, nick derived from the key) first, ECDSA (`verify`) last.
 */
export function checkPrivmsg(m: SignedPrivmsg, verify: (m: SignedPrivmsg) => PrivmsgCheck = verifyPrivmsgFast): PrivmsgCheck {
  if (!/^[0-9a-f]{66}$/.test(m.pubkeyHex)) return { ok: false, reason: 'pubkey is not 66 lowercase hex chars' };
  if (m.sigBase64.length > 120) return { ok: false, reason: 'signature too long' };
  if (!nickMatchesPubkey(m.from, m.pubkeyHex)) return { ok: false, reason: 'nick does not match pubkey' };
  return verify(m);
}
