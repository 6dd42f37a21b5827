/**
 * Offers (wire-protocol.md §6.1, §6.2, §6.5; coinjoin-protocol.md §4.2): parsing with the
 * reference orderbook's validation, plain-decimal serialisation, exact cjfee arithmetic, and
 * splitting of multi-command bodies (wire-protocol.md §4.2). Pure; no binary floats for fees.
 *
 * Deliberate, documented tightenings of REF (`orderbookwatch.on_order_seen`):
 * - integers must be plain ASCII digits (Python `int()` would also take "+5", "1_0", " 5");
 * - oid is bounded by 2^53−1 instead of 2^63−1 so it stays an exact JS number;
 * - txfee and abs cjfee are bounded by 2.1e15 and abs cjfee must be ≥ 0;
 * - rel cjfee: no sign, ≤ 32 significant digits, exponent within ±32, no NaN/Infinity (NG bounds).
 */
import { type Result, ok, fail } from './coinjoin/result.js';

/** JoinMarket's DUST_THRESHOLD: offer minsize floor and maker change floor. */
export const DUST_THRESHOLD = 27_300;
/** Bitcoin dust: the taker keeps its own change only above this. */
export const BITCOIN_DUST_THRESHOLD = 2_730;
/** REF's upper bound for minsize/maxsize (21e14 sat). */
export const MAX_OFFER_SATS = 2_100_000_000_000_000;
/** Bounds for a relative cjfee (NG's guard against absurd Decimal strings). */
export const MAX_DECIMAL_DIGITS = 32;
export const MAX_DECIMAL_EXPONENT = 32;

export const REL_OFFER_TYPES = ['sw0reloffer', 'swreloffer', 'reloffer'] as const;
export const ABS_OFFER_TYPES = ['sw0absoffer', 'swabsoffer', 'absoffer'] as const;
export const OFFER_TYPES = [...REL_OFFER_TYPES, ...ABS_OFFER_TYPES] as const;
export type RelOfferType = (typeof REL_OFFER_TYPES)[number];
export type AbsOfferType = (typeof ABS_OFFER_TYPES)[number];
export type OfferType = RelOfferType | AbsOfferType;

/** Exact non-negative rational num/den (den > 0). */
export interface Ratio {
  num: bigint;
  den: bigint;
}

interface OfferCommon {
  oid: number;
  minsize: number;
  maxsize: number;
  txfee: number;
}
export interface RelOffer extends OfferCommon {
  kind: 'rel';
  type: RelOfferType;
  /** Plain decimal text, never scientific notation (what goes on the wire). */
  cjfee: string;
  cjfeeRatio: Ratio;
}
export interface AbsOffer extends OfferCommon {
  kind: 'abs';
  type: AbsOfferType;
  cjfee: number;
}
export type Offer = RelOffer | AbsOffer;

export function isOfferType(s: string): s is OfferType {
  return (OFFER_TYPES as readonly string[]).includes(s);
}
export function isRelOfferType(s: string): s is RelOfferType {
  return (REL_OFFER_TYPES as readonly string[]).includes(s);
}

const DIGITS = /^[0-9]+$/;

/** A plain-digit non-negative integer ≤ max, as a number. */
export function parseUint(text: string, max: number, what: string): Result<number> {
  if (!DIGITS.test(text)) return fail(`${what} is not a non-negative integer: ${JSON.stringify(text)}`);
  const v = BigInt(text);
  if (v > BigInt(max)) return fail(`${what} out of range: ${text}`);
  return ok(Number(v));
}

export interface ParsedDecimal {
  /** Plain decimal text, scale preserved ("2E-5" → "0.00002", "0.000020" stays). */
  text: string;
  ratio: Ratio;
}

const DECIMAL = /^(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))(?:[eE]([+-]?[0-9]+))?$/;

/** Parses an unsigned Python-Decimal-style literal within the bounds above. */
export function parseDecimal(text: string): Result<ParsedDecimal> {
  const m = DECIMAL.exec(text);
  if (!m) return fail(`not an unsigned decimal: ${JSON.stringify(text)}`);
  const intPart = m[1] ?? '';
  const fracPart = m[2] ?? m[3] ?? '';
  const expText = m[4] ?? '0';
  if (expText.replace(/^[+-]?0*/, '').length > 4) return fail(`decimal exponent out of range: ${text}`);
  const exponent = Number(expText) - fracPart.length;
  const mantissa = (intPart + fracPart).replace(/^0+(?=.)/, '');
  if (mantissa.length > MAX_DECIMAL_DIGITS) return fail(`decimal has more than ${MAX_DECIMAL_DIGITS} digits: ${text}`);
  if (Math.abs(exponent) > MAX_DECIMAL_EXPONENT) return fail(`decimal exponent out of range: ${text}`);
  return ok(decimalFromParts(BigInt(mantissa), exponent));
}

/** value = mantissa × 10^exponent, written without an exponent. */
export function decimalFromParts(mantissa: bigint, exponent: number): ParsedDecimal {
  if (mantissa < 0n) throw new RangeError('decimalFromParts: negative mantissa');
  if (exponent >= 0) {
    const num = mantissa * 10n ** BigInt(exponent);
    return { text: num.toString(), ratio: { num, den: 1n } };
  }
  const scale = -exponent;
  const digits = mantissa.toString().padStart(scale + 1, '0');
  const text = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return { text, ratio: { num: mantissa, den: 10n ** BigInt(scale) } };
}

/** round(num/den) to an integer, ties to even (Python Decimal.quantize default). */
export function roundHalfEven(num: bigint, den: bigint): bigint {
  if (den <= 0n) throw new RangeError('roundHalfEven: den must be positive');
  const neg = num < 0n;
  const a = neg ? -num : num;
  let q = a / den;
  const twice = 2n * (a % den);
  if (twice > den || (twice === den && q % 2n === 1n)) q += 1n;
  return neg ? -q : q;
}

/** The fee the taker pays this maker for `amount` sat (coinjoin-protocol.md §4.2). */
export function cjFeeFor(offer: Offer, amountSats: number | bigint): bigint {
  const amount = BigInt(amountSats);
  if (offer.kind === 'abs') return BigInt(offer.cjfee);
  return roundHalfEven(amount * offer.cjfeeRatio.num, offer.cjfeeRatio.den);
}

/** Parses `oid minsize maxsize txfee cjfee` (extra trailing tokens ignored, as REF does). */
export function parseOffer(type: string, args: readonly string[]): Result<Offer> {
  if (!isOfferType(type)) return fail(`unknown offer type: ${type}`);
  if (args.length < 5) return fail(`${type}: expected 5 fields, got ${args.length}`);
  const [oidT, minT, maxT, txfeeT, cjfeeT] = args as [string, string, string, string, string];
  const oid = parseUint(oidT, Number.MAX_SAFE_INTEGER, 'oid');
  if (!oid.ok) return oid;
  const minsize = parseUint(minT, MAX_OFFER_SATS, 'minsize');
  if (!minsize.ok) return minsize;
  const maxsize = parseUint(maxT, MAX_OFFER_SATS, 'maxsize');
  if (!maxsize.ok) return maxsize;
  const txfee = parseUint(txfeeT, MAX_OFFER_SATS, 'txfee');
  if (!txfee.ok) return txfee;
  // REF raises a too-small minsize rather than rejecting the offer, and compares it with
  // maxsize after raising it: an offer whose whole range is below dust is refused.
  const common = {
    oid: oid.value,
    minsize: Math.max(minsize.value, DUST_THRESHOLD),
    maxsize: maxsize.value,
    txfee: txfee.value,
  };
  if (common.minsize > common.maxsize) return fail(`minsize ${common.minsize} > maxsize ${common.maxsize}`);
  if (isRelOfferType(type)) {
    const d = parseDecimal(cjfeeT);
    if (!d.ok) return fail(`cjfee: ${d.reason}`);
    return ok({ kind: 'rel', type, ...common, cjfee: d.value.text, cjfeeRatio: d.value.ratio });
  }
  const abs = parseUint(cjfeeT, MAX_OFFER_SATS, 'cjfee');
  if (!abs.ok) return abs;
  return ok({ kind: 'abs', type: type as AbsOfferType, ...common, cjfee: abs.value });
}

/**
 * Fees no maker can mean (a flooder's or a broken maker's offer): a relative fee of the whole
 * amount or more, or an absolute fee above the largest amount the offer takes. REF accepts
 * any parseable fee; the watcher refuses these so they cannot crowd out real offers.
 * Returns the reason, or null for a plausible offer.
 */
export function implausibleOffer(offer: Offer): string | null {
  if (offer.kind === 'rel' && offer.cjfeeRatio.num >= offer.cjfeeRatio.den) return `relative cjfee ${offer.cjfee} is 100 % or more`;
  if (offer.kind === 'abs' && offer.cjfee > offer.maxsize) return `absolute cjfee ${offer.cjfee} exceeds maxsize ${offer.maxsize}`;
  return null;
}

/** `type oid minsize maxsize txfee cjfee`, without the leading `!`. */
export function formatOffer(offer: Offer): string {
  const cjfee = offer.kind === 'rel' ? relFeeText(offer) : String(offer.cjfee);
  for (const n of [offer.oid, offer.minsize, offer.maxsize, offer.txfee]) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`formatOffer: bad integer field ${n}`);
  }
  return `${offer.type} ${offer.oid} ${offer.minsize} ${offer.maxsize} ${offer.txfee} ${cjfee}`;
}

function relFeeText(offer: RelOffer): string {
  const d = parseDecimal(offer.cjfee);
  if (!d.ok) throw new RangeError(`formatOffer: ${d.reason}`);
  if (d.value.ratio.num * offer.cjfeeRatio.den !== offer.cjfeeRatio.num * d.value.ratio.den) {
    throw new RangeError('formatOffer: cjfee text and ratio disagree');
  }
  return d.value.text;
}

/** Builds a rel offer from a decimal fee string (for makers). */
export function makeRelOffer(type: RelOfferType, fields: OfferCommon, cjfee: string): Result<RelOffer> {
  const d = parseDecimal(cjfee);
  if (!d.ok) return fail(`cjfee: ${d.reason}`);
  return ok({ kind: 'rel', type, ...fields, cjfee: d.value.text, cjfeeRatio: d.value.ratio });
}

export interface Command {
  /** Command name without `!`. */
  name: string;
  /** Tokens after the name, split on single spaces (empty tokens kept, as REF does). */
  args: string[];
  /** The segment's text after the name and its space ("" when there are no args). */
  rest: string;
}

/**
 * Splits `!a x!b y` (or `a x!b y`, as a privmsg body arrives after the envelope) into
 * commands. Empty segments are skipped; base64/hex/nicks never contain `!`.
 */
export function splitCommands(body: string): Command[] {
  const out: Command[] = [];
  for (const seg of body.split('!')) {
    if (seg === '') continue;
    const sp = seg.indexOf(' ');
    const name = sp < 0 ? seg : seg.slice(0, sp);
    const rest = sp < 0 ? '' : seg.slice(sp + 1);
    if (name === '') continue;
    out.push({ name, args: rest === '' ? [] : rest.split(' '), rest });
  }
  return out;
}
