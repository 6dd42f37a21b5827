/**
 * The watcher's web page: fully server-rendered (works with JavaScript off, every value
 * escaped); /assets/app.js then refreshes the tables from the JSON API without a reload.
 */
import type { ApiDirectories, ApiOrderbook } from './schema.js';
import {
  escapeHtml as h, formatBtc, formatBondValue, formatDate, formatFee, formatPercent, offerTypeLabel,
} from './format.js';
import { renderDirectoryHistory } from './history-view.js';

const num = (s: string): string => `<td class="num">${h(s)}</td>`;
const txt = (s: string): string => `<td>${h(s)}</td>`;
const shortNick = (n: string): string => n.replace(/O+$/, '');

export function offersRows(ob: ApiOrderbook): string {
  if (ob.offers.length === 0) return '<tr class="empty"><td colspan="10">No offers yet.</td></tr>';
  return ob.offers.map((o) => `<tr data-nick="${h(o.nick)}">${txt(shortNick(o.nick))}${num(String(o.oid))}`
    + `<td><span class="tag ${o.kind}">${h(offerTypeLabel(o.kind))}</span> <span class="muted">${h(o.type)}</span></td>`
    + `${num(formatBtc(o.minsize))}${num(formatBtc(o.maxsize))}${num(formatFee(o.kind, o.cjfee))}${num(formatBtc(o.txfee))}`
    + `<td class="num"><span class="bond ${o.bondStatus}">${h(o.bondStatus === 'none' ? '—' : o.bondStatus === 'verified' ? formatBondValue(o.bondValue) : o.bondStatus)}</span></td>`
    + `${num(formatPercent(o.pickChance))}${txt(o.directories.length + ' DN' + (o.directories.length === 1 ? '' : 's'))}</tr>`).join('');
}

export function bondsRows(ob: ApiOrderbook): string {
  if (ob.bonds.length === 0) return '<tr class="empty"><td colspan="7">No fidelity bonds announced.</td></tr>';
  return ob.bonds.map((b) => `<tr data-nick="${h(b.nick)}">${txt(shortNick(b.nick))}`
    + `<td><span class="bond ${b.status}" title="${h(b.reason ?? '')}">${h(b.status)}${b.duplicateOf ? ' (duplicate)' : ''}</span></td>`
    + `${num(formatBondValue(b.value))}${num(b.amountSat === null ? '—' : formatBtc(b.amountSat))}${num(formatDate(b.locktime))}`
    + `${num(b.certExpiry === null ? '—' : String(b.certExpiry * 2016))}<td class="mono">${h(b.txid ? `${b.txid.slice(0, 16)}…:${b.vout}` : '—')}</td></tr>`).join('');
}

export function directoriesRows(d: ApiDirectories): string {
  return d.directories.map((s) => `<tr>${txt(s.id)}<td><span class="state ${s.connected ? 'up' : 'down'}">${h(s.connected ? 'connected' : s.state)}</span>`
    + `${s.lastRejection ? `<div class="muted">${h(s.lastRejection)}</div>` : ''}</td>`
    + `${num(s.handshakeLatencyMs === null ? '—' : `${s.handshakeLatencyMs} ms`)}<td class="motd">${h(s.motd ?? '—')}</td>`
    + `${txt(s.features.join(', ') || '—')}<td class="nick-auth ${s.nickAuth.verified ? 'up' : ''}">${h(s.nickAuth.label)}</td>${num(String(s.peersSeen))}${num(String(s.makersSeen))}</tr>`).join('');
}

export function sybilRows(ob: ApiOrderbook): string {
  if (ob.sybil.rows.length === 0) return `<tr class="empty"><td colspan="6">${h(ob.sybil.note)}</td></tr>`;
  return ob.sybil.rows.map((r) => `<tr>${num(String(r.makers))}${['1y', '2y', '5y', '10y'].map((k) => num(formatBtc(r.lockedSats[k] ?? 0))).join('')}${num(formatBtc(r.burnedSats))}</tr>`).join('');
}

export function summary(ob: ApiOrderbook, d: ApiDirectories): string {
  const up = d.directories.filter((x) => x.connected).length;
  const chain = ob.chain.rpc ? (ob.chain.height !== null ? `RPC, height ${ob.chain.height}` : 'RPC configured') : 'no RPC (bonds unverified)';
  return [
    ['Makers', String(ob.makers)], ['Offers', String(ob.offers.length)], ['Bonds', String(ob.bonds.length)],
    ['Directories', `${up} / ${d.directories.length}`], ['Chain', chain], ['Network', ob.network],
  ].map(([k, v]) => `<div class="card"><div class="k">${h(k!)}</div><div class="v">${h(v!)}</div></div>`).join('');
}

export function renderPage(ob: ApiOrderbook, d: ApiDirectories, refreshSeconds: number): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>JoinMarket orderbook</title>
<link rel="stylesheet" href="/assets/style.css"><noscript><meta http-equiv="refresh" content="${Math.max(30, refreshSeconds * 6)}"></noscript></head>
<body data-refresh="${refreshSeconds}">
<header><h1>JoinMarket orderbook</h1><p class="muted">Watching as <span class="mono">${h(ob.ourNick)}</span> · updated <time id="updated">${h(ob.generatedAt)}</time></p></header>
<section class="cards" id="summary">${summary(ob, d)}</section>
<section><h2>Offers</h2><div class="scroll"><table id="offers"><thead><tr><th>Maker</th><th class="num">Oid</th><th>Type</th><th class="num">Min size</th><th class="num">Max size</th><th class="num">Fee</th><th class="num">Tx fee</th><th class="num">Bond value</th><th class="num">Pick chance</th><th>Seen on</th></tr></thead>
<tbody>${offersRows(ob)}</tbody></table></div></section>
<section><h2>Fidelity bonds</h2><div class="scroll"><table id="bonds"><thead><tr><th>Maker</th><th>Status</th><th class="num">Value</th><th class="num">Amount</th><th class="num">Locked until</th><th class="num">Cert valid to height</th><th>Outpoint</th></tr></thead>
<tbody>${bondsRows(ob)}</tbody></table></div></section>
<section><h2>Directories</h2><div class="scroll"><table id="directories"><thead><tr><th>Directory</th><th>State</th><th class="num">Handshake</th><th>MOTD</th><th>Features</th><th>Nick auth</th><th class="num">Peers</th><th class="num">Makers</th></tr></thead>
<tbody>${directoriesRows(d)}</tbody></table></div></section>
${renderDirectoryHistory(d)}
<section><h2>Sybil attack cost</h2><p class="muted">${h(ob.sybil.note)}</p><div class="scroll"><table id="sybil"><thead><tr><th class="num">Sybil makers</th><th class="num">Locked 1 y</th><th class="num">Locked 2 y</th><th class="num">Locked 5 y</th><th class="num">Locked 10 y</th><th class="num">Burned</th></tr></thead>
<tbody>${sybilRows(ob)}</tbody></table></div></section>
<footer class="muted">JSON: <a href="/api/v1/orderbook">/api/v1/orderbook</a> · <a href="/api/v1/directories">/api/v1/directories</a> · <a href="/health">/health</a></footer>
<script src="/assets/app.js" defer></script>
</body></html>`;
}

export const STYLE_CSS = `:root{--bg:#f7f7f9;--fg:#1c1d21;--muted:#6b6f7b;--card:#fff;--line:#e3e4e8;--accent:#3b5bdb;--ok:#2b8a3e;--warn:#b7791f;--bad:#c92a2a}
@media (prefers-color-scheme:dark){:root{--bg:#121317;--fg:#e6e7eb;--muted:#9499a6;--card:#1b1d23;--line:#2c2f38;--accent:#8ea2ff;--ok:#69db7c;--warn:#ffd43b;--bad:#ff8787}}
*{box-sizing:border-box}body{margin:0 auto;max-width:1360px;padding:1.5rem 1rem;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
h1{margin:0;font-size:1.6rem}h2{font-size:1.15rem;margin:1.8rem 0 .6rem}a{color:var(--accent)}.muted{color:var(--muted)}.mono,td.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.6rem;margin-top:1rem}.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:.6rem .8rem}.card .k{color:var(--muted);font-size:.8rem;text-transform:uppercase;letter-spacing:.04em}.card .v{font-size:1.15rem;font-weight:600}
.scroll{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:10px}table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:.45rem .7rem;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap;vertical-align:top}th{font-size:.8rem;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.03em;position:sticky;top:0;background:var(--card)}
tr:last-child td{border-bottom:0}tbody tr:hover{background:color-mix(in srgb,var(--accent) 7%,transparent)}.num{text-align:right}td.motd{white-space:pre-line;max-width:28rem;font-size:.85em}
.tag{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.8em;border:1px solid var(--line)}.tag.rel{color:var(--accent)}.tag.abs{color:var(--warn)}
.bond.verified,.state.up,.nick-auth.up{color:var(--ok);font-weight:600}.bond.unverified{color:var(--warn)}.bond.invalid,.state.down{color:var(--bad)}tr.empty td{color:var(--muted);text-align:center;padding:1rem}
footer{margin-top:2rem;font-size:.85rem}@media (max-width:640px){body{padding:1rem .5rem}th,td{padding:.35rem .45rem}}`;
