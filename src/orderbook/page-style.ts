/**
 * The page's stylesheet (served as /assets/style.css; the CSP allows no inline style). Light
 * and dark follow the system. Below 640 px every table row becomes a card of "label value"
 * lines (the label comes from the cell's data-label), so nothing scrolls sideways at phone
 * width and the MOTD gets the full width.
 */
export const STYLE_CSS = `:root{--bg:#f7f7f9;--fg:#1c1d21;--muted:#6b6f7b;--card:#fff;--line:#e3e4e8;--accent:#3b5bdb;--ok:#2b8a3e;--warn:#b7791f;--bad:#c92a2a;--fill:#3b5bdb33}
@media (prefers-color-scheme:dark){:root{--bg:#121317;--fg:#e6e7eb;--muted:#9499a6;--card:#1b1d23;--line:#2c2f38;--accent:#8ea2ff;--ok:#69db7c;--warn:#ffd43b;--bad:#ff8787;--fill:#8ea2ff33}}
*{box-sizing:border-box}body{margin:0 auto;max-width:1360px;padding:1.5rem 1rem;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
h1{margin:0;font-size:1.6rem}h2{font-size:1.15rem;margin:1.8rem 0 .6rem}a{color:var(--accent)}.muted{color:var(--muted)}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
header p{margin:.3rem 0}.tools{display:flex;flex-wrap:wrap;gap:.5rem 1.2rem;align-items:center;font-size:.9rem}
.unit a{display:inline-block;margin-left:.3rem;padding:.05rem .55rem;border:1px solid var(--line);border-radius:999px;text-decoration:none}.unit a[aria-current]{background:var(--accent);border-color:var(--accent);color:var(--bg);font-weight:600}
body.stale #updated{color:var(--bad)}body.stale #updated::after{content:" (not refreshing)"}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.6rem;margin-top:1rem}.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:.6rem .8rem;min-width:0}.card .k{color:var(--muted);font-size:.8rem;text-transform:uppercase;letter-spacing:.04em}.card .v{font-size:1.15rem;font-weight:600;overflow-wrap:anywhere}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,460px),1fr));gap:.8rem;margin-top:1.2rem}
.bonds-chart{grid-column:1/-1}.chart{margin:0;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:.7rem .8rem;min-width:0}.chart figcaption{font-weight:600;margin-bottom:.4rem}.chart p{margin:.3rem 0;font-size:.9rem}
svg.liquidity{display:block;width:100%;height:auto}svg .grid{stroke:var(--line);stroke-width:1}svg .tick,svg .axis{fill:var(--muted);font-size:13px;font-family:system-ui,sans-serif}
svg .area{fill:var(--fill)}svg .line{fill:none;stroke:var(--accent);stroke-width:2.5}svg .dot{fill:var(--accent)}svg .hit{fill:transparent}svg .step:hover .hit{fill:var(--fill)}svg .step:hover .dot{r:5}
ol.bars{list-style:none;margin:0;padding:0;display:grid;gap:.3rem}ol.bars li{display:grid;grid-template-columns:minmax(5rem,9rem) 1fr auto;gap:.6rem;align-items:center;font-size:.9rem}
.bar-nick{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}svg.bar{display:block;width:100%;height:12px}svg.bar .track{fill:var(--line)}svg.bar .fill{fill:var(--accent)}.bar-value{white-space:nowrap;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:10px}table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:.45rem .6rem;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap;vertical-align:top}th{font-size:.8rem;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.03em;position:sticky;top:0;background:var(--card)}
th button{all:inherit;border:0;padding:0;cursor:pointer}th button:focus-visible{outline:2px solid var(--accent)}th[aria-sort=ascending] button::after{content:" ▲"}th[aria-sort=descending] button::after{content:" ▼"}
tr:last-child td{border-bottom:0}tbody tr:hover{background:color-mix(in srgb,var(--accent) 7%,transparent)}.num{text-align:right}td.motd{white-space:pre-line;min-width:16rem;max-width:28rem;font-size:.85em}
.tag{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.8em;border:1px solid var(--line)}.tag.rel{color:var(--accent)}.tag.abs{color:var(--warn)}
.bond.verified,.state.up,.nick-auth.up{color:var(--ok);font-weight:600}.bond.unverified{color:var(--warn)}.bond.invalid,.state.down{color:var(--bad)}tr.empty td{color:var(--muted);text-align:center;padding:1rem;white-space:normal}
footer{margin-top:2rem;font-size:.85rem;overflow-wrap:anywhere}
@media (max-width:640px){body{padding:1rem .6rem}h2{margin-top:1.4rem}
.scroll{overflow-x:visible;background:none;border:0}table.stack thead{display:none}table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack tr{background:var(--card);border:1px solid var(--line);border-radius:10px;margin-bottom:.5rem;padding:.35rem 0}table.stack tr:hover{background:var(--card)}
table.stack td{display:flex;justify-content:space-between;align-items:baseline;gap:.8rem;padding:.15rem .7rem;border:0;white-space:normal;text-align:right;overflow-wrap:anywhere;min-width:0;max-width:none}
table.stack td::before{content:attr(data-label);color:var(--muted);font-size:.78rem;text-transform:uppercase;letter-spacing:.03em;text-align:left;flex:none}
table.stack td.motd{display:block;text-align:left;white-space:pre-line}table.stack td.motd::before{display:block}table.stack tr.empty td{display:block;text-align:center}table.stack tr.empty td::before{content:none}
ol.bars li{grid-template-columns:5.5rem 1fr auto;gap:.4rem;font-size:.85rem}svg .tick,svg .axis{font-size:17px}}`;
