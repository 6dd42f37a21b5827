import { describe, expect, it } from 'vitest';
import { buildRows, evaluateTargets, formatTable, formatVerdicts, ratio, type TargetResult, type TrafficFigures } from '../../../bench/lib/report.js';

function traffic(delivered: number, p99: number): TrafficFigures {
  return {
    kind: 'pub', peers: 1000, senders: 10, offeredMsgsPerSec: 10, offeredDeliveriesPerSec: delivered === 9990 ? 9990 : 5_000_000, sent: 40, skipped: 0,
    deliveredPerSec: delivered, expected: 39960, delivered: 39960, missing: 0, lostPeers: 0, probeTimeouts: 0,
    latency: { count: 39960, p50: p99 / 3, p99, max: p99 * 2 }, serverCpuUtil: 0.5, genCpuUtil: [0.4, 0.4], windowSec: 4,
  };
}

function target(kind: 'baseline' | 'dn', k: number): TargetResult {
  return {
    kind, label: kind, available: true, errors: [], rss0KiB: 60_000, perPeerKiB: 4.4 * k,
    grow: [{ peers: 1000, rssKiB: 64_000, handshake: { attempted: 1000, ok: 1000, rejected: 0, timeouts: 0, errors: 0, wallMs: 500, count: 1000, p50: 1, p99: 2, max: 3 } }],
    fanout: [{ peers: 1000, fixed: traffic(9990, 5 * k), sat: traffic(1_000_000 / k, 20), at500k: traffic(500_000, 10 * k) }],
    bursts: [{ peers: 10_000, attempted: 10_000, ok: 10_000, rejected: 0, timeouts: 0, errors: 0, wallMs: 900, count: 10_000, p50: 100, p99: 800, max: 900, rssKiB: 100_000 }],
    authBursts: [{ peers: 10_000, attempted: 10_000, ok: 10_000, rejected: 0, timeouts: 0, errors: 0, wallMs: 900, count: 10_000, p50: 100, p99: 800 * k, max: 900 * k, rssKiB: 100_000 }],
    disconnect: { peers: 3000, leaving: 2000, remaining: 1000, cpuSeconds: 0.2 * k, noticeLines: 100_000, noticeBytes: 1e7, settleMs: 300, lostPeers: 0 },
    hold: { ...traffic(50_000, 30), peers: 1000, holdSec: 60 },
  };
}

describe('bench report', () => {
  it('ratio handles missing and zero baselines', () => {
    expect(ratio(2, 4)).toBe(0.5);
    expect(ratio(2, 0)).toBeNaN();
    expect(ratio(undefined, 4)).toBeNaN();
  });

  it('passes a DN that matches the baseline, fails a slow one', () => {
    const opts = { holdPeers: 1000, burstPeers: 10_000, disconnectLeaving: 2000 };
    const good = evaluateTargets(target('baseline', 1), target('dn', 1), opts);
    expect(good.every((v) => v.pass === true)).toBe(true);
    const bad = evaluateTargets(target('baseline', 1), target('dn', 4), opts);
    const byName = (s: string): boolean | null | undefined => bad.find((v) => v.name.includes(s))?.pass;
    expect(byName('≥ 500,000')).toBe(false); // 250k/s
    expect(byName('0.7× baseline')).toBe(false);
    expect(byName('p99 ≤ 10 ms')).toBe(false); // 20 ms
    expect(byName('1.5× baseline')).toBe(false);
    expect(byName('RSS per idle peer')).toBe(false);
    expect(byName('CPU-s')).toBe(false); // 0.8
    expect(byName('authenticating its nick')).toBe(false); // p99 3,200 ms vs 800 ms without
    expect(formatVerdicts(bad)).toMatch(/^FAIL {2}fan-out ceiling/m);
  });

  it('judges the nick-auth burst on the median of the pairs\' p99 ratios, and any timeout fails it', () => {
    const opts = { holdPeers: 1000, burstPeers: 10_000, disconnectLeaving: 2000 };
    const row = (p99: number, timeouts = 0) => ({ peers: 10_000, attempted: 10_000, ok: 10_000 - timeouts, rejected: 0, timeouts, errors: 0, wallMs: 900, count: 10_000, p50: 100, p99, max: p99, rssKiB: 100_000 });
    const pairs = (ratios: number[], timeouts = 0) => ({ ...target('dn', 1), authPairs: ratios.map((r, i) => ({ plain: row(1000), auth: row(1000 * r, i === 0 ? timeouts : 0) })) });
    const verdict = (dn: TargetResult) => evaluateTargets(target('baseline', 1), dn, opts).find((v) => v.name.includes('authenticating its nick'))!;
    expect(verdict(pairs([2.5, 1.2, 1.4]))).toMatchObject({ pass: true, figure: expect.stringContaining('1.40× (3 pairs 1.20–2.50×)') });
    expect(verdict(pairs([1.6, 1.2, 1.7])).pass).toBe(false);
    expect(verdict(pairs([1.2, 1.2, 1.2], 3)).pass).toBe(false);
    const rows = buildRows(undefined, pairs([2.5, 1.2, 1.4]));
    expect(rows.find((r) => r[0].includes('all nick-auth'))?.[4]).toContain('1.40× (3 pairs');
    expect(rows.some((r) => r[0].includes('CPU µs/handshake'))).toBe(false); // no CPU figures in these pairs
    const withCpu = { ...target('dn', 1), authPairs: [{ plain: { ...row(1000), serverMainCpuSec: 0.6, serverCpuSec: 1 }, auth: { ...row(1500), serverMainCpuSec: 1.2, serverCpuSec: 2.5 } }] };
    const cpuRow = buildRows(undefined, withCpu).find((r) => r[0].includes('CPU µs/handshake'));
    expect(cpuRow?.[2]).toBe('plain 60 (100), nick-auth 120 (250)');
    expect(cpuRow?.[4]).toBe('nick-auth 2.00× (2.50×) plain');
  });

  it('reports N/A when the DN is missing', () => {
    const v = evaluateTargets(target('baseline', 1), { kind: 'dn', label: 'dn', available: false, note: 'not built', errors: [] }, { holdPeers: 1, burstPeers: 1, disconnectLeaving: 1 });
    expect(v).toEqual([{ name: 'all targets', pass: null, figure: 'not built' }]);
  });

  it('renders an aligned table with ratios', () => {
    const rows = buildRows(target('baseline', 1), target('dn', 2));
    const sat = rows.find((r) => r[0].startsWith('fan-out ceiling @1,000'));
    expect(sat?.slice(1, 4)).toEqual(['1,000,000', '500,000', '0.50×']);
    const atOffer = buildRows({ ...target('baseline', 1), fanout: [{ peers: 1000, sat: traffic(9_990, 20) }] }, undefined);
    expect(atOffer.find((r) => r[0].startsWith('fan-out ceiling'))?.[1]).toBe('9,990*');
    const text = formatTable(['metric', 'baseline', 'DN', 'DN/base', 'reference'], rows);
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^-+-\+-/);
    const bar = lines[0]!.indexOf('|');
    for (const l of lines.slice(2)) expect(l.indexOf('|')).toBe(bar);
  });
});
