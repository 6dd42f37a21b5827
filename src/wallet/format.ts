/**
 * How amounts and bond values are shown to people, in one place: every command and the
 * watcher page use these. Amounts are kept in satoshis (integers) everywhere else and shown as
 * BTC with 8 decimals; a bond value (an abstract weight spanning many orders of magnitude) as
 * a 4-digit mantissa × a power of ten.
 */

/** `1,234.56789012 BTC`: 8 decimals, the integer part grouped; exact for bigint input. */
export function formatBtc(sats: number | bigint): string {
  if (typeof sats === 'number' && !Number.isFinite(sats)) return '∞ BTC';
  const v = typeof sats === 'bigint' ? sats : BigInt(Math.round(sats));
  const a = v < 0n ? -v : v;
  const whole = (a / 100000000n).toLocaleString('en-US');
  const frac = (a % 100000000n).toString().padStart(8, '0');
  return `${v < 0n ? '-' : ''}${whole}.${frac} BTC`;
}

/** `1.828 × 10⁸` (below 10⁶: the rounded integer, grouped); `—` when unknown. */
export function formatBondValue(v: number | null): string {
  if (v === null) return '—';
  if (v === 0) return '0';
  if (Math.abs(v) < 1e6) return Math.round(v).toLocaleString('en-US');
  const parts = v.toExponential(3).split('e');
  const exp = String(Number(parts[1])).replace(/[0-9]/g, (d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'.charAt(Number(d))).replace('-', '⁻');
  return `${parts[0]} × 10${exp}`;
}

/** `27,300 sat`: the same amount in satoshis, grouped. */
export function formatSats(sats: number | bigint): string {
  if (typeof sats === 'number' && !Number.isFinite(sats)) return '∞ sat';
  const v = typeof sats === 'bigint' ? sats : BigInt(Math.round(sats));
  return `${v.toLocaleString('en-US')} sat`;
}

export type AmountUnit = 'btc' | 'sat';

/** An amount in the unit a person chose (the watcher page's sat/BTC switch). */
export function formatAmount(sats: number | bigint, unit: AmountUnit): string {
  return unit === 'sat' ? formatSats(sats) : formatBtc(sats);
}
