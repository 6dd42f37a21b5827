/**
 * BIP39 seed handling with JoinMarket's "mnemonic extension" (wallet-and-bonds.md §2).
 * English wordlist only; the extension is the BIP39 passphrase, used verbatim (NG behaviour).
 */
import * as bip39 from 'bip39';
import { randomBytes } from 'node:crypto';

export type MnemonicWords = 12 | 24;

/** New mnemonic: 12 words = 16 bytes of entropy (REF default), 24 words = 32 bytes (NG default). */
export function generateMnemonic(words: MnemonicWords = 24, rng: (n: number) => Uint8Array = randomBytes): string {
  const entropy = rng(words === 12 ? 16 : 32);
  return bip39.entropyToMnemonic(Buffer.from(entropy).toString('hex'));
}

/** REF normalisation: lowercase, single spaces, trimmed. */
export function normalizeMnemonic(m: string): string {
  return m.normalize('NFKD').toLowerCase().trim().split(/\s+/).join(' ');
}

export type MnemonicCheck = { ok: true; mnemonic: string } | { ok: false; reason: string };

/** Normalises and checks word count, words and checksum. */
export function checkMnemonic(m: string): MnemonicCheck {
  const mnemonic = normalizeMnemonic(m);
  const words = mnemonic === '' ? [] : mnemonic.split(' ');
  if (![12, 15, 18, 21, 24].includes(words.length)) {
    return { ok: false, reason: `a mnemonic has 12, 15, 18, 21 or 24 words, got ${words.length}` };
  }
  const list = bip39.wordlists['english'];
  const unknown = list ? words.filter((w) => !list.includes(w)) : [];
  if (unknown.length > 0) return { ok: false, reason: `not in the BIP39 English wordlist: ${unknown.join(', ')}` };
  if (!bip39.validateMnemonic(mnemonic)) return { ok: false, reason: 'BIP39 checksum mismatch (a word is wrong or out of order)' };
  return { ok: true, mnemonic };
}

/** Like checkMnemonic but throws a readable Error. */
export function parseMnemonic(m: string): string {
  const r = checkMnemonic(m);
  if (!r.ok) throw new Error(`invalid mnemonic: ${r.reason}`);
  return r.mnemonic;
}

/** 64-byte BIP39 seed; absent and empty extension give the same seed. */
export function mnemonicToSeed(mnemonic: string, extension = ''): Uint8Array {
  return new Uint8Array(bip39.mnemonicToSeedSync(parseMnemonic(mnemonic), extension));
}

export function mnemonicToEntropyHex(mnemonic: string): string {
  return bip39.mnemonicToEntropy(parseMnemonic(mnemonic));
}

export function entropyHexToMnemonic(hex: string): string {
  return bip39.entropyToMnemonic(hex);
}
