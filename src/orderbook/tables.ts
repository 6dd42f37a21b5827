/**
 * The page's tables, one column list each: the header, and per cell the escaped text, a label
 * (shown beside the value when a narrow screen stacks a row into a card) and the raw value the
 * browser sorts by (`data-v`). Amounts in the unit the reader chose.
 */
import { formatAmount, formatBondValue, type AmountUnit } from '../wallet/format.js';
import type { ApiDirectories, ApiOrderbook } from './schema.js';
import { escapeHtml as h, formatDate, formatFee, formatPercent, offerTypeLabel } from './format.js';

interface Cell {
  /** Inner HTML, already escaped. */
  html: string;
  /** Sort value; numbers sort numerically. */
  v?: string | number;
}

interface Column<T> {
  label: string;
  num?: boolean;
  cls?: string;
  cell: (row: T) => Cell;
}

const text = (s: string, v?: string | number): Cell => (v === undefined ? { html: h(s) } : { html: h(s), v });
const span = (cls: string, s: string, title?: string): string => `<span class="${cls}"${title ? ` title="${h(title)}"` : ''}>${h(s)}</span>`;
const shortNick = (n: string): string => n.replace(/O+$/, '');

function table<T>(id: string, columns: readonly Column<T>[], rows: readonly T[], empty: string, rowAttrs: (r: T) => string = () => ''): string {
  const head = columns.map((c, i) => `<th data-col="${i}"${c.num ? ' class="num"' : ''}>${h(c.label)}</th>`).join('');
  const body = rows.length === 0
    ? `<tr class="empty"><td colspan="${columns.length}">${h(empty)}</td></tr>`
    : rows.map((r) => `<tr${rowAttrs(r)}>${columns.map((c) => {
      const x = c.cell(r);
      const cls = [c.num ? 'num' : '', c.cls ?? ''].filter(Boolean).join(' ');
      return `<td${cls ? ` class="${cls}"` : ''} data-label="${h(c.label)}"${x.v !== undefined ? ` data-v="${h(String(x.v))}"` : ''}>${x.html}</td>`;
    }).join('')}</tr>`).join('');
  return `<table id="${id}" class="stack" data-sortable><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

type Offer = ApiOrderbook['offers'][number];
type Bond = ApiOrderbook['bonds'][number];
type Directory = ApiDirectories['directories'][number];
type SybilRow = ApiOrderbook['sybil']['rows'][number];

const amount = (sats: number, unit: AmountUnit): Cell => text(formatAmount(sats, unit), sats);

export function offersTable(ob: ApiOrderbook, unit: AmountUnit): string {
  const columns: Column<Offer>[] = [
    { label: 'Maker', cls: 'mono', cell: (o) => text(shortNick(o.nick), o.nick) },
    { label: 'Oid', num: true, cell: (o) => text(String(o.oid), o.oid) },
    { label: 'Type', cell: (o) => ({ html: span(`tag ${o.kind}`, offerTypeLabel(o.kind), o.type), v: o.type }) },
    { label: 'Min size', num: true, cell: (o) => amount(o.minsize, unit) },
    { label: 'Max size', num: true, cell: (o) => amount(o.maxsize, unit) },
    // relative fees (a fraction) sort before absolute ones (satoshis, offset past every fraction)
    { label: 'Fee', num: true, cell: (o) => text(o.kind === 'abs' ? formatAmount(Number(o.cjfee), unit) : formatFee('rel', o.cjfee), o.kind === 'rel' ? Number(o.cjfee) : 10 + Number(o.cjfee)) },
    { label: 'Tx fee', num: true, cell: (o) => amount(o.txfee, unit) },
    {
      label: 'Bond value', num: true,
      cell: (o) => ({ html: span(`bond ${o.bondStatus}`, o.bondStatus === 'none' ? '—' : o.bondStatus === 'verified' ? formatBondValue(o.bondValue) : o.bondStatus), v: o.bondValue ?? -1 }),
    },
    { label: 'Pick chance', num: true, cell: (o) => text(formatPercent(o.pickChance), o.pickChance) },
    { label: 'Seen on', cell: (o) => text(`${o.directories.length} DN${o.directories.length === 1 ? '' : 's'}`, o.directories.length) },
  ];
  return table('offers', columns, ob.offers, 'No offers yet.', (o) => ` data-nick="${h(o.nick)}"`);
}

export function bondsTable(ob: ApiOrderbook, unit: AmountUnit): string {
  const columns: Column<Bond>[] = [
    { label: 'Maker', cls: 'mono', cell: (b) => text(shortNick(b.nick), b.nick) },
    { label: 'Status', cell: (b) => ({ html: span(`bond ${b.status}`, `${b.status}${b.duplicateOf ? ' (duplicate)' : ''}`, b.reason ?? undefined), v: b.status }) },
    { label: 'Value', num: true, cell: (b) => text(formatBondValue(b.value), b.value ?? -1) },
    { label: 'Amount', num: true, cell: (b) => (b.amountSat === null ? text('—', -1) : amount(b.amountSat, unit)) },
    { label: 'Locked until', num: true, cell: (b) => text(formatDate(b.locktime), b.locktime ?? -1) },
    { label: 'Cert valid to height', num: true, cell: (b) => text(b.certExpiry === null ? '—' : String(b.certExpiry * 2016), b.certExpiry ?? -1) },
    { label: 'Outpoint', cls: 'mono', cell: (b) => text(b.txid ? `${b.txid.slice(0, 16)}…:${b.vout}` : '—') },
  ];
  return table('bonds', columns, ob.bonds, 'No fidelity bonds announced.', (b) => ` data-nick="${h(b.nick)}"`);
}

export function directoriesTable(d: ApiDirectories): string {
  const columns: Column<Directory>[] = [
    { label: 'Directory', cls: 'mono id', cell: (s) => text(s.id) },
    {
      label: 'State',
      cell: (s) => ({
        html: span(`state ${s.connected ? 'up' : 'down'}`, s.connected ? 'connected' : s.state) + (s.lastRejection ? `<div class="muted">${h(s.lastRejection)}</div>` : ''),
        v: s.connected ? 0 : 1,
      }),
    },
    { label: 'Handshake', num: true, cell: (s) => text(s.handshakeLatencyMs === null ? '—' : `${s.handshakeLatencyMs} ms`, s.handshakeLatencyMs ?? -1) },
    { label: 'MOTD', cls: 'motd', cell: (s) => text(s.motd ?? '—') },
    { label: 'Features', cell: (s) => text(s.features.join(', ') || '—') },
    { label: 'Nick auth', cell: (s) => ({ html: span(`nick-auth${s.nickAuth.verified ? ' up' : ''}`, s.nickAuth.label), v: s.nickAuth.label }) },
    { label: 'Peers', num: true, cell: (s) => text(String(s.peersSeen), s.peersSeen) },
    { label: 'Makers', num: true, cell: (s) => text(String(s.makersSeen), s.makersSeen) },
  ];
  return table('directories', columns, d.directories, 'No directories.');
}

export function sybilTable(ob: ApiOrderbook, unit: AmountUnit): string {
  const locked = (k: string, label: string): Column<SybilRow> => ({ label, num: true, cell: (r) => amount(r.lockedSats[k] ?? 0, unit) });
  const columns: Column<SybilRow>[] = [
    { label: 'Sybil makers', num: true, cell: (r) => text(String(r.makers), r.makers) },
    locked('1y', 'Locked 1 y'), locked('2y', 'Locked 2 y'), locked('5y', 'Locked 5 y'), locked('10y', 'Locked 10 y'),
    { label: 'Burned', num: true, cell: (r) => amount(r.burnedSats, unit) },
  ];
  return table('sybil', columns, ob.sybil.rows, ob.sybil.note);
}
