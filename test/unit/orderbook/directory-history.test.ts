import { describe, expect, it } from 'vitest';
import { DAY_MS, DirectoryHistory, HOUR_MS } from '../../../src/orderbook/directory-history.js';
import { historyRows, msText, renderDirectoryHistory, uptimeClass, uptimeText } from '../../../src/orderbook/history-view.js';
import type { ApiDirectories } from '../../../src/orderbook/schema.js';
import { ManualClock } from '../../../src/util/clock.js';

const MIN = 60_000;
// An hour boundary, so timeline slots are easy to reason about.
const START = Math.ceil(1_700_000_000_000 / HOUR_MS) * HOUR_MS;

describe('DirectoryHistory', () => {
  it('uptime, connects, drops and medians over the last hour and day', () => {
    const clock = new ManualClock(START);
    const h = new DirectoryHistory(clock);
    h.connected('a', 900);
    for (let i = 0; i < 120; i++) {
      clock.advance(MIN);
      // Up for the first 90 minutes, then down.
      h.sample('a', i < 90);
      if (i % 5 === 0 && i < 90) h.rtt('a', 100 + i);
    }
    h.disconnected('a');
    const s = h.summary('a');
    expect(s.day).toMatchObject({ uptime: 90 / 120, samples: 120, connects: 1, disconnects: 1, handshakeMs: 900 });
    expect(s.day.rttMs).toBe(143); // median of 100, 105, …, 185 (18 values): (140 + 145) / 2, rounded
    // Last hour: minutes 61..120, of which 61..90 up.
    expect(s.hour).toMatchObject({ uptime: 30 / 60, samples: 60, connects: 0, disconnects: 1, handshakeMs: null });
    expect(s.timeline).toHaveLength(24);
    // Slot 23 is the current hour (only the sample at START + 2 h, down); 22 holds minutes 60..119
    // (60..90 up), 21 minutes 1..59 (all up).
    expect(s.timeline.slice(20)).toEqual([null, 1, 31 / 60, 0]);
    expect(s.timeline.slice(0, 20).every((x) => x === null)).toBe(true);
  });

  it('forgets everything older than a day and keeps memory bounded', () => {
    const clock = new ManualClock(START);
    const h = new DirectoryHistory(clock);
    for (let i = 0; i < 3000; i++) h.connected('flappy', i);
    h.sample('flappy', true);
    expect(h.summary('flappy').day.connects).toBe(2000);
    clock.advance(DAY_MS + MIN);
    h.sample('flappy', false);
    expect(h.summary('flappy').day).toMatchObject({ uptime: 0, samples: 1, connects: 0, handshakeMs: null });
  });

  it('a directory never sampled has no uptime yet', () => {
    const h = new DirectoryHistory(new ManualClock(START));
    expect(h.summary('new')).toEqual({
      hour: { uptime: null, samples: 0, connects: 0, disconnects: 0, handshakeMs: null, rttMs: null },
      day: { uptime: null, samples: 0, connects: 0, disconnects: 0, handshakeMs: null, rttMs: null },
      timeline: Array(24).fill(null),
    });
  });
});

describe('history section', () => {
  it('formats and escapes', () => {
    expect([uptimeText(null), uptimeText(1), uptimeText(0.9996), uptimeText(0.5)]).toEqual(['—', '100 %', '100 %', '50.0 %']);
    expect([msText(null), msText(812.4), msText(12_345)]).toEqual(['—', '812 ms', '12.3 s']);
    expect([uptimeClass(null), uptimeClass(0.995), uptimeClass(0.2), uptimeClass(0)]).toEqual(['dh-none', 'dh-full', 'dh-part', 'dh-down']);
    const win = { uptime: 0.5, samples: 2, connects: 1, disconnects: 1, handshakeMs: 700, rttMs: null };
    const d = { directories: [{ id: '<b>x</b>:5222', history: { hour: win, day: win, timeline: [...Array(23).fill(null), 0.5] } }] } as unknown as ApiDirectories;
    const html = renderDirectoryHistory(d);
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;:5222');
    expect(html).not.toContain('<b>x');
    expect(html.match(/class="dh-cell /g)).toHaveLength(24);
    expect(html).toContain('title="this hour: 50.0 % up"');
    expect(historyRows({ directories: [] } as unknown as ApiDirectories)).toContain('No directories.');
  });
});
