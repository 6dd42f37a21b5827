/**
 * The DN-wide broadcast budget on a manual clock: a hard cap on what every receiver gets, and
 * while it runs low the heaviest senders are shed first, so light ones still get through.
 */
import { describe, expect, it } from 'vitest';
import { ADMITTED, BUDGET_DROPS, BroadcastBudget, type BudgetSender } from '../../../src/directory/broadcast-budget.js';
import { resolveLimits, type DirectoryLimitsInput } from '../../../src/directory/limits.js';
import { ManualClock } from '../../../src/util/clock.js';

const DEFAULTS = resolveLimits({});
const BURST_SEC = DEFAULTS.broadcastBurstMs / 1000;

interface Sender extends BudgetSender {
  sent: number;
  relayed: number;
}

/** A sender connected at `connectedAt` (default: long ago, so no prior demand is left). */
const sender = (connectedAt = -Infinity): Sender => ({ connectedAt, demand: 0, demandAt: 0, obDemand: 0, obDemandAt: 0, sent: 0, relayed: 0 });
const crowd = (n: number, connectedAt?: number): Sender[] => Array.from({ length: n }, () => sender(connectedAt));

function setup(limits: DirectoryLimitsInput = {}) {
  const clock = new ManualClock(0);
  const budget = new BroadcastBudget(resolveLimits(limits), clock.now());
  const drops = new Map<string, number>();
  /** One pubmsg of `bytes` from `s` at the clock's time; true when relayed. */
  const offer = (s: Sender, bytes = 100, orderbook = false, proven = false): boolean => {
    s.sent++;
    const v = budget.admit(s, bytes, orderbook, proven, clock.now());
    if (v === ADMITTED) s.relayed++;
    else drops.set(BUDGET_DROPS[v - 1]!, (drops.get(BUDGET_DROPS[v - 1]!) ?? 0) + 1);
    return v === ADMITTED;
  };
  const total = (ss: Sender[]): number => ss.reduce((n, s) => n + s.relayed, 0);
  return { clock, budget, offer, drops, total };
}

/**
 * Runs `ms` of simulated time in 1 ms steps; each sender of a group sends once per `periodMs`,
 * the group spread evenly over the period (as independent senders would be).
 */
function run(t: ReturnType<typeof setup>, ms: number, groups: Array<{ senders: Sender[]; periodMs: number; bytes?: number; orderbook?: boolean; proven?: boolean }>): void {
  for (let i = 0; i < ms; i++) {
    const now = t.clock.now();
    for (const g of groups) {
      const n = g.senders.length;
      for (let k = 0; k < n; k++) if (Math.floor((k * g.periodMs) / n) === now % g.periodMs) t.offer(g.senders[k]!, g.bytes, g.orderbook, g.proven);
    }
    t.clock.advance(1);
  }
}

describe('BroadcastBudget', () => {
  it('1,000 senders at the per-peer pubmsg limit cannot starve 10 light senders; the total stays within burst + rate × time', () => {
    const t = setup();
    const rate = DEFAULTS.broadcastPerSec;
    const heavy = crowd(1_000);
    const light = crowd(10);
    run(t, 3_000, [{ senders: heavy, periodMs: 100 }]);
    run(t, 60_000, [{ senders: heavy, periodMs: 100 }, { senders: light, periodMs: 1_000 }]);
    expect(light.every((s) => s.sent === 60 && s.relayed === 60)).toBe(true);
    expect(t.total(heavy) + t.total(light)).toBeLessThanOrEqual(rate * (BURST_SEC + 63));
    // The crowd gets what the light senders leave, not nothing.
    expect(t.total(heavy)).toBeGreaterThan((rate - 10) * 63 * 0.8);
    expect(t.drops.get('shed')).toBeGreaterThan(0);
  });

  it('a sender at the same rate as the crowd gets about the same share as one of the crowd', () => {
    const t = setup({ broadcastPerSec: 20 });
    const heavy = crowd(200);
    const peer = crowd(1);
    run(t, 30_000, [{ senders: [...heavy, ...peer], periodMs: 100 }]);
    const mean = t.total(heavy) / heavy.length;
    expect(peer[0]!.relayed).toBeLessThanOrEqual(mean * 3 + 2);
  });

  it('the buckets are a hard cap: 5,000 one-shot senders with no history (and no reserve) get the burst and then the rate', () => {
    const t = setup({ broadcastPerSec: 10, broadcastBurstMs: 5_000, broadcastNewcomerPercent: 0 });
    const once = crowd(5_000);
    // All within 2 s (the last at 1,999 ms): 50 + 19.99 fit, and with no reserve each may take the last token.
    run(t, 2_000, [{ senders: once, periodMs: 2_000 }]);
    expect(t.total(once)).toBe(50 + 19);
    expect(t.drops.get('empty')! + (t.drops.get('shed') ?? 0)).toBe(5_000 - t.total(once));
  });

  /** 20 s of 5,000 fresh nicks a second, each connecting and sending one pubmsg; 2 peers connected 30 s before send every 2 s. */
  function churn(limits: DirectoryLimitsInput) {
    const t = setup(limits);
    t.clock.advance(30_000);
    const honest = crowd(2, 0);
    const fresh: Sender[] = [];
    for (let ms = 0; ms < 20_000; ms++) {
      for (let k = 0; k < 5; k++) {
        const s = sender(t.clock.now());
        fresh.push(s);
        t.offer(s, 60);
      }
      if (ms % 2_000 === 1_000) for (const h of honest) t.offer(h, 80);
      t.clock.advance(1);
    }
    return { t, honest, fresh };
  }

  it('a crowd of first-message senders cannot take the last quarter of a bucket; peers connected before it still get through', () => {
    const { t, honest, fresh } = churn({});
    const rate = DEFAULTS.broadcastPerSec;
    expect(honest.map((h) => [h.sent, h.relayed])).toEqual([[10, 10], [10, 10]]);
    // The crowd got the top three quarters of the burst and the rate, and the level stayed above the reserve.
    const top = rate * BURST_SEC * (1 - DEFAULTS.broadcastNewcomerPercent / 100);
    expect(t.total(fresh)).toBeGreaterThanOrEqual(top + rate * 20 - 20 - 1);
    expect(t.total(fresh) + t.total(honest)).toBeLessThanOrEqual(rate * (BURST_SEC + 20));
    expect(t.budget.levels(t.clock.now()).messages).toBeGreaterThanOrEqual(DEFAULTS.broadcastNewcomerPercent / 100 - 0.01);
  });

  it('without the reserve the same crowd keeps the bucket empty and the established peers are starved', () => {
    const { honest } = churn({ broadcastNewcomerPercent: 0 });
    expect(honest.every((h) => h.sent === 10 && h.relayed <= 1)).toBe(true);
  });

  it('a newcomer is served at once when the buckets are full (a maker that just reconnected to a quiet DN), its offers too', () => {
    const t = setup();
    t.clock.advance(600_000);
    const maker = sender(t.clock.now());
    // Five offer announcements and the !orderbook answer's worth, all within the first second.
    for (let i = 0; i < 5; i++) expect(t.offer(maker, 200)).toBe(true);
    expect(t.offer(sender(t.clock.now()), 40, true)).toBe(true);
    // Past half a bucket the reserve bites: it can take the bucket to a quarter and no further.
    const burst = DEFAULTS.broadcastPerSec * BURST_SEC;
    let n = 5;
    while (t.offer(sender(t.clock.now()), 60)) n++;
    expect(n).toBeGreaterThanOrEqual(Math.floor(burst * 0.75) - 2);
    expect(n).toBeLessThanOrEqual(Math.ceil(burst * 0.75));
    expect(t.offer(sender(), 60)).toBe(true);
  });

  it('long lines: senders spending their byte allowance in 30 KB lines leave room for small messages', () => {
    const t = setup();
    const big = crowd(64);
    const small = crowd(10);
    // Each big sender bursts 4 lines, then keeps to its per-peer allowance (one line every 14 s).
    for (const s of big) for (let k = 0; k < 4; k++) t.offer(s, 30_100);
    run(t, 120_000, [{ senders: big, periodMs: 14_000, bytes: 30_100 }, { senders: small, periodMs: 5_000, bytes: 200 }]);
    expect(small.every((s) => s.relayed === s.sent && s.sent === 24)).toBe(true);
    const bytes = t.total(big) * 30_100 + t.total(small) * 200;
    expect(bytes).toBeLessThanOrEqual(DEFAULTS.broadcastBytesPerSec * (BURST_SEC + 120));
  });

  it('a line longer than the whole byte bucket goes when the bucket is full, and its debt is repaid before anything else goes', () => {
    const t = setup({ broadcastBytesPerSec: 1_000, broadcastBurstMs: 10_000 });
    expect(t.offer(sender(), 39_000)).toBe(true);
    expect(t.offer(sender(), 100)).toBe(false);
    // 29,000 bytes of debt at 1,000 a second, then room for 100.
    t.clock.advance(29_000);
    expect(t.offer(sender(), 100)).toBe(false);
    t.clock.advance(100);
    expect(t.offer(sender(), 100)).toBe(true);
    expect(t.drops.get('empty')).toBe(2);
    // Not full: a line over the bucket waits until it is.
    expect(t.offer(sender(), 39_000)).toBe(false);
    t.clock.advance(9_900);
    expect(t.offer(sender(), 39_000)).toBe(false);
    t.clock.advance(100);
    expect(t.offer(sender(), 39_000)).toBe(true);
  });

  it('!orderbook: 1,000 senders at the per-peer limit (6 a minute) get at most the global allowance through; a newcomer\'s one request is relayed', () => {
    const t = setup();
    const flood = crowd(1_000);
    for (const s of flood) for (let k = 0; k < 6; k++) t.offer(s, 40, true);
    run(t, 30_000, [{ senders: flood, periodMs: 10_000, bytes: 40, orderbook: true }]);
    expect(t.total(flood)).toBeLessThanOrEqual(DEFAULTS.broadcastOrderbookPerSec * (BURST_SEC + 30));
    expect(t.drops.get('orderbook-shed')! + (t.drops.get('orderbook-empty') ?? 0)).toBe(9_000 - t.total(flood));
    // A taker that has just connected, asking once, several times during the flood, always gets
    // through: the crowd's own demand keeps the level above the newcomers' reserve.
    for (let k = 0; k < 5; k++) {
      run(t, 1_000, [{ senders: flood, periodMs: 10_000, bytes: 40, orderbook: true }]);
      expect(t.offer(sender(t.clock.now()), 40, true)).toBe(true);
    }
  });

  it('a proven location counts its demand 4 times lighter: at the crowd\'s rate it is served, at 5 times that it is shed', () => {
    const t = setup({ broadcastPerSec: 20, broadcastHalfLifeMs: 10_000 });
    const flood = crowd(400);
    const same = crowd(3);
    const fast = crowd(3);
    const groups = [{ senders: flood, periodMs: 1_000 }, { senders: same, periodMs: 1_000, proven: true }, { senders: fast, periodMs: 200, proven: true }];
    // Joining a flood that has been going for 5 half-lives.
    run(t, 50_000, [{ senders: flood, periodMs: 1_000 }]);
    run(t, 60_000, groups);
    expect(same.map((s) => s.relayed)).toEqual([60, 60, 60]);
    // A proven location is a weight, not a free pass: at 5 times the crowd's rate, once its demand
    // has built up (a few half-lives), a proven sender is heavier than the crowd and shed first.
    const before = fast.map((s) => s.relayed);
    run(t, 30_000, groups);
    expect(same.map((s) => s.relayed)).toEqual([90, 90, 90]);
    expect(fast.map((s, i) => s.relayed - before[i]!)).toEqual([0, 0, 0]);
  });

  it('demand is forgotten with the half-life: a flooder that stops is served again', () => {
    const t = setup({ broadcastPerSec: 10, broadcastHalfLifeMs: 10_000 });
    const heavy = crowd(100);
    const ex = heavy[0]!;
    run(t, 20_000, [{ senders: heavy, periodMs: 100 }]);
    const rest = heavy.slice(1);
    run(t, 60_000, [{ senders: rest, periodMs: 1_000 }]);
    const before = ex.relayed;
    // Ten half-lives later its demand is far below the crowd's.
    expect(t.offer(ex)).toBe(true);
    expect(ex.relayed).toBe(before + 1);
  });

  it('off (rates 0): everything is admitted and nothing is counted', () => {
    const t = setup({ broadcastPerSec: 0, broadcastBytesPerSec: 0, broadcastOrderbookPerSec: 0 });
    expect(t.budget.enabled).toBe(false);
    const s = sender();
    for (let i = 0; i < 10_000; i++) t.offer(s, 40_000, true);
    expect(s.relayed).toBe(10_000);
    expect(t.budget.levels(t.clock.now())).toEqual({ messages: null, bytes: null, orderbook: null });
  });
});
