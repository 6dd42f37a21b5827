/** Plain-text tables for `jm-orderbook --once` (numbers right-aligned). */
import type { ApiDirectories, ApiOrderbook } from './schema.js';
import { formatBtc, formatBondValue, formatFee, formatPercent, offerTypeLabel } from './format.js';

type Align = 'l' | 'r';

export function textTable(headers: string[], align: Align[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function renderText(ob: ApiOrderbook, d: ApiDirectories): string {
  const offers = textTable(
    ['maker', 'oid', 'type', 'min size', 'max size', 'fee', 'txfee', 'bond value', 'pick'],
    ['l', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
    ob.offers.map((o) => [
      o.nick, String(o.oid), offerTypeLabel(o.kind), formatBtc(o.minsize), formatBtc(o.maxsize), formatFee(o.kind, o.cjfee),
      formatBtc(o.txfee), o.bondStatus === 'verified' ? formatBondValue(o.bondValue) : o.bondStatus === 'none' ? '-' : o.bondStatus,
      formatPercent(o.pickChance),
    ]),
  );
  const bonds = ob.bonds.length === 0 ? '(no bonds)' : textTable(
    ['maker', 'status', 'value', 'amount', 'locktime', 'outpoint'],
    ['l', 'l', 'r', 'r', 'r', 'l'],
    ob.bonds.map((b) => [b.nick, b.status, formatBondValue(b.value), b.amountSat === null ? '-' : formatBtc(b.amountSat),
      b.locktime === null ? '-' : new Date(b.locktime * 1000).toISOString().slice(0, 10), b.txid ? `${b.txid}:${b.vout}` : '-']),
  );
  const dirs = textTable(
    ['directory', 'state', 'latency', 'features', 'nick auth', 'makers'],
    ['l', 'l', 'r', 'l', 'l', 'r'],
    d.directories.map((s) => [s.id, s.connected ? 'connected' : (s.lastRejection ?? s.lastError ?? s.state), s.handshakeLatencyMs === null ? '-' : `${s.handshakeLatencyMs} ms`, s.features.join(',') || '-', s.nickAuth.label, String(s.makersSeen)]),
  );
  return `Offers (${ob.offers.length} from ${ob.makers} makers, ${ob.network})\n${offers}\n\nFidelity bonds\n${bonds}\n\nDirectories\n${dirs}\n`;
}
