/**
 * Benchmark results model, target verdicts and the printed table. Pure functions (unit-tested
 * in test/unit/bench/).
 */

export interface LatencyFigures {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface HandshakeFigures extends LatencyFigures {
  attempted: number;
  ok: number;
  rejected: number;
  timeouts: number;
  errors: number;
  wallMs: number;
  /** CPU-seconds the load generators used for these handshakes (all processes). */
  genCpuSec?: number;
  /** CPU-seconds the server used meanwhile: all threads, and its main thread alone. */
  serverCpuSec?: number;
  serverMainCpuSec?: number;
  /** Machine-wide TCP accept-queue overflows and SYN retransmissions meanwhile. */
  listenOverflows?: number;
  synRetrans?: number;
}

export type BurstFigures = HandshakeFigures & { peers: number; rssKiB: number };

export interface TrafficFigures {
  kind: 'pub' | 'priv';
  peers: number;
  senders: number;
  offeredMsgsPerSec: number;
  /** Offered deliveries per second (messages × recipients). */
  offeredDeliveriesPerSec: number;
  sent: number;
  skipped: number;
  /** Lines received per second by all peers during the measurement window. */
  deliveredPerSec: number;
  expected: number;
  delivered: number;
  /** expected − delivered after draining (0 = nothing dropped). */
  missing: number;
  lostPeers: number;
  probeTimeouts: number;
  latency: LatencyFigures;
  serverCpuUtil: number;
  /** CPU utilisation (cores) of each load-generator process during the window. */
  genCpuUtil: number[];
  windowSec: number;
}

export interface GrowStep {
  peers: number;
  rssKiB: number;
  handshake: HandshakeFigures;
}

export interface DisconnectFigures {
  peers: number;
  leaving: number;
  remaining: number;
  cpuSeconds: number;
  noticeLines: number;
  noticeBytes: number;
  settleMs: number;
  lostPeers: number;
}

export interface TargetResult {
  kind: 'baseline' | 'dn';
  label: string;
  available: boolean;
  note?: string;
  errors: string[];
  rss0KiB?: number;
  grow?: GrowStep[];
  perPeerKiB?: number;
  hold?: TrafficFigures & { holdSec: number };
  fanout?: {
    peers: number;
    fixed?: TrafficFigures;
    sat?: TrafficFigures;
    at500k?: TrafficFigures;
    privFixed?: TrafficFigures;
    privSat?: TrafficFigures;
    /** Every repetition, when the 1,000-peer measurements were repeated. */
    reps?: { fixed: TrafficFigures[]; sat: TrafficFigures[]; at500k: TrafficFigures[] };
  }[];
  bursts?: BurstFigures[];
  /** DN only: the same burst with every client authenticating its nick (803/805/807). */
  authBursts?: BurstFigures[];
  /** DN only: every plain / nick-auth pair of the largest burst, each pair run back to back. */
  authPairs?: { plain: BurstFigures; auth: BurstFigures }[];
  disconnect?: DisconnectFigures;
}

export interface Verdict {
  name: string;
  pass: boolean | null;
  figure: string;
}

export type Row = [string, string, string, string, string];

const nf = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function fmtInt(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '–' : nf.format(Math.round(v));
}

export function fmtMs(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export function fmtNum(v: number | undefined, digits = 2): string {
  return v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}

export function ratio(dn: number | undefined, base: number | undefined): number {
  if (dn === undefined || base === undefined || !Number.isFinite(dn) || !Number.isFinite(base) || base === 0) return Number.NaN;
  return dn / base;
}

function fmtRatio(dn: number | undefined, base: number | undefined): string {
  const r = ratio(dn, base);
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : '–';
}

function fan(t: TargetResult | undefined, n: number): NonNullable<TargetResult['fanout']>[number] | undefined {
  return t?.fanout?.find((f) => f.peers === n);
}

function burst(t: TargetResult | undefined, n: number): BurstFigures | undefined {
  return t?.bursts?.find((b) => b.peers === n);
}

function lost(h: HandshakeFigures | undefined): number | undefined {
  return h ? h.attempted - h.ok : undefined;
}

/** The plain / nick-auth pairs of a burst size (a single run counts as one pair). */
function authPairs(dn: TargetResult, n: number): { plain: BurstFigures; auth: BurstFigures }[] {
  const pairs = dn.authPairs?.filter((p) => p.plain.peers === n) ?? [];
  if (pairs.length > 0) return pairs;
  const plain = burst(dn, n);
  const auth = dn.authBursts?.find((x) => x.peers === n);
  return plain && auth ? [{ plain, auth }] : [];
}

/** Auth p99 / plain p99 of each pair, ascending. */
function pairRatios(pairs: { plain: BurstFigures; auth: BurstFigures }[]): number[] {
  return pairs.map((p) => p.auth.p99 / p.plain.p99).sort((x, y) => x - y);
}

/** The median pair ratio, with the spread when there are several pairs. */
function fmtPairRatios(rs: readonly number[]): string {
  return `${median(rs).toFixed(2)}×` + (rs.length > 1 ? ` (${rs.length} pairs ${rs[0]!.toFixed(2)}–${rs.at(-1)!.toFixed(2)}×)` : '');
}

/**
 * The DN's CPU per handshake in the plain and the authenticated bursts (medians over the pairs):
 * steadier than the latency ratio, which the kernel's SYN retransmissions dominate.
 */
function burstCpu(pairs: { plain: BurstFigures; auth: BurstFigures }[]): { text: string; ratio: string } | null {
  const per = (k: 'plain' | 'auth', f: 'serverMainCpuSec' | 'serverCpuSec'): number =>
    median(pairs.map((p) => ((p[k][f] ?? Number.NaN) * 1e6) / p[k].attempted).sort((x, y) => x - y));
  const pm = per('plain', 'serverMainCpuSec');
  const am = per('auth', 'serverMainCpuSec');
  if (!Number.isFinite(pm) || !Number.isFinite(am)) return null;
  const pa = per('plain', 'serverCpuSec');
  const aa = per('auth', 'serverCpuSec');
  return { text: `plain ${pm.toFixed(0)} (${pa.toFixed(0)}), nick-auth ${am.toFixed(0)} (${aa.toFixed(0)})`, ratio: `${(am / pm).toFixed(2)}× (${(aa / pa).toFixed(2)}×)` };
}

/** The middle value of ascending numbers (mean of the two middle ones for an even count). */
export function median(sorted: readonly number[]): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}

/** Evaluates the performance targets (docs/performance.md) on the DN's figures (with the baseline for the ratios). */
export function evaluateTargets(base: TargetResult | undefined, dn: TargetResult | undefined, opts: { holdPeers: number; burstPeers: number; disconnectLeaving: number }): Verdict[] {
  const v: Verdict[] = [];
  const na = (name: string, why: string): Verdict => ({ name, pass: null, figure: why });
  if (!dn?.available) return [na('all targets', dn?.note ?? 'directory node not available')];

  const dnSat = fan(dn, 1000)?.sat;
  const bSat = fan(base, 1000)?.sat;
  if (dnSat) {
    v.push({ name: 'fan-out ceiling ≥ 500,000 deliveries/s at 1,000 peers', pass: dnSat.deliveredPerSec >= 500_000, figure: `${fmtInt(dnSat.deliveredPerSec)}/s` });
    const r = ratio(dnSat.deliveredPerSec, bSat?.deliveredPerSec);
    v.push({ name: 'fan-out ceiling ≥ 0.7× baseline at the same offered load', pass: Number.isFinite(r) ? r >= 0.7 : null, figure: Number.isFinite(r) ? `${r.toFixed(2)}× (baseline ${fmtInt(bSat?.deliveredPerSec)}/s)` : 'no baseline' });
  } else v.push(na('fan-out ceiling at 1,000 peers', 'not measured'));

  const dnFixed = fan(dn, 1000)?.fixed;
  if (dnFixed) v.push({ name: 'fan-out p99 ≤ 10 ms at 1,000 peers × 10 pubmsg/s', pass: dnFixed.latency.p99 <= 10, figure: `${fmtMs(dnFixed.latency.p99)} ms` });
  else v.push(na('fan-out p99 at 1,000 peers × 10 pubmsg/s', 'not measured'));

  const dn500 = fan(dn, 1000)?.at500k;
  const b500 = fan(base, 1000)?.at500k;
  if (dn500) {
    const r = ratio(dn500.latency.p99, b500?.latency.p99);
    v.push({ name: 'fan-out p99 ≤ 1.5× baseline at 500,000 offered deliveries/s', pass: Number.isFinite(r) ? r <= 1.5 : null, figure: `${fmtMs(dn500.latency.p99)} ms vs ${fmtMs(b500?.latency.p99)} ms (${Number.isFinite(r) ? r.toFixed(2) : '–'}×)` });
  } else v.push(na('fan-out p99 at 500,000 offered deliveries/s', 'not measured'));

  if (dn.perPeerKiB !== undefined && base?.perPeerKiB !== undefined) {
    const limit = base.perPeerKiB + 1.5;
    v.push({ name: 'RSS per idle peer ≤ baseline + 1.5 KiB', pass: dn.perPeerKiB <= limit, figure: `${fmtNum(dn.perPeerKiB)} KiB vs limit ${fmtNum(limit)} KiB` });
  } else v.push(na('RSS per idle peer', 'not measured'));

  const b = burst(dn, opts.burstPeers);
  if (b) v.push({ name: `${fmtInt(opts.burstPeers)}-connection burst: 0 handshake timeouts`, pass: b.timeouts === 0 && lost(b) === 0, figure: `${b.timeouts} timeouts, ${fmtInt(lost(b))} lost of ${fmtInt(b.attempted)}` });
  else v.push(na('connection burst', 'not measured'));
  const pairs = authPairs(dn, opts.burstPeers);
  if (pairs.length > 0) {
    const rs = pairRatios(pairs);
    const med = median(rs);
    const timeouts = pairs.reduce((a, p) => a + p.auth.timeouts, 0);
    const lostN = pairs.reduce((a, p) => a + lost(p.auth)!, 0);
    v.push({
      name: `${fmtInt(opts.burstPeers)}-connection burst, every client authenticating its nick: 0 timeouts, p99 ≤ 1.5× the same burst without (median of ${rs.length} back-to-back pairs)`,
      pass: timeouts === 0 && lostN === 0 && med <= 1.5,
      figure: `${timeouts} timeouts, ${fmtInt(lostN)} lost; p99 ratio ${fmtPairRatios(rs)}`,
    });
  } else v.push(na('nick-auth burst', 'not measured'));

  const d = dn.disconnect;
  if (d) {
    const quad = d.noticeLines / Math.max(1, d.leaving * d.remaining);
    v.push({ name: `${fmtInt(opts.disconnectLeaving)} peers leaving at once: ≤ 0.5 CPU-s`, pass: d.cpuSeconds <= 0.5, figure: `${fmtNum(d.cpuSeconds)} CPU-s` });
    v.push({ name: 'no quadratic departure notices (lines ≤ 0.1 per departure per remaining peer)', pass: quad <= 0.1, figure: `${fmtInt(d.noticeLines)} lines = ${quad.toFixed(3)} per departure per peer` });
  } else v.push(na('mass disconnect', 'not measured'));

  const h = dn.hold;
  const lastGrow = dn.grow?.[dn.grow.length - 1];
  if (h && lastGrow) {
    const lostHs = lastGrow.peers - (h.peers ?? 0);
    const ok = h.missing === 0 && h.lostPeers === 0 && h.peers >= opts.holdPeers && lostHs <= 0;
    v.push({ name: `${fmtInt(opts.holdPeers)} peers held ${h.holdSec} s with steady traffic, nothing dropped`, pass: ok, figure: `${fmtInt(h.peers)} peers, ${fmtInt(h.delivered)}/${fmtInt(h.expected)} delivered, ${h.lostPeers} peers lost` });
  } else v.push(na('hold', 'not measured'));
  return v;
}

/** The table rows: metric, baseline, DN, DN/baseline, reference figure. */
export function buildRows(base: TargetResult | undefined, dn: TargetResult | undefined): Row[] {
  const rows: Row[] = [];
  const add = (m: string, b: string, d: string, r: string, ref = ''): void => {
    rows.push([m, b, d, r, ref]);
  };
  const ns = new Set<number>();
  for (const t of [base, dn]) for (const f of t?.fanout ?? []) ns.add(f.peers);
  const sorted = [...ns].sort((a, b) => a - b);
  for (const n of sorted) {
    const b = fan(base, n)?.sat;
    const d = fan(dn, n)?.sat;
    add(`fan-out ceiling @${fmtInt(n)} peers (deliveries/s)`, ceiling(b), ceiling(d), fmtRatio(d?.deliveredPerSec, b?.deliveredPerSec), n === 1000 ? 'ref ~100k, ng ~35k' : '');
  }
  for (const n of sorted) {
    const b = fan(base, n)?.fixed;
    const d = fan(dn, n)?.fixed;
    add(`fan-out p50/p99 @${fmtInt(n)} × 10 msg/s (ms)`, lat(b), lat(d), fmtRatio(d?.latency.p99, b?.latency.p99), n === 1000 ? 'ref p99 ~32' : '');
  }
  {
    const b = fan(base, 1000)?.at500k;
    const d = fan(dn, 1000)?.at500k;
    if (b || d) add('fan-out p50/p99 @1,000 × 500k offered/s (ms)', lat(b), lat(d), fmtRatio(d?.latency.p99, b?.latency.p99));
    const bd = b ? `${fmtInt(b.deliveredPerSec)}/s` : '–';
    const dd = d ? `${fmtInt(d.deliveredPerSec)}/s` : '–';
    if (b || d) add('  delivered at 500k offered', bd, dd, fmtRatio(d?.deliveredPerSec, b?.deliveredPerSec));
  }
  {
    const d = fan(dn, 1000)?.privSat;
    const df = fan(dn, 1000)?.privFixed;
    if (d) add('privmsg routed/s @1,000 (saturation)', 'n/a', fmtInt(d.deliveredPerSec), '');
    if (df) add('privmsg p50/p99 @1,000 × 1,000 msg/s (ms)', 'n/a', lat(df), '');
  }
  const steps = new Set<number>();
  for (const t of [base, dn]) for (const s of t?.grow ?? []) steps.add(s.peers);
  for (const n of [...steps].sort((a, b) => a - b)) {
    const b = base?.grow?.find((s) => s.peers === n);
    const d = dn?.grow?.find((s) => s.peers === n);
    add(`ramp to ${fmtInt(n)}: handshake p50/p99 ms (lost)`, hs(b?.handshake), hs(d?.handshake), fmtRatio(d?.handshake.p99, b?.handshake.p99));
  }
  const bn = new Set<number>();
  for (const t of [base, dn]) for (const s of t?.bursts ?? []) bn.add(s.peers);
  for (const n of [...bn].sort((a, b) => a - b)) {
    const b = burst(base, n);
    const d = burst(dn, n);
    add(`burst ${fmtInt(n)}: handshake p50/p99 ms (lost)`, hs(b), hs(d), fmtRatio(d?.p99, b?.p99), n === 2000 ? 'ref loses 246' : '');
    const a = dn?.authBursts?.find((x) => x.peers === n);
    if (a && dn) {
      const pairs = authPairs(dn, n);
      add(`  same burst, all nick-auth (until 807 ok)`, 'n/a', hs(a), '', `p99 ${fmtPairRatios(pairRatios(pairs))} w/o`);
      const cpu = burstCpu(pairs);
      if (cpu) add(`  DN CPU µs/handshake, main thread (all)`, 'n/a', cpu.text, '', `nick-auth ${cpu.ratio} plain`);
    }
  }
  add('RSS idle, 0 peers (MiB)', fmtNum((base?.rss0KiB ?? NaN) / 1024, 1), fmtNum((dn?.rss0KiB ?? NaN) / 1024, 1), fmtRatio(dn?.rss0KiB, base?.rss0KiB));
  for (const n of [...steps].sort((a, b) => a - b)) {
    const b = base?.grow?.find((s) => s.peers === n);
    const d = dn?.grow?.find((s) => s.peers === n);
    add(`RSS idle, ${fmtInt(n)} peers (MiB)`, fmtNum((b?.rssKiB ?? NaN) / 1024, 1), fmtNum((d?.rssKiB ?? NaN) / 1024, 1), fmtRatio(d?.rssKiB, b?.rssKiB));
  }
  add('RSS per idle peer (KiB)', fmtNum(base?.perPeerKiB), fmtNum(dn?.perPeerKiB), fmtRatio(dn?.perPeerKiB, base?.perPeerKiB), 'ref ~1.5 (+?), ng ~8.5');
  {
    const b = base?.disconnect;
    const d = dn?.disconnect;
    if (b || d) {
      const label = `${fmtInt((d ?? b)!.leaving)} of ${fmtInt((d ?? b)!.peers)} leave: CPU-s`;
      add(label, fmtNum(b?.cpuSeconds), fmtNum(d?.cpuSeconds), fmtRatio(d?.cpuSeconds, b?.cpuSeconds), 'ref ~9');
      add('  notice lines (bytes) to remaining', b ? `${fmtInt(b.noticeLines)} (${fmtInt(b.noticeBytes)})` : '–', d ? `${fmtInt(d.noticeLines)} (${fmtInt(d.noticeBytes)})` : '–', '');
    }
  }
  {
    const b = base?.hold;
    const d = dn?.hold;
    if (b || d) {
      const h = (x: TargetResult['hold']): string => (x ? `${fmtInt(x.peers)}p ${x.holdSec}s: ${fmtInt(x.missing)} missing, ${x.lostPeers} lost, p99 ${fmtMs(x.latency.p99)}` : '–');
      add('hold with steady traffic', h(b), h(d), '');
    }
  }
  {
    const b = fan(base, 1000)?.sat;
    const d = fan(dn, 1000)?.sat;
    const g = (x: TrafficFigures | undefined): string => (x ? `srv ${fmtNum(x.serverCpuUtil)} gen ${x.genCpuUtil.map((u) => fmtNum(u)).join('+')}` : '–');
    if (b || d) add('CPU cores during ceiling @1,000', g(b), g(d), '');
  }
  return rows;
}

/** A ceiling that reached the offered load is marked: it is the load generator's (or the machine's) limit. */
export const OFFERED_MARK = '*';

function ceiling(t: TrafficFigures | undefined): string {
  if (!t) return '–';
  const atOffer = t.offeredDeliveriesPerSec > 0 && t.deliveredPerSec >= 0.95 * t.offeredDeliveriesPerSec;
  return fmtInt(t.deliveredPerSec) + (atOffer ? OFFERED_MARK : '');
}

function lat(t: TrafficFigures | undefined): string {
  return t ? `${fmtMs(t.latency.p50)} / ${fmtMs(t.latency.p99)}` : '–';
}

function hs(h: HandshakeFigures | undefined): string {
  return h ? `${fmtMs(h.p50)} / ${fmtMs(h.p99)} (${fmtInt(h.attempted - h.ok)})` : '–';
}

/** Renders rows as a fixed-width text table with a header. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => [...r[i]!].length)));
  const line = (r: readonly string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ').trimEnd();
  const sep = widths.map((w) => '-'.repeat(w)).join('-+-');
  return [line(header), sep, ...rows.map(line)].join('\n');
}

export function formatVerdicts(v: Verdict[]): string {
  return v.map((x) => `${x.pass === null ? 'N/A ' : x.pass ? 'PASS' : 'FAIL'}  ${x.name}: ${x.figure}`).join('\n');
}
