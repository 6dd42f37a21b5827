/** Display formatting shared by the web page and the terminal table (amounts and bond values: src/wallet/format.ts). */
import { formatBtc } from '../wallet/format.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export { formatBondValue, formatBtc } from '../wallet/format.js';

/** Relative fee as a percentage (exact decimal text shifted two places), absolute in BTC. */
export function formatFee(kind: 'rel' | 'abs', cjfee: string): string {
  if (kind === 'abs') return formatBtc(Number(cjfee));
  const [i = '0', f = ''] = cjfee.split('.');
  const shifted = i + f.padEnd(2, '0');
  const pointAt = i.length + 2;
  const whole = shifted.slice(0, pointAt).replace(/^0+(?=\d)/, '') || '0';
  const rest = shifted.slice(pointAt).replace(/0+$/, '');
  return `${whole}${rest ? '.' + rest : ''} %`;
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
