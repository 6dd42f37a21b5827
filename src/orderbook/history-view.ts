/**
 * The page's directory history section, self-contained: server-rendered markup (works without
 * JavaScript), its own CSS (classes prefixed `dh-`; below 640 px only uptime and the strip), and a small script that refreshes the
 * section from /api/v1/directories once a minute with textContent only. The strip shows the
 * last 24 hours, one cell per hour, coloured by the share of minutes the directory was up.
 */
import type { ApiDirectories } from './schema.js';
import { escapeHtml as h } from './format.js';

type Entry = ApiDirectories['directories'][number];

export const uptimeText = (u: number | null): string => (u === null ? '—' : u >= 0.9995 ? '100 %' : `${(u * 100).toFixed(1)} %`);
export const msText = (v: number | null): string => (v === null ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
/** full ≥ 99 %, part > 0, down = 0, none = no samples. */
export const uptimeClass = (u: number | null): string => (u === null ? 'dh-none' : u >= 0.99 ? 'dh-full' : u > 0 ? 'dh-part' : 'dh-down');

function strip(e: Entry): string {
  const t = e.history?.timeline ?? [];
  const cells = t.map((u, i) => `<span class="dh-cell ${uptimeClass(u)}" title="${h(`${23 - i === 0 ? 'this hour' : `${23 - i} h ago`}: ${uptimeText(u)} up`)}"></span>`).join('');
  return `<span class="dh-strip" role="img" aria-label="${h(`hourly uptime, last 24 h, of ${e.id}`)}">${cells}</span>`;
}

export function historyRows(d: ApiDirectories): string {
  if (d.directories.length === 0) return '<tr><td colspan="7">No directories.</td></tr>';
  return d.directories.map((e) => {
    const hr = e.history?.hour ?? null;
    const day = e.history?.day ?? null;
    return `<tr><td class="dh-id" title="${h(e.id)}">${h(e.id)}</td>`
      + `<td class="num dh-wide ${uptimeClass(hr?.uptime ?? null)}">${h(uptimeText(hr?.uptime ?? null))}</td>`
      + `<td class="num ${uptimeClass(day?.uptime ?? null)}">${h(uptimeText(day?.uptime ?? null))}</td>`
      + `<td class="num dh-wide">${h(msText(day?.handshakeMs ?? null))}</td><td class="num dh-wide">${h(msText(day?.rttMs ?? null))}</td>`
      + `<td class="num dh-wide">${h(String(day?.disconnects ?? 0))}</td><td>${strip(e)}</td></tr>`;
  }).join('');
}

export function renderDirectoryHistory(d: ApiDirectories): string {
  return `<section id="directory-history" class="dh"><h2>Directory history</h2>`
    + `<p class="dh-note">Sampled every minute; handshake and ping are medians over 24 h; each cell of the strip is one hour (oldest left).</p>`
    + `<div class="dh-scroll"><table class="dh-table"><thead><tr><th>Directory</th><th class="num dh-wide">Up 1 h</th><th class="num">Up 24 h</th>`
    + `<th class="num dh-wide">Handshake</th><th class="num dh-wide">Ping</th><th class="num dh-wide">Drops 24 h</th><th>Last 24 h</th></tr></thead>`
    + `<tbody>${historyRows(d)}</tbody></table></div></section>`;
}

export const HISTORY_CSS = `
.dh .dh-note{opacity:.75;font-size:.85rem;margin:.2rem 0 .6rem}
.dh-scroll{overflow-x:auto}.dh-table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
.dh-table th,.dh-table td{padding:.35rem .6rem;text-align:left;white-space:nowrap}.dh-table .num{text-align:right}
.dh-id{max-width:16rem;overflow:hidden;text-overflow:ellipsis;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em}
.dh-strip{display:inline-flex;gap:2px;vertical-align:middle}.dh-cell{display:inline-block;width:7px;height:16px;border-radius:2px}
.dh-cell.dh-full{background:#2b8a3e}.dh-cell.dh-part{background:#e8a317}.dh-cell.dh-down{background:#c92a2a}.dh-cell.dh-none{background:#8884}
td.dh-full{color:#2b8a3e}td.dh-part{color:#b7791f}td.dh-down{color:#c92a2a}
@media (max-width:640px){.dh-wide{display:none}.dh-strip{gap:1px}.dh-cell{width:4px}.dh-id{max-width:8rem}.dh-table th,.dh-table td{padding:.3rem .35rem}}`;

/** Refreshes #directory-history at 6 × the page's table refresh (60 s by default; samples change no faster). */
export const HISTORY_JS = `
(function () {
  'use strict';
  var body = document.querySelector('#directory-history tbody');
  if (!body) return;
  var every = Number(document.body.dataset.refresh || 10) * 6000;
  function up(u) { return u === null ? '\\u2014' : u >= 0.9995 ? '100 %' : (u * 100).toFixed(1) + ' %'; }
  function ms(v) { return v === null ? '\\u2014' : v >= 10000 ? (v / 1000).toFixed(1) + ' s' : Math.round(v) + ' ms'; }
  function cls(u) { return u === null ? 'dh-none' : u >= 0.99 ? 'dh-full' : u > 0 ? 'dh-part' : 'dh-down'; }
  function td(tr, text, c) { var x = document.createElement('td'); x.textContent = text; if (c) x.className = c; tr.appendChild(x); return x; }
  function render(d) {
    body.replaceChildren();
    d.directories.forEach(function (e) {
      var hr = e.history ? e.history.hour : null, day = e.history ? e.history.day : null;
      var tr = document.createElement('tr');
      td(tr, e.id, 'dh-id').title = e.id;
      td(tr, up(hr ? hr.uptime : null), 'num dh-wide ' + cls(hr ? hr.uptime : null));
      td(tr, up(day ? day.uptime : null), 'num ' + cls(day ? day.uptime : null));
      td(tr, ms(day ? day.handshakeMs : null), 'num dh-wide'); td(tr, ms(day ? day.rttMs : null), 'num dh-wide');
      td(tr, String(day ? day.disconnects : 0), 'num dh-wide');
      var s = document.createElement('span'); s.className = 'dh-strip'; s.setAttribute('role', 'img');
      s.setAttribute('aria-label', 'hourly uptime, last 24 h, of ' + e.id);
      (e.history ? e.history.timeline : []).forEach(function (u, i) {
        var c = document.createElement('span'); c.className = 'dh-cell ' + cls(u);
        c.title = (23 - i === 0 ? 'this hour' : (23 - i) + ' h ago') + ': ' + up(u) + ' up'; s.appendChild(c);
      });
      td(tr, '').appendChild(s);
      body.appendChild(tr);
    });
  }
  function tick() {
    fetch('/api/v1/directories').then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(render).catch(function () {}).finally(function () { setTimeout(tick, every); });
  }
  setTimeout(tick, every);
})();
`;
