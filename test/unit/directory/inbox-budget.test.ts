import { describe, expect, it } from 'vitest';
import { INBOX_EMPTY, INBOX_OK, INBOX_SHED, InboxBudget, type InboxParty } from '../../../src/directory/inbox-budget.js';
import { resolveLimits } from '../../../src/directory/limits.js';

/** A sender connected long ago (no prior demand left), unless told. */
const party = (connectedAt = -Infinity): InboxParty => ({ connectedAt, privDemand: 0, privDemandAt: 0, inbox: null });
const budget = (rate: number, burst = 100_000, newcomerPercent = 25): InboxBudget =>
  new InboxBudget(
    resolveLimits({ privmsgRecvBytesPerSec: rate, privmsgRecvBurstBytes: burst, broadcastHalfLifeMs: 60_000, broadcastNewcomerPercent: newcomerPercent }),
  );

describe('InboxBudget (per-target privmsg bytes)', () => {
  it('off (rate 0): everything is admitted and nothing is stored on the target', () => {
    const b = budget(0);
    const t = party();
    for (let i = 0; i < 100; i++) expect(b.admit(party(), t, 40_000, 0)).toBe(INBOX_OK);
    expect(t.inbox).toBeNull();
  });

  it('a full bucket goes to anyone down to half; below that a sender is stopped at its own demand', () => {
    const b = budget(10_000);
    const t = party();
    const flooder = party();
    const verdicts = Array.from({ length: 10 }, () => b.admit(flooder, t, 10_000, 0));
    // 10 % each: five leave exactly half, the sixth would leave 40 % with 50 % demanded.
    expect(verdicts.filter((v) => v === INBOX_OK)).toHaveLength(5);
    expect(verdicts.slice(5).every((v) => v === INBOX_SHED)).toBe(true);
    expect(b.fill(t, 0)).toBeCloseTo(0.5);
    // A sender that asked for little takes what the flooder left; demand counts what was asked.
    expect(b.admit(party(), t, 2_000, 0)).toBe(INBOX_OK);
    expect(flooder.privDemand).toBe(100_000);
  });

  it('an empty bucket admits nobody; it refills at the rate', () => {
    const b = budget(10_000);
    const t = party();
    for (let i = 0; i < 10; i++) expect(b.admit(party(), t, 10_000, 0)).toBe(INBOX_OK);
    expect(b.admit(party(), t, 1, 0)).toBe(INBOX_EMPTY);
    // One second refills 10,000 bytes: a fresh sender may take them (it asked for nothing before).
    expect(b.admit(party(), t, 10_000, 1_000)).toBe(INBOX_OK);
    expect(b.admit(party(), t, 1, 1_000)).toBe(INBOX_EMPTY);
  });

  it('a line bigger than the whole bucket needs a full one', () => {
    const b = budget(10_000, 65_536);
    const t = party();
    expect(b.admit(party(), t, 70_000, 0)).toBe(INBOX_OK);
    expect(b.admit(party(), t, 70_000, 1_000)).toBe(INBOX_EMPTY);
    expect(b.admit(party(), t, 70_000, 20_000)).toBe(INBOX_OK);
  });

  it("a sender's demand decays with the half-life", () => {
    const b = budget(10_000);
    const s = party();
    b.admit(s, party(), 8_000, 0);
    b.admit(s, party(), 0, 60_000);
    expect(s.privDemand).toBeCloseTo(4_000);
  });

  it('a crowd of fresh senders cannot take a target below the newcomer reserve; a sender connected earlier still gets through', () => {
    const flood = (newcomerPercent: number): { fill: number; honest: number } => {
      const b = budget(10_000, 100_000, newcomerPercent);
      const t = party();
      const early = party(0); // connected at t = 0, like a taker that has waited for offers
      let honest = 0;
      // 50 fresh nicks a second, each connecting and sending one 2,000-byte privmsg at once.
      for (let ms = 30_000; ms < 60_000; ms += 20) {
        b.admit(party(ms), t, 2_000, ms);
        if (ms % 3_000 === 0 && b.admit(early, t, 500, ms) === INBOX_OK) honest++;
      }
      return { fill: b.fill(t, 60_000), honest };
    };
    const guarded = flood(25);
    expect(guarded.honest).toBe(10);
    expect(guarded.fill).toBeGreaterThanOrEqual(0.2);
    // Without the reserve the crowd keeps the bucket empty and the earlier sender is starved.
    const open = flood(0);
    expect(open.honest).toBeLessThan(5);
  });

  it('a fresh sender on a full bucket goes at once: the reserve only bites below half', () => {
    const b = budget(10_000);
    const t = party();
    expect(b.admit(party(0), t, 40_000, 0)).toBe(INBOX_OK);
    expect(b.fill(t, 0)).toBeCloseTo(0.6);
  });
});
