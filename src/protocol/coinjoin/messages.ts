/**
 * Coinjoin command bodies (coinjoin-protocol.md §4.3–§4.11, §1 command families): parse and
 * build `fill pubkey auth ioauth tx sig push error hp2`. The signed privmsg envelope is
 * jm-message.ts's job; here a command is `{cmd, args}` as that module hands it over, and
 * `toBody` gives the `!cmd args` text. Encrypted plaintexts are in encrypted-payloads.ts.
 */
import { bytesToHex, fromBase64, tryHex } from '../crypto.js';
import { type Offer, MAX_OFFER_SATS, parseUint } from '../offers.js';
import { parseNaclPublicKeyHex } from './box.js';
import { PODLE_COMMITMENT_TYPE } from './podle.js';
import { type Result, ok, fail } from './result.js';

export const ENCRYPTED_COMMANDS = ['auth', 'ioauth', 'tx', 'sig'] as const;
export const PLAINTEXT_COMMANDS = ['fill', 'pubkey', 'push', 'error', 'hp2'] as const;
export type EncryptedCommand = (typeof ENCRYPTED_COMMANDS)[number];
export type CoinjoinCommand = EncryptedCommand | (typeof PLAINTEXT_COMMANDS)[number];

export function isEncryptedCommand(cmd: string): cmd is EncryptedCommand {
  return (ENCRYPTED_COMMANDS as readonly string[]).includes(cmd);
}
export function isCoinjoinCommand(cmd: string): cmd is CoinjoinCommand {
  return isEncryptedCommand(cmd) || (PLAINTEXT_COMMANDS as readonly string[]).includes(cmd);
}

/** `!fill` as received: syntax checked only; `checkFill` applies REF's ordered checks. */
export interface FillMessage {
  cmd: 'fill';
  oid: number;
  amount: number;
  /** Raw token; validated by checkFill step 5. */
  takerNaclPub: string;
  /** Raw token including the type char, e.g. `P0699…`. */
  commitment: string;
}
export interface PubkeyMessage {
  cmd: 'pubkey';
  makerNaclPubHex: string;
  /** NG `features=a,b` extension; empty for REF makers. */
  features: string[];
}
export interface EncryptedMessage {
  cmd: EncryptedCommand;
  /** base64(nonce ‖ box), chunks concatenated as REF does. */
  ciphertext: string;
}
export interface PushMessage {
  cmd: 'push';
  txBase64: string;
  tx: Uint8Array;
}
export interface ErrorMessage {
  cmd: 'error';
  text: string;
}
export interface Hp2Message {
  cmd: 'hp2';
  commitmentHex: string;
}
export type CoinjoinMessage = FillMessage | PubkeyMessage | EncryptedMessage | PushMessage | ErrorMessage | Hp2Message;

const HEX64 = /^[0-9a-fA-F]{64}$/;

/** Parses one command; `args` is everything after `cmd ` (privmsg pubkey/sig already removed). */
export function parseCoinjoinCommand(cmd: string, args: string): Result<CoinjoinMessage> {
  const toks = args.split(' ');
  switch (cmd) {
    case 'fill': {
      if (toks.length < 4) return fail(`fill: expected 4 fields, got ${toks.length}`);
      const oid = parseUint(toks[0] ?? '', Number.MAX_SAFE_INTEGER, 'fill oid');
      if (!oid.ok) return oid;
      const amount = parseUint(toks[1] ?? '', MAX_OFFER_SATS, 'fill amount');
      if (!amount.ok) return amount;
      return ok({ cmd, oid: oid.value, amount: amount.value, takerNaclPub: toks[2] ?? '', commitment: toks[3] ?? '' });
    }
    case 'pubkey': {
      const pk = parseNaclPublicKeyHex(toks[0] ?? '');
      if (!pk.ok) return fail(`invalid nacl pubkey: ${pk.reason}`);
      const features: string[] = [];
      for (const t of toks.slice(1)) {
        if (t.startsWith('features=')) features.push(...t.slice(9).split(',').filter((f) => f !== ''));
      }
      return ok({ cmd, makerNaclPubHex: (toks[0] ?? '').toLowerCase(), features });
    }
    case 'auth':
    case 'ioauth':
    case 'tx':
    case 'sig': {
      const ciphertext = toks.join('');
      if (ciphertext === '' || !fromBase64(ciphertext)) return fail(`${cmd}: ciphertext is not base64`);
      return ok({ cmd, ciphertext });
    }
    case 'push': {
      const tx = fromBase64(toks[0] ?? '');
      if (!tx || tx.length === 0) return fail('push: transaction is not base64');
      return ok({ cmd, txBase64: toks[0] ?? '', tx });
    }
    case 'error':
      return ok({ cmd, text: args });
    case 'hp2': {
      const c = toks[0] ?? '';
      if (!HEX64.test(c)) return fail('hp2: commitment must be 64 hex chars');
      return ok({ cmd, commitmentHex: c.toLowerCase() });
    }
    default:
      return fail(`not a coinjoin command: ${cmd.slice(0, 20)}`);
  }
}

/** `{cmd, args}` ready for the signed-privmsg builder. */
export function formatCoinjoinCommand(m: CoinjoinMessage): { cmd: CoinjoinCommand; args: string } {
  switch (m.cmd) {
    case 'fill':
      return { cmd: m.cmd, args: `${m.oid} ${m.amount} ${m.takerNaclPub} ${m.commitment}` };
    case 'pubkey':
      return { cmd: m.cmd, args: [m.makerNaclPubHex, ...(m.features.length ? [`features=${m.features.join(',')}`] : [])].join(' ') };
    case 'auth':
    case 'ioauth':
    case 'tx':
    case 'sig':
      return { cmd: m.cmd, args: m.ciphertext };
    case 'push':
      return { cmd: m.cmd, args: m.txBase64 };
    case 'error':
      return { cmd: m.cmd, args: m.text };
    case 'hp2':
      return { cmd: m.cmd, args: m.commitmentHex };
  }
}

/** `!cmd args` — the body string form, which round-trips through parseCoinjoinCommand. */
export function toBody(m: CoinjoinMessage): string {
  const { cmd, args } = formatCoinjoinCommand(m);
  return `!${cmd} ${args}`;
}

/** Taker side: a `!fill` with a 32-byte commitment and our NaCl pubkey. */
export function buildFill(oid: number, amount: number, takerNaclPubHex: string, commitment: Uint8Array): FillMessage {
  if (!parseNaclPublicKeyHex(takerNaclPubHex).ok) throw new RangeError('buildFill: bad nacl pubkey');
  if (commitment.length !== 32) throw new RangeError('buildFill: commitment must be 32 bytes');
  if (!Number.isSafeInteger(oid) || oid < 0 || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new RangeError('buildFill: bad oid or amount');
  }
  const c = PODLE_COMMITMENT_TYPE + bytesToHex(commitment);
  return { cmd: 'fill', oid, amount, takerNaclPub: takerNaclPubHex.toLowerCase(), commitment: c };
}

export interface AcceptedFill {
  offer: Offer;
  amount: number;
  takerNaclPub: Uint8Array;
  commitment: Uint8Array;
  commitmentHex: string;
}

/** A refusal; `reply` is REF's `!error` text (undefined: drop silently). */
export type FillRefusal = { ok: false; reason: string; reply?: string };

/** Maker handling of `!fill`, REF order (§4.3 steps 1–5). Step 6 (keypair) is the caller's. */
export function checkFill(
  fill: FillMessage,
  offers: readonly Offer[],
  isBlacklisted: (commitmentHex: string) => boolean,
): { ok: true; value: AcceptedFill } | FillRefusal {
  const type = fill.commitment.slice(0, 1);
  if (type !== PODLE_COMMITMENT_TYPE) {
    const reply = `Unsupported commitment type: ${type}`;
    return { ok: false, reason: reply, reply };
  }
  const body = fill.commitment.slice(1);
  const commitment = HEX64.test(body) ? tryHex(body) : null;
  if (!commitment) return { ok: false, reason: 'malformed commitment hex' };
  const commitmentHex = body.toLowerCase();
  if (isBlacklisted(commitmentHex)) {
    const reply = `Commitment is blacklisted: ${commitmentHex}`;
    return { ok: false, reason: reply, reply };
  }
  const offer = offers.find((o) => o.oid === fill.oid);
  if (!offer) return { ok: false, reason: 'oid not found', reply: 'oid not found' };
  if (fill.amount < offer.minsize || fill.amount > offer.maxsize) {
    return { ok: false, reason: 'amount out of range', reply: 'amount out of range' };
  }
  const pk = parseNaclPublicKeyHex(fill.takerNaclPub);
  if (!pk.ok) {
    const reply = `Invalid nacl pubkey: ${fill.takerNaclPub.slice(0, 80)}`;
    return { ok: false, reason: reply, reply };
  }
  return { ok: true, value: { offer, amount: fill.amount, takerNaclPub: pk.value, commitment, commitmentHex } };
}
