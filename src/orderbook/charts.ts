/**
 * The page's charts as inline SVG, rendered on the server (no script needed, nothing inline for
 * the CSP to refuse: colours come from the stylesheet). Every mark has a <title> with its
 * numbers, which browsers show on hover.
 * - Liquidity by fee: for each offer kind, the most the makers offer at a fee up to each level
 *   (a maker counts once, with its largest offer of that kind): a step chart.
 * - Fidelity bonds by maker: one bar per bond with a value, as a share of all bond value (the
 *   weight a bond-weighted taker picks by).
 */
import type { AmountUnit } from '../wallet/format.js';
import { formatAmount, formatBondValue } from '../wallet/format.js';
import type { ApiBond, ApiOffer } from './schema.js';
import { escapeHtml as h, formatDate, formatFee } from './format.js';

export interface LiquidityStep {
  /** Fee level: a fraction for relative offers, satoshis for absolute ones. */
  fee: number;
  /** The offer's own cjfee text at this level (exact). */
  cjfee: string;
  liquiditySat: number;
  makers: number;
  offers: number;
}

/** Cumulative liquidity of one offer kind by fee level, lowest fee first. */
export function liquiditySteps(offers: readonly ApiOffer[], kind: 'rel' | 'abs'): LiquidityStep[] {
  const sorted = offers.filter((o) => o.kind === kind).map((o) => ({ o, fee: Number(o.cjfee) })).sort((a, b) => a.fee - b.fee);
  const largest = new Map<string, number>();
  const steps: LiquidityStep[] = [];
  let total = 0;
  let count = 0;
  for (const { o, fee } of sorted) {
    const before = largest.get(o.nick) ?? 0;
    if (o.maxsize > before) {
      largest.set(o.nick, o.maxsize);
      total += o.maxsize - before;
    }
    count++;
    const last = steps[steps.length - 1];
    const step = { fee, cjfee: o.cjfee, liquiditySat: total, makers: largest.size, offers: count };
    if (last && last.fee === fee) steps[steps.length - 1] = step;
    else steps.push(step);
  }
  return steps;
}

const W = 460;
const H = 220;
const PAD = { left: 56, right: 12, top: 12, bottom: 36 };

/** 1, 2 or 5 × a power of ten: a tick step giving about `n` ticks up to `max`. */
function tickStep(max: number, n: number): number {
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

/** Axis numbers: BTC with few decimals, satoshis with k/M/G. */
function axisAmount(sats: number, unit: AmountUnit): string {
  if (unit === 'btc') return String(Number((sats / 1e8).toPrecision(6)));
  for (const [d, s] of [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) if (sats >= d) return `${Number((sats / d).toPrecision(4))}${s}`;
  return String(sats);
}

function axisFee(fee: number, kind: 'rel' | 'abs', unit: AmountUnit): string {
  return kind === 'rel' ? `${Number((fee * 100).toPrecision(4))} %` : axisAmount(fee, unit);
}

function feeText(s: LiquidityStep, kind: 'rel' | 'abs', unit: AmountUnit): string {
  return kind === 'rel' ? formatFee('rel', s.cjfee) : formatAmount(Number(s.cjfee), unit);
}

export function liquidityChart(offers: readonly ApiOffer[], kind: 'rel' | 'abs', unit: AmountUnit): string {
  const steps = liquiditySteps(offers, kind);
  const label = kind === 'rel' ? 'Relative-fee offers' : 'Absolute-fee offers';
  const feeAxis = kind === 'rel' ? 'fee (% of the amount)' : `fee (${unit === 'sat' ? 'sat' : 'BTC'})`;
  if (steps.length === 0) return `<figure class="chart" data-kind="${kind}"><figcaption>${label}</figcaption><p class="muted">No ${kind === 'rel' ? 'relative' : 'absolute'}-fee offers.</p></figure>`;
  const maxFee = steps[steps.length - 1]!.fee;
  const xMax = maxFee > 0 ? maxFee * 1.08 : 1;
  const yMax = Math.max(1, steps[steps.length - 1]!.liquiditySat) * 1.08;
  const x = (f: number): number => PAD.left + (f / xMax) * (W - PAD.left - PAD.right);
  const y = (v: number): number => H - PAD.bottom - (v / yMax) * (H - PAD.top - PAD.bottom);
  const r = (n: number): string => n.toFixed(1);
  const yStep = tickStep(yMax, 4);
  const xStep = tickStep(xMax, 4);
  const grid: string[] = [];
  for (let v = 0; v <= yMax; v += yStep) {
    grid.push(`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${r(y(v))}" y2="${r(y(v))}"/><text class="tick" x="${PAD.left - 6}" y="${r(y(v) + 4)}" text-anchor="end">${h(axisAmount(v, unit))}</text>`);
  }
  for (let f = 0; f <= xMax; f += xStep) {
    grid.push(`<text class="tick" x="${r(x(f))}" y="${H - PAD.bottom + 15}" text-anchor="middle">${h(axisFee(f, kind, unit))}</text>`);
  }
  let path = `M${r(x(steps[0]!.fee))} ${r(y(0))}`;
  steps.forEach((s, i) => {
    path += ` V${r(y(s.liquiditySat))} H${r(x(steps[i + 1]?.fee ?? xMax))}`;
  });
  const area = `${path} V${r(y(0))} Z`;
  const marks = steps.map((s, i) => {
    const x0 = x(s.fee);
    const x1 = x(steps[i + 1]?.fee ?? xMax);
    const title = `fee up to ${feeText(s, kind, unit)}: ${formatAmount(s.liquiditySat, unit)} from ${s.makers} maker${s.makers === 1 ? '' : 's'} (${s.offers} offer${s.offers === 1 ? '' : 's'})`;
    return `<g class="step"><rect class="hit" x="${r(x0)}" y="${PAD.top}" width="${r(Math.max(2, x1 - x0))}" height="${H - PAD.top - PAD.bottom}"/>`
      + `<circle class="dot" cx="${r(x0)}" cy="${r(y(s.liquiditySat))}" r="3.5"/><title>${h(title)}</title></g>`;
  }).join('');
  const last = steps[steps.length - 1]!;
  const summary = `${label}: up to ${formatAmount(last.liquiditySat, unit)} from ${last.makers} makers at fees up to ${feeText(last, kind, unit)}`;
  return `<figure class="chart" data-kind="${kind}"><figcaption>${label} <span class="muted">· cumulative liquidity by fee</span></figcaption>`
    + `<svg class="liquidity" viewBox="0 0 ${W} ${H}" role="img" aria-label="${h(summary)}"><title>${h(summary)}</title>${grid.join('')}`
    + `<path class="area" d="${area}"/><path class="line" d="${path}"/>${marks}`
    + `<text class="axis" x="${(PAD.left + W - PAD.right) / 2}" y="${H - 4}" text-anchor="middle">${h(feeAxis)}</text>`
    + `<text class="axis" x="14" y="${(PAD.top + H - PAD.bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(PAD.top + H - PAD.bottom) / 2})">${h(`liquidity (${unit === 'sat' ? 'sat' : 'BTC'})`)}</text></svg></figure>`;
}

/** Bars drawn; the rest are summed up in one line (a sybil with thousands of bonds stays one screen). */
export const MAX_BOND_BARS = 25;

export function bondChart(bonds: readonly ApiBond[], unit: AmountUnit): string {
  const valued = bonds.filter((b): b is ApiBond & { value: number } => b.status === 'verified' && b.value !== null && b.value > 0 && b.duplicateOf === null).sort((a, b) => b.value - a.value);
  const unvalued = bonds.length - valued.length;
  const note = unvalued > 0 ? `<p class="muted">${unvalued} bond${unvalued === 1 ? '' : 's'} without a value (unverified, invalid or duplicate) not drawn.</p>` : '';
  if (valued.length === 0) return `<figure class="chart bonds-chart"><figcaption>Fidelity bond value by maker</figcaption><p class="muted">No bond with a value yet.</p>${note}</figure>`;
  const total = valued.reduce((s, b) => s + b.value, 0);
  const top = valued[0]!.value;
  const rows = valued.slice(0, MAX_BOND_BARS).map((b) => {
    const share = b.value / total;
    const title = `${b.nick}: bond value ${formatBondValue(b.value)} (${(share * 100).toFixed(1)} % of all)`
      + `${b.amountSat !== null ? `, ${formatAmount(b.amountSat, unit)} locked` : ''}${b.locktime !== null ? ` until ${formatDate(b.locktime)}` : ''}`;
    return `<li data-nick="${h(b.nick)}"><span class="bar-nick mono">${h(b.nick.replace(/O+$/, ''))}</span>`
      + `<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="${h(title)}"><title>${h(title)}</title>`
      + `<rect class="track" width="100" height="10"/><rect class="fill" width="${Math.max(0.5, (b.value / top) * 100).toFixed(2)}" height="10"/></svg>`
      + `<span class="bar-value num">${h(formatBondValue(b.value))} <span class="muted">${(share * 100).toFixed(1)} %</span></span></li>`;
  }).join('');
  const more = valued.length > MAX_BOND_BARS
    ? `<p class="muted">…and ${valued.length - MAX_BOND_BARS} smaller bonds, ${((valued.slice(MAX_BOND_BARS).reduce((s, b) => s + b.value, 0) / total) * 100).toFixed(1)} % of all bond value.</p>` : '';
  return `<figure class="chart bonds-chart"><figcaption>Fidelity bond value by maker <span class="muted">· share of all bond value</span></figcaption><ol class="bars">${rows}</ol>${more}${note}</figure>`;
}
