/**
 * Browser script for live refresh: polls the JSON API and rebuilds the table bodies with
 * textContent only (no HTML from data). Amounts and bond values use the very functions the
 * server uses (src/wallet/format.ts, embedded as source); the rest mirrors format.ts.
 */
import { formatBondValue, formatBtc } from '../wallet/format.js';

export const APP_JS = `'use strict';
(function () {
  var every = Number(document.body.dataset.refresh || 10) * 1000;
  ${String(formatBtc)}
  ${String(formatBondValue)}
  var amount = formatBtc, bv = formatBondValue;
  function fee(kind, c) {
    if (kind === 'abs') return formatBtc(Number(c));
    var p = c.split('.'), i = p[0], f = (p[1] || '').padEnd(2, '0'), t = i + f, at = i.length + 2;
    var w = t.slice(0, at).replace(/^0+(?=\\d)/, '') || '0', r = t.slice(at).replace(/0+$/, '');
    return w + (r ? '.' + r : '') + ' %';
  }
  function pct(p) { return (p * 100).toFixed(2) + ' %'; }
  function date(t) { return t === null ? '\\u2014' : new Date(t * 1000).toISOString().slice(0, 10); }
  function short(n) { return n.replace(/O+$/, ''); }
  function cell(tr, text, cls, spanCls, title) {
    var td = document.createElement('td');
    if (cls) td.className = cls;
    if (spanCls) { var s = document.createElement('span'); s.className = spanCls; s.textContent = text; if (title) s.title = title; td.appendChild(s); }
    else td.textContent = text;
    tr.appendChild(td);
    return td;
  }
  function fill(id, rows, cols, empty) {
    var tb = document.querySelector('#' + id + ' tbody');
    if (!tb) return;
    tb.replaceChildren();
    if (rows.length === 0) { var tr = document.createElement('tr'); tr.className = 'empty'; var td = cell(tr, empty); td.colSpan = cols; tb.appendChild(tr); return; }
    rows.forEach(function (r) { tb.appendChild(r); });
  }
  function render(ob, d) {
    fill('offers', ob.offers.map(function (o) {
      var tr = document.createElement('tr'); tr.dataset.nick = o.nick;
      cell(tr, short(o.nick)); cell(tr, String(o.oid), 'num');
      var t = cell(tr, o.kind === 'rel' ? 'relative' : 'absolute', '', 'tag ' + o.kind);
      var m = document.createElement('span'); m.className = 'muted'; m.textContent = ' ' + o.type; t.appendChild(m);
      cell(tr, amount(o.minsize), 'num'); cell(tr, amount(o.maxsize), 'num'); cell(tr, fee(o.kind, o.cjfee), 'num'); cell(tr, formatBtc(o.txfee), 'num');
      cell(tr, o.bondStatus === 'none' ? '\\u2014' : o.bondStatus === 'verified' ? bv(o.bondValue) : o.bondStatus, 'num', 'bond ' + o.bondStatus);
      cell(tr, pct(o.pickChance), 'num'); cell(tr, o.directories.length + ' DN' + (o.directories.length === 1 ? '' : 's'));
      return tr;
    }), 10, 'No offers yet.');
    fill('bonds', ob.bonds.map(function (b) {
      var tr = document.createElement('tr'); tr.dataset.nick = b.nick;
      cell(tr, short(b.nick)); cell(tr, b.status + (b.duplicateOf ? ' (duplicate)' : ''), '', 'bond ' + b.status, b.reason || '');
      cell(tr, bv(b.value), 'num'); cell(tr, b.amountSat === null ? '\\u2014' : amount(b.amountSat), 'num'); cell(tr, date(b.locktime), 'num');
      cell(tr, b.certExpiry === null ? '\\u2014' : String(b.certExpiry * 2016), 'num'); cell(tr, b.txid ? b.txid.slice(0, 16) + '\\u2026:' + b.vout : '\\u2014', 'mono');
      return tr;
    }), 7, 'No fidelity bonds announced.');
    fill('directories', d.directories.map(function (s) {
      var tr = document.createElement('tr');
      cell(tr, s.id);
      var st = cell(tr, s.connected ? 'connected' : s.state, '', 'state ' + (s.connected ? 'up' : 'down'));
      if (s.lastRejection) { var r = document.createElement('div'); r.className = 'muted'; r.textContent = s.lastRejection; st.appendChild(r); }
      cell(tr, s.handshakeLatencyMs === null ? '\\u2014' : s.handshakeLatencyMs + ' ms', 'num'); cell(tr, s.motd || '\\u2014', 'motd');
      cell(tr, s.features.join(', ') || '\\u2014'); cell(tr, s.nickAuth.label, 'nick-auth' + (s.nickAuth.verified ? ' up' : ''));
      cell(tr, String(s.peersSeen), 'num'); cell(tr, String(s.makersSeen), 'num');
      return tr;
    }), 8, 'No directories.');
    fill('sybil', ob.sybil.rows.map(function (r) {
      var tr = document.createElement('tr'); cell(tr, String(r.makers), 'num');
      ['1y', '2y', '5y', '10y'].forEach(function (k) { cell(tr, amount(r.lockedSats[k] || 0), 'num'); });
      cell(tr, amount(r.burnedSats), 'num'); return tr;
    }), 6, ob.sybil.note);
    var up = d.directories.filter(function (x) { return x.connected; }).length;
    var vals = document.querySelectorAll('#summary .v');
    var chain = ob.chain.rpc ? (ob.chain.height !== null ? 'RPC, height ' + ob.chain.height : 'RPC configured') : 'no RPC (bonds unverified)';
    [String(ob.makers), String(ob.offers.length), String(ob.bonds.length), up + ' / ' + d.directories.length, chain, ob.network]
      .forEach(function (v, i) { if (vals[i]) vals[i].textContent = v; });
    var u = document.getElementById('updated'); if (u) u.textContent = ob.generatedAt;
    document.body.dataset.live = 'true';
  }
  function tick() {
    Promise.all([fetch('/api/v1/orderbook'), fetch('/api/v1/directories')])
      .then(function (rs) { if (!rs[0].ok || !rs[1].ok) throw new Error('HTTP ' + rs[0].status); return Promise.all([rs[0].json(), rs[1].json()]); })
      .then(function (j) { render(j[0], j[1]); document.body.classList.remove('stale'); })
      .catch(function () { document.body.classList.add('stale'); })
      .finally(function () { setTimeout(tick, every); });
  }
  tick();
})();
`;
