/**
 * The watcher's web page: fully server-rendered (works with JavaScript off, every value
 * escaped, nothing inline for the CSP to refuse). With JavaScript, /assets/app.js re-fetches
 * this page every few seconds and swaps in the parts marked `data-live`, sorts tables by a
 * header click and switches the size unit without a reload; without it, the unit links and a
 * meta refresh do the same by loading the page again.
 */
import type { AmountUnit } from '../wallet/format.js';
import type { ApiDirectories, ApiOrderbook } from './schema.js';
import { bondChart, liquidityChart } from './charts.js';
import { escapeHtml as h } from './format.js';
import { renderDirectoryHistory } from './history-view.js';
import { bondsTable, directoriesTable, offersTable, sybilTable } from './tables.js';

export interface PageOptions {
  /** Browser refresh interval, seconds. */
  refreshSeconds: number;
  unit: AmountUnit;
  /** Render time (ms) for "updated N s ago". */
  now: number;
}

export function summary(ob: ApiOrderbook, d: ApiDirectories): string {
  const up = d.directories.filter((x) => x.connected).length;
  const chain = ob.chain.rpc ? (ob.chain.height !== null ? `RPC, height ${ob.chain.height}` : 'RPC configured') : 'no RPC (bonds unverified)';
  return [
    ['Makers', String(ob.makers)], ['Offers', String(ob.offers.length)], ['Bonds', String(ob.bonds.length)],
    ['Directories', `${up} / ${d.directories.length}`], ['Chain', chain], ['Network', ob.network],
  ].map(([k, v]) => `<div class="card"><div class="k">${h(k!)}</div><div class="v">${h(v!)}</div></div>`).join('');
}

export function agoText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

function unitSwitch(unit: AmountUnit): string {
  const link = (u: AmountUnit, label: string): string => `<a href="?unit=${u}" data-unit="${u}"${u === unit ? ' aria-current="true"' : ''}>${label}</a>`;
  return `<nav class="unit" aria-label="size unit">Sizes in ${link('btc', 'BTC')}${link('sat', 'sat')}</nav>`;
}

const section = (id: string, title: string, body: string, extra = ''): string =>
  `<section id="${id}" data-live><h2>${h(title)}</h2>${extra}<div class="scroll">${body}</div></section>`;

export function renderPage(ob: ApiOrderbook, d: ApiDirectories, o: PageOptions): string {
  const updated = Date.parse(ob.generatedAt);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>JoinMarket orderbook</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/style.css"><noscript><meta http-equiv="refresh" content="${Math.max(30, o.refreshSeconds * 6)}"></noscript></head>
<body data-refresh="${o.refreshSeconds}" data-unit="${o.unit}">
<header><h1>JoinMarket orderbook</h1>
<p id="status" class="muted" data-live>Watching ${h(ob.network)} as <span class="mono">${h(ob.ourNick)}</span> · <time id="updated" datetime="${h(ob.generatedAt)}" data-at="${updated}" title="${h(ob.generatedAt)}">updated ${agoText((o.now - updated) / 1000)}</time></p>
<div class="tools">${unitSwitch(o.unit)}<a class="csv" href="/api/v1/offers.csv" download>Offers as CSV</a></div></header>
<section class="cards" id="summary" data-live>${summary(ob, d)}</section>
<section id="charts" class="charts" data-live>${liquidityChart(ob.offers, 'rel', o.unit)}${liquidityChart(ob.offers, 'abs', o.unit)}${bondChart(ob.bonds, o.unit)}</section>
${section('offers-section', 'Offers', offersTable(ob, o.unit))}
${section('bonds-section', 'Fidelity bonds', bondsTable(ob, o.unit))}
${section('directories-section', 'Directories', directoriesTable(d))}
${renderDirectoryHistory(d)}
${section('sybil-section', 'Sybil attack cost', sybilTable(ob, o.unit), `<p class="muted">${h(ob.sybil.note)}</p>`)}
<footer class="muted">JSON: <a href="/api/v1/orderbook">/api/v1/orderbook</a> · <a href="/api/v1/directories">/api/v1/directories</a> · <a href="/health">/health</a> · CSV: <a href="/api/v1/offers.csv">/api/v1/offers.csv</a></footer>
<script src="/assets/app.js" defer></script>
</body></html>`;
}

/** A small mark for the browser tab: three coins joined. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#3b5bdb"/>`
  + `<g fill="none" stroke="#fff" stroke-width="5"><circle cx="24" cy="26" r="11"/><circle cx="40" cy="26" r="11"/><circle cx="32" cy="40" r="11"/></g></svg>`;
