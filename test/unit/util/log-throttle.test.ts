import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { LogThrottle } from '../../../src/util/log-throttle.js';
import type { Logger } from '../../../src/util/logger.js';

function capture(): { lines: Array<Record<string, unknown>>; logger: Logger } {
  const lines: Array<Record<string, unknown>> = [];
  const out = new Writable({ write: (c: Buffer, _e, cb) => { for (const l of c.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l)); cb(); } });
  return { lines, logger: pino({ level: 'debug' }, out) };
}

describe('LogThrottle', () => {
  it('logs the first event, counts the rest, and writes one summary per interval', async () => {
    const { lines, logger } = capture();
    const clock = new ManualClock();
    const t = new LogThrottle(logger, 10_000, clock);
    for (let i = 0; i < 1000; i++) t.note('warn', 'refused', { i }, 'refused a connection');
    t.note('info', 'oversize', { bytes: 5 }, 'skipped a line');
    clock.advance(10_000);
    for (let i = 0; i < 5; i++) t.note('warn', 'refused', { i }, 'refused a connection');
    clock.advance(10_000);
    clock.advance(10_000); // quiet interval: the slot is dropped
    t.note('warn', 'refused', { i: 'again' }, 'refused a connection');
    await new Promise((r) => setImmediate(r));
    expect(t.total).toBe(1007);
    expect(lines.map((l) => [l['kind'], l['repeated'] ?? 0, l['msg']])).toEqual([
      ['refused', 0, 'refused a connection'],
      ['oversize', 0, 'skipped a line'],
      ['refused', 999, 'refused a connection (repeated 999 times)'],
      ['refused', 5, 'refused a connection (repeated 5 times)'],
      ['refused', 0, 'refused a connection'],
    ]);
    expect(lines[2]!['i']).toBe(999);
    expect(lines[2]!['level']).toBe(40);
  });

  it('close() writes what is still counted', async () => {
    const { lines, logger } = capture();
    const t = new LogThrottle(logger, 60_000, new ManualClock());
    for (let i = 0; i < 3; i++) t.note('info', 'x', {}, 'x happened');
    t.close();
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l['msg'])).toEqual(['x happened', 'x happened (repeated 2 times)']);
  });

  it('perInterval: that many events in full in every interval, the rest summarised', async () => {
    const { lines, logger } = capture();
    const clock = new ManualClock();
    const t = new LogThrottle(logger, 10_000, clock);
    for (let i = 0; i < 5; i++) t.note('info', 'connect', { i }, 'connect', 3);
    clock.advance(10_000);
    for (let i = 5; i < 9; i++) t.note('info', 'connect', { i }, 'connect', 3);
    clock.advance(10_000);
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l['i'], l['repeated'] ?? 0])).toEqual([[0, 0], [1, 0], [2, 0], [4, 2], [5, 0], [6, 0], [7, 0], [8, 1]]);
  });
});
