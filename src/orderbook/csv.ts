/**
 * The offers as CSV (RFC 4180: comma, CRLF, double quotes doubled), for spreadsheets. Amounts
 * in satoshis, fees as on the wire. A field that a spreadsheet would read as a formula (starting
 * with = + - @ or a control character) is prefixed with an apostrophe.
 */
import type { ApiOrderbook } from './schema.js';

const HEADER = ['nick', 'oid', 'type', 'minsize_sat', 'maxsize_sat', 'txfee_sat', 'cjfee', 'bond_status', 'bond_value', 'pick_chance', 'directories', 'first_seen', 'last_seen'];

export function csvField(v: string | number | null): string {
  let s = v === null ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function offersCsv(ob: ApiOrderbook): string {
  const rows = ob.offers.map((o) => [
    o.nick, o.oid, o.type, o.minsize, o.maxsize, o.txfee, o.cjfee, o.bondStatus, o.bondValue, o.pickChance, o.directories.join(' '), o.firstSeen, o.lastSeen,
  ]);
  return [HEADER, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** `joinmarket-offers-mainnet-20261101T120000Z.csv` */
export function offersCsvName(ob: ApiOrderbook): string {
  const t = ob.generatedAt.replace(/[-:]/g, '').replace(/\.\d+/, '');
  return `joinmarket-offers-${ob.network.replace(/[^a-z0-9]/gi, '')}-${t}.csv`;
}
