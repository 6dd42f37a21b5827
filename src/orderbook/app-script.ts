/**
 * The page's script (/assets/app.js). It formats nothing itself: every few seconds it fetches
 * the page again (the server's renderer, amounts in the chosen unit) and swaps in each element
 * marked `data-live` by id, parsed with DOMParser (scripts in it never run). Besides that:
 * - tables sort by a click on a header (numbers by the cell's data-v), kept across refreshes;
 * - the BTC/sat links switch the unit without a reload and remember it (localStorage);
 * - "updated N s ago" counts up every second; the page says when refreshing fails.
 * A part whose markup did not change is left alone (hover, selection and focus survive).
 */
export const APP_JS = `'use strict';
(function () {
  var body = document.body;
  var every = Number(body.dataset.refresh || 10) * 1000;
  var unit = body.dataset.unit === 'sat' ? 'sat' : 'btc';
  var sorts = {};
  var timer = null;
  var shown = {};
  document.querySelectorAll('[data-live][id]').forEach(function (el) { shown[el.id] = el.outerHTML; });

  function ago() {
    var el = document.getElementById('updated');
    if (!el) return;
    var s = Math.max(0, Math.round((Date.now() - Number(el.dataset.at)) / 1000));
    el.textContent = 'updated ' + (s < 120 ? s + ' s' : s < 7200 ? Math.round(s / 60) + ' min' : Math.round(s / 3600) + ' h') + ' ago';
  }

  function value(td, numeric) {
    var v = td ? (td.dataset.v !== undefined ? td.dataset.v : td.textContent) : '';
    return numeric ? Number(v) : String(v).toLowerCase();
  }

  function sortTable(table) {
    var s = sorts[table.id];
    var tb = table.tBodies[0];
    if (!s || !tb || tb.querySelector('tr.empty')) return;
    var th = table.querySelector('th[data-col="' + s.col + '"]');
    var numeric = th && th.classList.contains('num');
    var rows = Array.prototype.slice.call(tb.rows);
    rows.sort(function (a, b) {
      var x = value(a.cells[s.col], numeric), y = value(b.cells[s.col], numeric);
      return (x < y ? -1 : x > y ? 1 : 0) * s.dir;
    });
    rows.forEach(function (r) { tb.appendChild(r); });
    table.querySelectorAll('th[data-col]').forEach(function (h) {
      if (Number(h.dataset.col) === s.col) h.setAttribute('aria-sort', s.dir > 0 ? 'ascending' : 'descending');
      else h.removeAttribute('aria-sort');
    });
  }

  function enableSorting() {
    document.querySelectorAll('table[data-sortable]').forEach(function (table) {
      table.querySelectorAll('th[data-col]').forEach(function (th) {
        if (th.querySelector('button')) return;
        var b = document.createElement('button');
        b.type = 'button';
        b.textContent = th.textContent;
        b.title = 'sort by ' + th.textContent.toLowerCase();
        th.replaceChildren(b);
        b.addEventListener('click', function () {
          var col = Number(th.dataset.col), s = sorts[table.id];
          // numbers start with the largest, text with A
          sorts[table.id] = { col: col, dir: s && s.col === col ? -s.dir : th.classList.contains('num') ? -1 : 1 };
          sortTable(table);
        });
      });
      sortTable(table);
    });
  }

  function swap(doc) {
    document.querySelectorAll('[data-live][id]').forEach(function (el) {
      var fresh = doc.getElementById(el.id);
      if (!fresh || shown[el.id] === fresh.outerHTML) return;
      shown[el.id] = fresh.outerHTML;
      el.replaceWith(document.adoptNode(fresh));
    });
    enableSorting();
    ago();
  }

  function markUnit() {
    body.dataset.unit = unit;
    document.querySelectorAll('.unit a[data-unit]').forEach(function (a) {
      if (a.dataset.unit === unit) a.setAttribute('aria-current', 'true');
      else a.removeAttribute('aria-current');
    });
  }

  function refresh() {
    clearTimeout(timer);
    return fetch('/?unit=' + unit, { headers: { accept: 'text/html' } })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.text(); })
      .then(function (html) {
        swap(new DOMParser().parseFromString(html, 'text/html'));
        body.classList.remove('stale');
        body.dataset.live = 'true';
      })
      .catch(function () { body.classList.add('stale'); })
      .finally(function () { timer = setTimeout(refresh, every); });
  }

  function setUnit(u) {
    unit = u;
    markUnit();
    try { localStorage.setItem('jm-orderbook-unit', u); } catch (e) { /* private mode */ }
    history.replaceState(null, '', '?unit=' + u);
    refresh();
  }

  document.querySelectorAll('.unit a[data-unit]').forEach(function (a) {
    a.addEventListener('click', function (ev) { ev.preventDefault(); if (a.dataset.unit !== unit) setUnit(a.dataset.unit); });
  });
  var saved = null;
  try { saved = localStorage.getItem('jm-orderbook-unit'); } catch (e) { /* private mode */ }
  enableSorting();
  ago();
  setInterval(ago, 1000);
  if (!/[?&]unit=/.test(location.search) && (saved === 'sat' || saved === 'btc') && saved !== unit) setUnit(saved);
  else refresh();
})();
`;
