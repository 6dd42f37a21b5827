/** Display formatting shared by the web page and the terminal table. */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function formatSats(n: number): string {
  return `${Math.round(n).toLocaleString('en-US')} sat`;
}

/** 8 decimals, thousands grouped in the integer part. */
export function formatBtc(sats: number): string {
  if (!Number.isFinite(sats)) return '∞ BTC';
  const neg = sats < 0;
  const s = Math.round(Math.abs(sats));
  const int = Math.floor(s / 1e8).toLocaleString('en-US');
  const frac = String(s % 1e8).padStart(8, '0');
  return `${neg ? '-' : ''}${int}.${frac} BTC`;
}

/** Coin amounts: BTC from 0.001 BTC up, sats below. */
export function formatAmount(sats: number): string {
  return Math.abs(sats) >= 100_000 ? formatBtc(sats) : formatSats(sats);
}

/** Relative fee as a percentage (exact decimal text shifted two places), absolute in sats. */
export function formatFee(kind: 'rel' | 'abs', cjfee: string): string {
  if (kind === 'abs') return formatSats(Number(cjfee));
  const [i = '0', f = ''] = cjfee.split('.');
  const shifted = i + f.padEnd(2, '0');
  const pointAt = i.length + 2;
  const whole = shifted.slice(0, pointAt).replace(/^0+(?=\d)/, '') || '0';
  const rest = shifted.slice(pointAt).replace(/0+$/, '');
  return `${whole}${rest ? '.' + rest : ''} %`;
}

const SUPERSCRIPT = '⁰¹²³⁴⁵⁶⁷⁸⁹';

/** Bond values span many orders of magnitude: "1.828 × 10⁸" reads better than 1.828e+8. */
export function formatBondValue(v: number | null): string {
  if (v === null) return '—';
  if (v === 0) return '0';
  if (Math.abs(v) < 1e6) return Math.round(v).toLocaleString('en-US');
  const [m = '', e = '0'] = v.toExponential(3).split('e');
  const exp = String(Number(e)).replace(/[0-9]/g, (d) => SUPERSCRIPT[Number(d)]!).replace('-', '⁻');
  return `${m} × 10${exp}`;
}

export function formatPercent(p: number): string {
  return `${(p * 100).toFixed(2)} %`;
}

export function formatDate(unixSeconds: number | null): string {
  if (unixSeconds === null) return '—';
  return new Date(unixSeconds * 1000).toISOString().slice(0, 10);
}

export function offerTypeLabel(kind: 'rel' | 'abs'): string {
  return kind === 'rel' ? 'relative' : 'absolute';
}
