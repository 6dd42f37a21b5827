/**
 * BTC <-> satoshi without float rounding (blockchain-backend.md §6 "Amounts"): Core's JSON
 * numbers are read as their shortest decimal text, then scaled as a decimal string.
 */
const BTC_RE = /^(\d+)(?:\.(\d{1,8}))?$/;
export const MAX_MONEY_SAT = 21_000_000n * 100_000_000n;

export function btcToSats(v: number | string): bigint {
  let s = typeof v === 'number' ? numberToPlainString(v) : v.trim();
  const neg = s.startsWith('-');
  if (neg) s = s.slice(1);
  const m = BTC_RE.exec(s);
  if (!m) throw new RangeError(`not a BTC amount with at most 8 decimals: ${String(v)}`);
  const sats = BigInt(m[1]!) * 100_000_000n + BigInt((m[2] ?? '').padEnd(8, '0'));
  return neg ? -sats : sats;
}

export function satsToBtc(sats: bigint): string {
  const neg = sats < 0n;
  const a = neg ? -sats : sats;
  const s = `${a / 100_000_000n}.${(a % 100_000_000n).toString().padStart(8, '0')}`;
  return neg ? `-${s}` : s;
}

/** JS shortest round-trip text, expanded from exponent form (1e-8 -> 0.00000001). */
function numberToPlainString(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite amount: ${n}`);
  const s = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const digits = m[2]! + (m[3] ?? '');
  const exp = Number(m[4]);
  if (exp < 0) return `${m[1]}0.${'0'.repeat(-exp - 1)}${digits}`;
  return m[1] + digits.padEnd(exp + 1, '0');
}

/** Core fee rates are BTC per kvB; we work in sat/vB. */
export function btcPerKvbToSatPerVb(v: number): number {
  return Number(btcToSats(v)) / 1000;
}
