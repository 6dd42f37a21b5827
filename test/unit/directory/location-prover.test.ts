/**
 * LocationProver scheduling with a scripted dialer and a ManualClock: the attempt budget is the
 * location's (fresh nicks and reconnects get no fresh attempts), a full queue costs no attempt,
 * and a newer claimant never pushes an older one out of the queue. The real-socket side is in
 * test/integration/directory/location-proofs.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { LocationProver, LocationProofLimitsSchema, type LocationProofLimitsInput } from '../../../src/directory/location-prover.js';
import { proofRefusal } from '../../../src/directory/proof-policy.js';
import type { Location } from '../../../src/protocol/onion.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';

interface C {
  nick: string;
  connectedAt: number;
}

/** Let the prover's promise chains (dial rejection → fail → pump) run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function setup(limits: LocationProofLimitsInput) {
  const clock = new ManualClock(0);
  const dialled: number[] = [];
  const rejects: Array<() => void> = [];
  const failed: string[] = [];
  const prover = new LocationProver<C>({
    // Every dial hangs until the test fails it: nothing is ever proven here.
    dial: (loc) => {
      dialled.push((loc as { port: number }).port);
      return new Promise((_, reject) => rejects.push(() => reject(new Error('refused'))));
    },
    network: 'regtest',
    limits: LocationProofLimitsSchema.parse({ minIntervalMs: 0, ...limits }),
    clock,
    logger: silentLogger(),
    events: { proven: () => {}, failed: (c) => void failed.push(c.nick) },
  });
  const loc = (port: number): Location => ({ kind: 'loopback', host: '127.0.0.1', port });
  const claim = (nick: string, connectedAt: number, port: number): C => {
    const c = { nick, connectedAt };
    prover.claim(c, `127.0.0.1:${port}`, loc(port));
    return c;
  };
  /** Fails the oldest running dial and lets the prover move on. */
  const failNext = async (): Promise<void> => {
    rejects.shift()!();
    await settle();
  };
  return { clock, prover, dialled, failed, claim, failNext, status: (port: number) => prover.status(`127.0.0.1:${port}`) };
}

describe('LocationProver budget', () => {
  it('a fresh nick gets no fresh attempts: the budget is the location\'s, also after every claimant left', async () => {
    const t = setup({ maxAttempts: 2, retryBaseMs: 1_000, retryMaxMs: 60_000 });
    const a = t.claim('a', 0, 5000);
    await t.failNext();
    const b = t.claim('b', 1, 5000); // untried nick: brings the second attempt forward (minIntervalMs 0)
    await settle();
    expect(t.dialled).toEqual([5000, 5000]);
    await t.failNext();
    expect(t.status(5000)).toMatchObject({ attempts: 2, state: 'waiting', dueAt: 60_000 });
    const c = t.claim('c', 2, 5000); // spent: no dial, told at once
    await settle();
    expect(t.dialled).toHaveLength(2);
    expect(t.failed.at(-1)).toBe('c');
    // Everyone leaves; a newcomer later claims the same location: still spent.
    for (const x of [a, b, c]) t.prover.release(x, '127.0.0.1:5000');
    expect(t.status(5000)).toMatchObject({ attempts: 2, state: 'idle', claimants: 0 });
    t.clock.advance(30_000);
    t.claim('d', 3, 5000);
    await settle();
    expect(t.dialled).toHaveLength(2);
    expect(t.status(5000)).toMatchObject({ attempts: 2, state: 'waiting', dueAt: 60_000 });
    t.clock.advance(30_000); // then once per retryMaxMs
    await settle();
    expect(t.dialled).toHaveLength(3);
  });

  it('a claim that finds the queue full spends no attempt and is probed once there is room', async () => {
    const t = setup({ maxConcurrent: 1, maxQueued: 1, maxAttempts: 1, retryBaseMs: 1_000 });
    t.claim('s1', 0, 6001); // running
    t.claim('s2', 1, 6002); // queued
    t.claim('honest', 2, 6003); // queue full, newest: waits
    expect(t.status(6003)).toMatchObject({ attempts: 0, state: 'waiting', dueAt: 1_000 });
    expect(t.prover.stats.queueFull).toBe(1);
    expect(t.failed).toEqual([]);
    await t.failNext(); // s1 done; s2 runs
    t.clock.advance(1_000); // honest is queued again
    await t.failNext(); // s2 done; honest runs
    expect(t.dialled).toEqual([6001, 6002, 6003]);
  });
});

describe('LocationProver queue fairness', () => {
  it('an older claimant takes the place of the newest queued one; newer claimants never push anyone out', async () => {
    const t = setup({ maxConcurrent: 1, maxQueued: 2, retryBaseMs: 1_000 });
    t.claim('s1', 10, 7001); // running
    t.claim('s2', 11, 7002);
    t.claim('s3', 12, 7003); // queue full: [s2, s3]
    t.claim('honest', 5, 7004); // older than s3: s3 waits (no attempt spent)
    expect(t.status(7003)).toMatchObject({ attempts: 0, state: 'waiting' });
    t.claim('s4', 13, 7005); // newer than everyone queued: waits
    expect(t.status(7005)).toMatchObject({ attempts: 0, state: 'waiting' });
    expect(t.status(7004)!.state).toBe('queued');
    expect(t.prover.stats.queueFull).toBe(2);
    await t.failNext(); // s1 fails; the oldest queued claimant runs next
    expect(t.dialled).toEqual([7001, 7004]);
    await t.failNext();
    expect(t.dialled).toEqual([7001, 7004, 7002]);
  });
});

describe('proofRefusal', () => {
  const onion = 'a'.repeat(56) + '.onion';
  const src = (publicLocation: string) => ({ publicLocation: () => publicLocation, ownPorts: () => [5222, 8080], loopbackPorts: { min: 1024, max: 65535 } });
  it('refuses our own onion (any port), listener and HTTP ports, and loopback ports outside the range', () => {
    expect(proofRefusal(src(`${onion}:5222`), { kind: 'onion', host: onion, port: 80 })).toBe("the directory's own onion");
    expect(proofRefusal(src(`${onion}:5222`), { kind: 'onion', host: 'b'.repeat(56) + '.onion', port: 5222 })).toBeNull();
    expect(proofRefusal(src('127.0.0.1:5222'), { kind: 'loopback', host: '127.0.0.1', port: 8080 })).toBe("the directory's own address");
    expect(proofRefusal(src('127.0.0.1:9999'), { kind: 'loopback', host: 'localhost', port: 9999 })).toBe("the directory's own address");
    expect(proofRefusal(src('127.0.0.1:5222'), { kind: 'loopback', host: '127.0.0.1', port: 22 })).toBe('loopback port 22 outside the allowed 1024-65535');
    expect(proofRefusal(src('127.0.0.1:5222'), { kind: 'loopback', host: '127.0.0.1', port: 40000 })).toBeNull();
  });
});
